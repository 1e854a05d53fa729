/**
 * A running `gateways.zeromq.<name>`: its sockets, framing and ingress stream. Uplink sockets feed ingress$;
 * a downlink message goes out on every downlink socket (pub fans out, push load-balances over its peers).
 */
import { Subject, type Observable } from 'rxjs';
import { GatewayError, StateError } from '../../src/gateway/index.js';
import type {
  DownlinkMessage,
  GatewayContext,
  GatewayInstance,
  IngressItem,
  InstanceHealth,
} from '../../src/gateway/index.js';
import { decodeFrames, encodeFrames } from './codec.js';
import type { ZeromqConfig } from './schema.js';
import { ZeromqSocket, type Frames } from './socket.js';

type State = 'new' | 'starting' | 'started' | 'stopped';

export class ZeromqGateway implements GatewayInstance {
  readonly #config: ZeromqConfig;
  readonly #ctx: GatewayContext;
  readonly #ingress = new Subject<IngressItem>();
  readonly ingress$: Observable<IngressItem> = this.#ingress.asObservable();
  #sockets: ZeromqSocket[] = [];
  #state: State = 'new';
  #starting?: Promise<void>;
  #lastError?: string;

  constructor(config: ZeromqConfig, ctx: GatewayContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  start(): Promise<void> {
    if (this.#state === 'stopped')
      return Promise.reject(new StateError('PH_STATE_STOPPED', `${this.#ctx.id} was stopped; create a new instance`));
    this.#starting ??= this.#open();
    return this.#starting;
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    await this.#starting?.catch(() => undefined);
    this.#state = 'stopped';
    for (const s of this.#sockets) s.close();
    this.#ingress.complete();
  }

  async send(msg: DownlinkMessage): Promise<void> {
    if (this.#state !== 'started') throw new StateError('PH_STATE_STOPPED', `${this.#ctx.id} is not running`);
    const frames = encodeFrames(msg.address, msg.payload, this.#config.framing);
    const out = this.#sockets.filter((s) => !s.isUplink);
    if (out.length === 0) throw new GatewayError('PH_ZMQ_SEND', `${this.#ctx.id} has no pub or push socket`);
    await Promise.all(out.map((s) => s.send(frames)));
  }

  pause(): void {
    for (const s of this.#sockets) s.pause();
  }

  resume(): void {
    for (const s of this.#sockets) s.resume();
  }

  health(): InstanceHealth {
    const peers = this.#sockets.reduce((n, s) => n + s.peers, 0);
    if (this.#state !== 'started') return { connection: 'closed', peers: 0, lastError: this.#lastError };
    const connecting = this.#sockets.some((s) => s.config.connect.length > 0 && s.peers === 0);
    const connection = connecting ? 'connecting' : peers > 0 ? 'connected' : 'listening';
    return { connection, peers, lastError: this.#lastError };
  }

  async #open(): Promise<void> {
    this.#state = 'starting';
    const hooks = {
      onMessage: (frames: Frames, socket: string) => this.#received(frames, socket),
      onFailure: (err: unknown) =>
        this.#ingress.error(new GatewayError('PH_ZMQ_RECEIVE', `${this.#ctx.id}: receive failed`, { cause: err })),
      onError: (message: string) => {
        this.#lastError = message;
        this.#ctx.metrics.peers(this.#sockets.reduce((n, s) => n + s.peers, 0));
      },
    };
    this.#sockets = Object.entries(this.#config.sockets).map(
      ([name, c]) => new ZeromqSocket(name, c, this.#ctx.metrics, hooks),
    );
    try {
      for (const s of this.#sockets) await s.open();
    } catch (err) {
      for (const s of this.#sockets) s.close();
      this.#state = 'stopped';
      this.#ingress.complete();
      throw err;
    }
    if ((this.#state as State) === 'stopped') return;
    this.#state = 'started';
  }

  #received(frames: Frames, socket: string): void {
    if (this.#state !== 'started') return;
    const peer = `${this.#ctx.id}/${socket}`;
    try {
      const { address, payload } = decodeFrames(frames, this.#config.framing);
      this.#ingress.next({ kind: 'message', address, payload, peer });
    } catch (err) {
      this.#ctx.logger.debug({ err, socket }, 'malformed zeromq message');
      const payload = frames.length > 0 ? frames[frames.length - 1] : Buffer.alloc(0);
      this.#ingress.next({
        kind: 'fault',
        reason: 'malformed',
        error: err instanceof Error ? err.message : String(err),
        payload,
        peer,
      });
    }
  }
}
