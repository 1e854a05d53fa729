/**
 * Server side of Block2 (RFC 7959 §2.4, §3.4): a response or notification body larger than the block size is
 * sent as its first block; the client fetches the rest with GETs carrying Block2 NUM = 1, 2, … . The body is kept
 * here, per peer and resource, so every block comes from the same representation (its ETag). Bounded: at most
 * `maxPerPeer` bodies per peer and `maxEntries` in all, oldest evicted first, each forgotten after `lifetimeMs`.
 */
import { blockSize } from './block-option.js';
import { PeerKeys } from './peer-keys.js';

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

export interface Block2Limits {
  maxEntries: number;
  /** Bodies per peer: past it the peer's own oldest goes, so one client cannot push out everyone else's. */
  maxPerPeer: number;
  /** Bytes of all stored bodies together: past it the oldest go (a body larger than this is not stored). */
  maxBytes: number;
  lifetimeMs: number;
}

interface Entry extends StoredBody {
  readonly peer: string;
}

export class Block2Store {
  /** By `peer|resource`, in storage order. */
  private readonly bodies = new Map<string, Entry>();
  /** Keys of each peer's bodies, oldest first. */
  private readonly byPeer = new PeerKeys();
  private etagCounter = 0;
  private held = 0;
  /** Bodies evicted before their lifetime because the store was full. */
  evicted = 0;
  /** Bodies evicted before their lifetime because their peer stored `maxPerPeer` newer ones. */
  evictedPerPeer = 0;

  constructor(private readonly limits: Block2Limits) {}

  get size(): number {
    return this.bodies.size;
  }

  get bytes(): number {
    return this.held;
  }

  /** Keep a body of `peer` for later blocks of `resource`; returns it with the ETag it was given. */
  put(peer: string, resource: string, body: Buffer, now: number, contentFormat?: number): StoredBody {
    this.sweep(now);
    const key = `${peer}|${resource}`;
    this.remove(key);
    for (let old = this.byPeer.oldest(peer); old !== undefined && this.byPeer.count(peer) >= this.limits.maxPerPeer;) {
      this.remove(old);
      this.evictedPerPeer++;
      old = this.byPeer.oldest(peer);
    }
    const fits = body.length <= this.limits.maxBytes;
    while (
      fits &&
      this.bodies.size > 0 &&
      (this.bodies.size >= this.limits.maxEntries || this.held + body.length > this.limits.maxBytes)
    ) {
      this.remove(this.bodies.keys().next().value as string);
      this.evicted++;
    }
    this.etagCounter = (this.etagCounter + 1) >>> 0;
    const etag = Buffer.alloc(4);
    etag.writeUInt32BE(this.etagCounter);
    const stored: Entry = { peer, body, etag, contentFormat, storedAt: now };
    // larger than the whole budget: handed out as block 0 but not kept (its next block GET gets 4.08)
    if (!fits) {
      this.evicted++;
      return stored;
    }
    this.bodies.set(key, stored);
    this.held += body.length;
    this.byPeer.add(peer, key);
    return stored;
  }

  get(peer: string, resource: string, now: number): StoredBody | undefined {
    const key = `${peer}|${resource}`;
    const s = this.bodies.get(key);
    if (!s) return undefined;
    if (now - s.storedAt >= this.limits.lifetimeMs) {
      this.remove(key);
      return undefined;
    }
    return s;
  }

  sweep(now: number): void {
    for (const [key, s] of this.bodies) {
      // Insertion order is storage order, so the first live entry ends the sweep.
      if (now - s.storedAt < this.limits.lifetimeMs) break;
      this.remove(key);
    }
  }

  private remove(key: string): void {
    const s = this.bodies.get(key);
    if (!s) return;
    this.bodies.delete(key);
    this.held -= s.body.length;
    this.byPeer.delete(s.peer, key);
  }
}
