/**
 * A running `gateways.nng.<name>`: its SP sockets and ingress stream. Receiving sockets feed ingress$ with
 * `<address_prefix><topic>` addresses; rep requests carry a ReplyHandle that answers the requester with the
 * MQTT response or an error body. A downlink message goes out on every pub/push/pair/bus socket.
 */
import { Subject, type Observable } from 'rxjs';
import { GatewayError, StateError } from '../../src/gateway/index.js';
import type {
  DownlinkMessage,
  GatewayContext,
  GatewayInstance,
  IngressItem,
  InstanceHealth,
  ReplyHandle,
} from '../../src/gateway/index.js';
import { errorReply, joinBody, splitBody } from './codec.js';
import type { NngConfig } from './schema.js';
import { NngSocket } from './socket.js';
import { DialLiveness } from './liveness.js';

type State = 'new' | 'started' | 'stopped';

export class NngGateway implements GatewayInstance {
  readonly #config: NngConfig;
  readonly #ctx: GatewayContext;
  readonly #ingress = new Subject<IngressItem>();
  readonly ingress$: Observable<IngressItem> = this.#ingress.asObservable();
  #sockets: NngSocket[] = [];
  #state: State = 'new';
  #lastError?: string;
  #liveness?: DialLiveness;

  constructor(config: NngConfig, ctx: GatewayContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  async start(): Promise<void> {
    if (this.#state === 'started') return;
    if (this.#state === 'stopped')
      throw new StateError('PH_STATE_STOPPED', `${this.#ctx.id} was stopped; create a new instance`);
    const hooks = {
      onBody: (body: Buffer, socket: NngSocket, reply?: (b: Buffer) => void) => this.#received(body, socket, reply),
      onError: (message: string) => {
        this.#lastError = message;
        this.#ctx.metrics.socketEvent('error');
      },
    };
    this.#sockets = Object.entries(this.#config.sockets).map(([name, c]) => new NngSocket(name, c, hooks));
    try {
      for (const s of this.#sockets) s.open();
    } catch (err) {
      for (const s of this.#sockets) s.close();
      this.#state = 'stopped';
      this.#ingress.complete();
      throw err;
    }
    this.#state = 'started';
    this.#liveness = new DialLiveness(
      this.#sockets.flatMap((s) => s.config.dial),
      this.#config.dial_probe_interval,
      (t) => {
        this.#ctx.metrics.socketEvent(t.reachable ? 'peer_reachable' : 'peer_unreachable');
        if (!t.reachable) this.#lastError = t.lastError;
        this.#ctx.metrics.peers(this.#liveness?.targets.filter((x) => x.reachable).length ?? 0);
      },
    );
    this.#liveness.start();
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#liveness?.stop();
    for (const s of this.#sockets) s.close();
    this.#ingress.complete();
  }

  async send(msg: DownlinkMessage): Promise<void> {
    if (this.#state !== 'started') throw new StateError('PH_STATE_STOPPED', `${this.#ctx.id} is not running`);
    const out = this.#sockets.filter((s) => s.sends);
    if (out.length === 0)
      throw new GatewayError('PH_NNG_SEND', `${this.#ctx.id} has no pub, push, pair, bus or req socket`);
    const body = joinBody(msg.address, msg.payload, this.#config.topic_delimiter);
    await Promise.all(
      out.map(async (s) => {
        if (s.config.type !== 'req') return s.send(body);
        const reply = await s.request(body, this.#config.request_reply.timeout);
        // Without a Response Topic nobody waits for the answer; the request still reached the SP server.
        await msg.respond?.(reply);
      }),
    );
  }

  pause(): void {
    for (const s of this.#sockets) s.pause();
  }

  resume(): void {
    for (const s of this.#sockets) s.resume();
  }

  health(): InstanceHealth {
    if (this.#state !== 'started') return { connection: 'closed', peers: 0, lastError: this.#lastError };
    // nanomsg exposes no connection events: dial targets are probed (liveness.ts); listeners cannot see peers.
    const live = this.#liveness;
    if (!live?.enabled) {
      const dials = this.#sockets.some((s) => s.config.dial.length > 0);
      return { connection: dials ? 'connecting' : 'listening', peers: 0, lastError: this.#lastError };
    }
    const reachable = live.targets.filter((t) => t.reachable).length;
    const connection = live.targets.some((t) => !t.probed)
      ? 'connecting'
      : reachable === live.targets.length
        ? 'connected'
        : 'disconnected';
    return { connection, peers: reachable, lastError: this.#lastError };
  }

  #received(body: Buffer, socket: NngSocket, reply?: (b: Buffer) => void): void {
    if (this.#state !== 'started') return;
    const peer = `${this.#ctx.id}/${socket.name}`;
    const handle: ReplyHandle | undefined = reply && {
      respond: (payload) => reply(payload),
      fail: (reason, error) => reply(errorReply(this.#config.request_reply.error_prefix, reason, error)),
    };
    try {
      const { address, payload } = splitBody(body, this.#config.topic_delimiter);
      this.#ingress.next({
        kind: 'message',
        address: socket.config.address_prefix + address,
        payload,
        peer,
        reply: handle,
      });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.#ingress.next({ kind: 'fault', reason: 'malformed', error, payload: body, peer, reply: handle });
    }
  }
}
