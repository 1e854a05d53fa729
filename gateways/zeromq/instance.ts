/**
 * A running `gateways.zeromq.<name>`: its sockets, framing and ingress stream. Uplink sockets feed ingress$;
 * a downlink message goes out on every downlink socket (pub fans out, push load-balances over its peers).
 * State, idempotent start/stop and failure wrapping are the shared InstanceLifecycle's.
 */
import type { Observable } from 'rxjs';
import {
  GatewayError,
  InstanceLifecycle,
  type DownlinkMessage,
  type GatewayContext,
  type GatewayInstance,
  type IngressItem,
  type InstanceHealth,
} from '../../src/gateway/index.js';
import { decodeFrames, encodeFrames } from './codec.js';
import type { ZeromqConfig } from './schema.js';
import { ZeromqSocket, type Frames } from './socket.js';

export class ZeromqGateway implements GatewayInstance {
  readonly #config: ZeromqConfig;
  readonly #ctx: GatewayContext;
  readonly #life: InstanceLifecycle;
  readonly ingress$: Observable<IngressItem>;
  #sockets: ZeromqSocket[] = [];

  constructor(config: ZeromqConfig, ctx: GatewayContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#life = new InstanceLifecycle(ctx.id, { open: () => this.#open(), close: () => this.#close() });
    this.ingress$ = this.#life.ingress$;
  }

  start(): Promise<void> {
    return this.#life.start();
  }

  stop(): Promise<void> {
    return this.#life.stop();
  }

  async send(msg: DownlinkMessage): Promise<void> {
    this.#life.assertRunning();
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
    if (!this.#life.running) return this.#life.closedHealth();
    const peers = this.#sockets.reduce((n, s) => n + s.peers, 0);
    const connecting = this.#sockets.some((s) => s.config.connect.length > 0 && s.peers === 0);
    const connection = connecting ? 'connecting' : peers > 0 ? 'connected' : 'listening';
    return { connection, peers, lastError: this.#life.lastError };
  }

  async #open(): Promise<void> {
    const hooks = {
      onMessage: (frames: Frames, socket: string) => this.#received(frames, socket),
      onFailure: (err: unknown) => this.#life.fail('PH_ZMQ_RECEIVE', 'receive failed', err),
      onError: (message: string) => {
        this.#life.noteError(message);
        this.#ctx.metrics.peers(this.#sockets.reduce((n, s) => n + s.peers, 0));
      },
    };
    this.#sockets = Object.entries(this.#config.sockets).map(
      ([name, c]) => new ZeromqSocket(name, c, this.#ctx.metrics, hooks),
    );
    for (const s of this.#sockets) await s.open();
  }

  #close(): void {
    for (const s of this.#sockets) s.close();
  }

  #received(frames: Frames, socket: string): void {
    if (!this.#life.running) return;
    const peer = `${this.#ctx.id}/${socket}`;
    let decoded: ReturnType<typeof decodeFrames>;
    try {
      decoded = decodeFrames(frames, this.#config.framing);
    } catch (err) {
      this.#ctx.logger.debug({ err, socket }, 'malformed zeromq message');
      this.#life.fault(peer, frames.length > 0 ? frames[frames.length - 1] : Buffer.alloc(0), err);
      return;
    }
    this.#life.emit({ kind: 'message', address: decoded.address, payload: decoded.payload, peer });
  }
}
