/**
 * One configured NNG socket (thin IO layer over nanomsg, wire-compatible with NNG): listens and dials its URLs,
 * delivers received bodies, and sends with back-pressure. nanomsg keeps unsent messages in an unbounded array
 * until the socket is writable; send() resolves only once that array is flushed, so with the sequential
 * downlink stage at most one message per socket waits there and the bounded pipeline buffer holds the rest.
 */
import { GatewayError } from '../../src/gateway/index.js';
import type { NngSocketConfig } from './schema.js';
import { DrainingReceiver, spSocket, type SpSocket } from './nanomsg.js';

export interface NngSocketHooks {
  /** A body arrived. For rep sockets `reply` answers this request (exactly once; the next request waits). */
  onBody(body: Buffer, socket: NngSocket, reply?: (body: Buffer) => void): void;
  onError(message: string): void;
}

const RECEIVERS = new Set(['sub', 'pull', 'rep', 'pair', 'bus']);
const SENDERS = new Set(['pub', 'push', 'pair', 'bus', 'req']);

export class NngSocket {
  readonly name: string;
  readonly config: NngSocketConfig;
  readonly #hooks: NngSocketHooks;
  #sock?: SpSocket;
  #receiver?: DrainingReceiver;
  #drainWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #pendingReply?: { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

  constructor(name: string, config: NngSocketConfig, hooks: NngSocketHooks) {
    this.name = name;
    this.config = config;
    this.#hooks = hooks;
  }

  get receives(): boolean {
    return RECEIVERS.has(this.config.type);
  }

  /** Takes part in downlink (rep sockets only answer requests). */
  get sends(): boolean {
    return SENDERS.has(this.config.type);
  }

  open(): void {
    const c = this.config;
    const sock = spSocket(c.type, {
      ...(c.type === 'sub' ? { chan: c.subscribe } : {}),
      reconn: c.reconnect_interval,
      maxreconn: c.reconnect_max_interval,
      rcvmaxsize: c.max_message_size,
      sndbuf: c.send_buffer,
      rcvbuf: c.receive_buffer,
      linger: 0,
    });
    this.#sock = sock;
    let lastError = '';
    // nanomsg reports failures as 'error' events; without a listener they would crash the process.
    sock.on('error', (err: Error) => {
      lastError = err.message;
      this.#hooks.onError(`socket ${this.name}: ${err.message}`);
    });
    const flush = sock.flush.bind(sock);
    sock.flush = () => {
      flush();
      if (sock.queue.length === 0) for (const w of this.#drainWaiters.splice(0)) w.resolve();
    };
    for (const [verb, urls] of [
      ['listen', c.listen],
      ['dial', c.dial],
    ] as const) {
      for (const url of urls) {
        const id = verb === 'listen' ? sock.bind(url) : sock.connect(url);
        if (id === null || id === undefined) {
          this.close();
          throw new GatewayError('PH_NNG_ENDPOINT', `socket ${this.name}: cannot ${verb} ${url}: ${lastError}`);
        }
      }
    }
    if (c.type === 'req') {
      sock.on('data', (body: Buffer) => {
        const p = this.#pendingReply;
        this.#pendingReply = undefined;
        if (!p) return; // a reply after its timeout: the request was abandoned
        clearTimeout(p.timer);
        p.resolve(body);
      });
    }
    if (this.receives && c.type !== 'rep') {
      this.#receiver = new DrainingReceiver(sock, (body) => this.#hooks.onBody(body, this));
    } else if (c.type === 'rep') {
      sock.on('data', (body: Buffer) => {
        let answered = false;
        this.#hooks.onBody(body, this, (reply) => {
          if (answered || sock.closed) return;
          answered = true;
          sock.send(reply);
        });
      });
    }
  }

  /** Resolves once nanomsg handed the body to the transport; pending while a push peer is not reading. */
  send(body: Buffer): Promise<void> {
    const sock = this.#sock;
    if (!sock || sock.closed || !this.sends)
      return Promise.reject(new GatewayError('PH_NNG_SEND', `socket ${this.name} cannot send`));
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject });
      sock.send(body);
    });
  }

  /**
   * req sockets: send one request and resolve with the SP reply. A cooked REQ socket has one request in flight
   * (a new one would cancel it), so the sequential downlink stage waits here; rejects PH_NNG_TIMEOUT.
   */
  async request(body: Buffer, timeoutMs: number): Promise<Buffer> {
    await this.send(body);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pendingReply = undefined;
        reject(new GatewayError('PH_NNG_TIMEOUT', `socket ${this.name}: no reply within ${timeoutMs}ms`));
      }, timeoutMs);
      this.#pendingReply = { resolve, reject, timer };
    });
  }

  /** Stop reading from peers (uplink overflow policy `block`); rep sockets already take one request at a time. */
  pause(): void {
    this.#receiver?.pause();
  }

  resume(): void {
    this.#receiver?.resume();
  }

  close(): void {
    const sock = this.#sock;
    if (!sock || sock.closed) return;
    sock.close();
    const p = this.#pendingReply;
    this.#pendingReply = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new GatewayError('PH_NNG_SEND', `socket ${this.name} closed before the reply arrived`));
    }
    for (const w of this.#drainWaiters.splice(0))
      w.reject(new GatewayError('PH_NNG_SEND', `socket ${this.name} closed before the message was sent`));
  }
}
