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

const require = createRequire(import.meta.url);
const nanomsg = require('nanomsg') as { socket(type: SpSocketType, opts?: SpSocketOptions): SpSocket };

export function spSocket(type: SpSocketType, opts: SpSocketOptions): SpSocket {
  return nanomsg.socket(type, opts);
}
