/**
 * Typed access to the `nanomsg` package (CommonJS, native, no type declarations): only what the gateway uses.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

export type SpSocketType = 'sub' | 'pull' | 'rep' | 'pub' | 'push' | 'pair' | 'bus' | 'req';

export interface SpSocketOptions {
  chan?: string[];
  reconn?: number;
  maxreconn?: number;
  rcvmaxsize?: number;
  sndbuf?: number;
  rcvbuf?: number;
  linger?: number;
}

export interface SpSocket extends EventEmitter {
  readonly closed?: boolean;
  /** Messages the library holds until the socket is writable (an unbounded array inside nanomsg). */
  readonly queue: unknown[];
  /** Endpoint id, or null after emitting 'error'. */
  bind(url: string): number | null;
  connect(url: string): number | null;
  send(body: Buffer): number;
  flush(): void;
  close(): number;
}

/** The parts of the package's native binding the fast receive path calls directly. */
interface NanomsgBinding {
  /** A Buffer, or a negative number (EAGAIN with NN_DONTWAIT, or an error). */
  Recv(socket: number, flags: number): Buffer | number;
  NN_DONTWAIT: number;
}

/** Package internals the fast receive path relies on (nanomsg 4.x lib/index.js). */
interface SocketInternals {
  binding: number;
  _receive(): void;
  _startPollReceive(): void;
  _stopPollReceive(): void;
}

const require = createRequire(import.meta.url);
const nanomsg = require('nanomsg') as {
  socket(type: SpSocketType, opts?: SpSocketOptions): SpSocket;
  _bindings: NanomsgBinding;
};

export function spSocket(type: SpSocketType, opts: SpSocketOptions): SpSocket {
  return nanomsg.socket(type, opts);
}

/**
 * Most messages one wake-up of the receive poll takes before yielding to the event loop (the poll is level
 * triggered, so the rest is taken on the next turn and other sockets get their share in between).
 */
const RECEIVE_BATCH = 1024;

/**
 * A receiving socket whose bodies are handed to `onBody` directly, many per poll wake-up, and whose reading can
 * be paused. The package's own path takes one body per libuv poll callback and pushes it through a Readable
 * stream; downstream that costs one event-loop turn and one MQTT socket write per message (a quarter of the
 * gateway's throughput). Not for `rep`/`surveyor`, whose poll the package toggles per request.
 *
 * Uses nanomsg internals (`_bindings.Recv`, `_receive`, `_startPollReceive`, `_stopPollReceive`): nanomsg is
 * pinned exactly in package.json and test/unit/deps-internals.test.ts checks those shapes. Measured gain:
 * NNG → MQTT 22–29k → 87–158k msg/s with the C peers, and overflow `block` works (docs/performance.md,
 * bench/results/profile-nng.md).
 */
export class DrainingReceiver {
  readonly #sock: SpSocket & SocketInternals;
  #paused = false;

  constructor(sock: SpSocket, onBody: (body: Buffer) => void) {
    const s = sock as SpSocket & SocketInternals;
    this.#sock = s;
    const { Recv, NN_DONTWAIT } = nanomsg._bindings;
    // The package's poll callback looks `_receive` up on every wake-up, so replacing it on the instance suffices.
    s._receive = () => {
      for (let i = 0; i < RECEIVE_BATCH && !s.closed && !this.#paused; i++) {
        const body = Recv(s.binding, NN_DONTWAIT);
        if (typeof body === 'number') return; // EAGAIN: the queue is empty (errors surface on send/close)
        onBody(body);
      }
    };
  }

  /**
   * Stop taking messages: nanomsg keeps up to its receive buffer, then stops reading the connection, so TCP
   * pushes back and a PUSH peer blocks at its high-water mark.
   */
  pause(): void {
    if (this.#paused || this.#sock.closed) return;
    this.#paused = true;
    this.#sock._stopPollReceive();
  }

  resume(): void {
    if (!this.#paused || this.#sock.closed) return;
    this.#paused = false;
    this.#sock._startPollReceive();
  }
}
