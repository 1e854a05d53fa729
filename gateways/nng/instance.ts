/**
 * A running `gateways.nng.<name>`: its SP sockets and ingress stream. Receiving sockets feed ingress$ with
 * `<address_prefix><topic>` addresses; rep requests carry a ReplyHandle that answers the requester with the
 * MQTT response or an error body. A downlink message goes out on every pub/push/pair/bus socket.
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
  type ReplyHandle,
} from '../../src/gateway/index.js';
import { errorReply, joinBody, splitBody } from './codec.js';
import type { NngConfig } from './schema.js';
import { NngSocket } from './socket.js';
import { DialLiveness } from './liveness.js';

export class NngGateway implements GatewayInstance {
  readonly #config: NngConfig;
  readonly #ctx: GatewayContext;
  readonly #life: InstanceLifecycle;
  readonly ingress$: Observable<IngressItem>;
  #sockets: NngSocket[] = [];
  #liveness?: DialLiveness;

  constructor(config: NngConfig, ctx: GatewayContext) {
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
    if (!this.#life.running) return this.#life.closedHealth();
    const lastError = this.#life.lastError;
    // nanomsg exposes no connection events: dial targets are probed (liveness.ts); listeners cannot see peers.
    const live = this.#liveness;
    if (!live?.enabled) {
      const dials = this.#sockets.some((s) => s.config.dial.length > 0);
      return { connection: dials ? 'connecting' : 'listening', peers: 0, lastError };
    }
    const reachable = live.targets.filter((t) => t.reachable).length;
    const connection = live.targets.some((t) => !t.probed)
      ? 'connecting'
      : reachable === live.targets.length
        ? 'connected'
        : 'disconnected';
    return { connection, peers: reachable, lastError };
  }

  #open(): void {
    const hooks = {
      onBody: (body: Buffer, socket: NngSocket, reply?: (b: Buffer) => void) => this.#received(body, socket, reply),
      onError: (message: string) => {
        this.#life.noteError(message);
        this.#ctx.metrics.socketEvent('error');
      },
    };
    this.#sockets = Object.entries(this.#config.sockets).map(([name, c]) => new NngSocket(name, c, hooks));
    for (const s of this.#sockets) s.open();
    this.#liveness = new DialLiveness(
      this.#sockets.flatMap((s) => s.config.dial),
      this.#config.dial_probe_interval,
      (t) => {
        this.#ctx.metrics.socketEvent(t.reachable ? 'peer_reachable' : 'peer_unreachable');
        if (!t.reachable && t.lastError !== undefined) this.#life.noteError(t.lastError);
        this.#ctx.metrics.peers(this.#liveness?.targets.filter((x) => x.reachable).length ?? 0);
      },
    );
    this.#liveness.start();
  }

  #close(): void {
    this.#liveness?.stop();
    for (const s of this.#sockets) s.close();
  }

  #received(body: Buffer, socket: NngSocket, reply?: (b: Buffer) => void): void {
    if (!this.#life.running) return;
    const peer = `${this.#ctx.id}/${socket.name}`;
    const handle: ReplyHandle | undefined = reply && {
      respond: (payload) => reply(payload),
      fail: (reason, error) => reply(errorReply(this.#config.request_reply.error_prefix, reason, error)),
    };
    let split: ReturnType<typeof splitBody>;
    try {
      split = splitBody(body, this.#config.topic_delimiter);
    } catch (err) {
      this.#life.fault(peer, body, err, handle);
      return;
    }
    this.#life.emit({
      kind: 'message',
      address: socket.config.address_prefix + split.address,
      payload: split.payload,
      peer,
      reply: handle,
    });
  }
}
