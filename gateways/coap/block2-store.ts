/**
 * Server side of Block2 (RFC 7959 §2.4, §3.4): a response or notification body larger than the block size is
 * sent as its first block; the client fetches the rest with GETs carrying Block2 NUM = 1, 2, … . The body is kept
 * here, per peer and resource, so every block comes from the same representation (its ETag). Bounded: at most
 * `maxEntries` bodies, oldest evicted first, and each forgotten after `lifetimeMs`.
 */
import { blockSize } from './block-option.js';

export interface StoredBody {
  readonly body: Buffer;
  readonly etag: Buffer;
  readonly contentFormat?: number;
  storedAt: number;
}

export interface BlockSlice {
  readonly payload: Buffer;
  readonly more: boolean;
}

/** Block `num` of a body; undefined when it starts past the end (RFC 7959 §2.4 answers 4.02 Bad Option). */
export function sliceBlock(body: Buffer, num: number, szx: number): BlockSlice | undefined {
  const size = blockSize(szx);
  const start = num * size;
  if (start >= body.length && !(num === 0 && body.length === 0)) return undefined;
  const end = Math.min(start + size, body.length);
  return { payload: body.subarray(start, end), more: end < body.length };
}

export class Block2Store {
  private readonly bodies = new Map<string, StoredBody>();
  private etagCounter = 0;
  /** Bodies evicted before their lifetime because the store was full. */
  evicted = 0;

  constructor(private readonly limits: { maxEntries: number; lifetimeMs: number }) {}

  get size(): number {
    return this.bodies.size;
  }

  /** Keep a body for later blocks; returns the ETag it was given. */
  put(key: string, body: Buffer, now: number, contentFormat?: number): StoredBody {
    this.sweep(now);
    this.bodies.delete(key);
    while (this.bodies.size >= this.limits.maxEntries) {
      const oldest = this.bodies.keys().next().value as string;
      this.bodies.delete(oldest);
      this.evicted++;
    }
    this.etagCounter = (this.etagCounter + 1) >>> 0;
    const etag = Buffer.alloc(4);
    etag.writeUInt32BE(this.etagCounter);
    const stored: StoredBody = { body, etag, contentFormat, storedAt: now };
    this.bodies.set(key, stored);
    return stored;
  }

  get(key: string, now: number): StoredBody | undefined {
    const s = this.bodies.get(key);
    if (!s) return undefined;
    if (now - s.storedAt >= this.limits.lifetimeMs) {
      this.bodies.delete(key);
      return undefined;
    }
    return s;
  }

  delete(key: string): void {
    this.bodies.delete(key);
  }

  sweep(now: number): void {
    for (const [key, s] of this.bodies) {
      // Insertion order is storage order, so the first live entry ends the sweep.
      if (now - s.storedAt < this.limits.lifetimeMs) break;
      this.bodies.delete(key);
    }
  }
}
