/**
 * One configured ZeroMQ socket (thin IO layer over zeromq.js 6): opens it with the configured options, binds and
 * connects its endpoints, counts peers from socket events, and for uplink types runs a receive loop that can be
 * paused. Framing lives in codec.ts.
 */
import * as zmq from 'zeromq';
import { GatewayError, type GatewayMetrics } from '../../src/gateway/index.js';
import type { ZeromqSocketConfig } from './schema.js';

export type Frames = Buffer[];

export interface SocketHooks {
  onMessage(frames: Frames, socketName: string): void;
  /** The receive loop died while the socket was open: the instance has failed. */
  onFailure(err: unknown): void;
  onError(message: string): void;
}

type AnySocket = zmq.Subscriber | zmq.Pull | zmq.Publisher | zmq.Push;

/** Messages taken in one go before the receive loop lets the event loop run (zeromq.js itself uses 512). */
const YIELD_EVERY = 256;

export class ZeromqSocket {
  readonly name: string;
  readonly config: ZeromqSocketConfig;
  readonly #metrics: GatewayMetrics;
  readonly #hooks: SocketHooks;
  #sock?: AnySocket;
  #peers = 0;
  #paused = false;
  #resume?: () => void;

  constructor(name: string, config: ZeromqSocketConfig, metrics: GatewayMetrics, hooks: SocketHooks) {
    this.name = name;
    this.config = config;
    this.#metrics = metrics;
    this.#hooks = hooks;
  }

  get isUplink(): boolean {
    return this.config.type === 'sub' || this.config.type === 'pull';
  }

  get peers(): number {
    return this.#peers;
  }

  async open(): Promise<void> {
    const c = this.config;
    const common = {
      reconnectInterval: c.reconnect_interval,
      reconnectMaxInterval: c.reconnect_max_interval,
      maxMessageSize: c.max_message_size,
      linger: c.linger,
    };
    // zeromq.js sockets reject options their type does not have (a PULL has no send HWM).
    const options = this.isUplink
      ? { ...common, receiveHighWaterMark: c.receive_hwm }
      : { ...common, sendHighWaterMark: c.send_hwm };
    const sock: AnySocket =
      c.type === 'sub'
        ? new zmq.Subscriber(options)
        : c.type === 'pull'
          ? new zmq.Pull(options)
          : c.type === 'pub'
            ? new zmq.Publisher(options)
            : new zmq.Push(options);
    this.#sock = sock;
    this.#watch(sock);
    if (sock instanceof zmq.Subscriber) sock.subscribe(...c.subscribe);
    try {
      for (const ep of c.bind) await sock.bind(ep);
      for (const ep of c.connect) sock.connect(ep);
    } catch (err) {
      this.close();
      throw new GatewayError(
        'PH_ZMQ_ENDPOINT',
        `socket ${this.name}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    if (this.isUplink) void this.#receiveLoop(sock as zmq.Subscriber | zmq.Pull);
  }

  /** Resolves when the transport queued the frames; pending while a push socket is at its high-water mark. */
  async send(frames: Frames): Promise<void> {
    const sock = this.#sock;
    if (!sock || sock.closed || this.isUplink) throw new GatewayError('PH_ZMQ_SEND', `socket ${this.name} cannot send`);
    await (sock as zmq.Publisher | zmq.Push).send(frames);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#resume?.();
    this.#resume = undefined;
  }

  close(): void {
    const sock = this.#sock;
    if (!sock || sock.closed) return;
    sock.close();
    this.#peers = 0;
    this.resume();
  }

  /**
   * Drain mode: with receiveTimeout 0 zeromq.js reads at once without first asking libzmq for ZMQ_EVENTS (a poll
   * syscall per message otherwise; a third more throughput here) and rejects EAGAIN when the queue is empty; only
   * then does the loop wait for readability with an ordinary blocking receive. Every YIELD_EVERY messages it
   * yields to the event loop, since resolved receives chain as microtasks and would starve the broker's I/O.
   */
  async #receiveLoop(sock: zmq.Subscriber | zmq.Pull): Promise<void> {
    let sinceYield = 0;
    sock.receiveTimeout = 0;
    while (!sock.closed) {
      if (this.#paused)
        await new Promise<void>((r) => {
          this.#resume = r;
        });
      if (sock.closed) return;
      let frames: Frames;
      try {
        frames = await sock.receive();
      } catch (err) {
        if (sock.closed) return; // close() rejects the pending receive: a normal stop
        if ((err as { code?: string }).code !== 'EAGAIN') return this.#hooks.onFailure(err);
        try {
          sock.receiveTimeout = -1;
          frames = await sock.receive();
          if (sock.closed) return;
          sock.receiveTimeout = 0;
        } catch (err2) {
          if (!sock.closed) this.#hooks.onFailure(err2);
          return;
        }
        sinceYield = 0;
      }
      this.#hooks.onMessage(frames, this.name);
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  #watch(sock: AnySocket): void {
    const ev = sock.events;
    const up = (): void => {
      this.#peers++;
      this.#metrics.socketEvent('connect');
    };
    ev.on('connect', up);
    ev.on('accept', up);
    ev.on('disconnect', (e) => {
      this.#peers = Math.max(0, this.#peers - 1);
      this.#metrics.socketEvent('disconnect');
      this.#hooks.onError(`peer ${e.address} disconnected`);
    });
    const handshake = (e: { address: string; error: Error }): void => {
      this.#metrics.socketEvent('handshake_failed');
      this.#hooks.onError(`handshake with ${e.address} failed: ${e.error.message}`);
    };
    ev.on('handshake:error:protocol', handshake);
    ev.on('handshake:error:auth', handshake);
    ev.on('handshake:error:other', handshake);
    ev.on('connect:retry', () => this.#metrics.socketEvent('connect_retry'));
    ev.on('accept:error', (e) => this.#hooks.onError(`accept on ${e.address} failed: ${e.error.message}`));
    ev.on('bind:error', (e) => this.#hooks.onError(`bind ${e.address} failed: ${e.error.message}`));
  }
}
