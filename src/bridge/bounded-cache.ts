/**
 * The bridge cache with its limits: appends batches atomically, enforcing `max_messages` / `max_bytes` with the
 * configured overflow policy, and removes acknowledged rows in batches. Messages in flight are never dropped
 * (they may already be at the upstream), so drop_oldest picks the oldest message not in flight.
 */
import type { CacheBackend, CachedMessage, OutboundMessage } from './cache-types.js';
import { messageSize } from './cache-types.js';

export interface CacheLimits {
  maxMessages: number;
  maxBytes: number;
  overflow: 'drop_oldest' | 'drop_new';
}

export interface AppendResult {
  /** Seqs of stored messages, in input order (undefined where the new message itself was dropped). */
  seqs: Array<number | undefined>;
  /** Messages dropped by the overflow policy (old or new). */
  dropped: number;
}

export class BoundedCache {
  readonly backend: CacheBackend;
  readonly limits: CacheLimits;

  constructor(backend: CacheBackend, limits: CacheLimits) {
    this.backend = backend;
    this.limits = limits;
  }

  /** Store a batch in one transaction. `inflight` are seqs that must not be dropped. */
  append(messages: OutboundMessage[], inflight: ReadonlySet<number>): AppendResult {
    return this.backend.transaction(() => {
      const seqs: Array<number | undefined> = [];
      let dropped = 0;
      for (const msg of messages) {
        const size = messageSize(msg);
        const fits = this.#makeRoom(size, inflight);
        dropped += this.#lastFreed;
        if (!fits) {
          dropped++;
          seqs.push(undefined);
          continue;
        }
        seqs.push(this.backend.insert(msg, size));
      }
      return { seqs, dropped };
    });
  }

  #lastFreed = 0;

  #fits(size: number): boolean {
    return this.backend.count() + 1 <= this.limits.maxMessages && this.backend.bytes() + size <= this.limits.maxBytes;
  }

  /** Free space for one message; false = the new message is to be dropped. Sets #lastFreed to the old ones dropped. */
  #makeRoom(size: number, inflight: ReadonlySet<number>): boolean {
    this.#lastFreed = 0;
    if (this.#fits(size)) return true;
    if (this.limits.overflow === 'drop_new' || size > this.limits.maxBytes) return false;
    while (!this.#fits(size)) {
      const victim = this.backend.oldest(inflight.size + 1).find((r) => !inflight.has(r.seq));
      if (!victim) return false; // everything left is in flight: the new one has to go
      this.backend.delete(victim.seq);
      this.#lastFreed++;
    }
    return true;
  }

  /**
   * Delete acknowledged (or expired) rows atomically (the backend makes it one transaction). `bytes`, when the
   * caller knows it, is their total size, which spares the backend reading the sizes back.
   */
  remove(seqs: readonly number[], bytes?: number): void {
    if (seqs.length === 0) return;
    this.backend.deleteMany(seqs, bytes);
  }

  readAfter(afterSeq: number, limit: number, maxSeq?: number): CachedMessage[] {
    return this.backend.readAfter(afterSeq, limit, maxSeq);
  }

  get count(): number {
    return this.backend.count();
  }

  get bytes(): number {
    return this.backend.bytes();
  }

  get lastSeq(): number {
    return this.backend.lastSeq();
  }

  oldestAgeSeconds(now = Date.now()): number {
    const at = this.backend.oldestReceivedAt();
    return at === undefined ? 0 : Math.max(0, (now - at) / 1000);
  }
}
