/**
 * In-memory cache backend for `store.type = memory`: same semantics as SQLite, lost when the process ends.
 */
import type { CacheBackend, CachedMessage, OutboundMessage } from './cache-types.js';

export class MemoryCacheBackend implements CacheBackend {
  readonly kind = 'memory' as const;
  /** Seqs in insertion (= seq) order; deleted ones stay until compacted from the head. */
  #order: number[] = [];
  #head = 0;
  readonly #rows = new Map<number, CachedMessage>();
  #bytes = 0;
  #lastSeq = 0;

  open(): void {}
  close(): void {}

  transaction<T>(fn: () => T): T {
    return fn();
  }

  insert(msg: OutboundMessage, size: number): number {
    const seq = ++this.#lastSeq;
    this.#rows.set(seq, { ...msg, seq, size });
    this.#order.push(seq);
    this.#bytes += size;
    return seq;
  }

  delete(seq: number): boolean {
    const row = this.#rows.get(seq);
    if (!row) return false;
    this.#rows.delete(seq);
    this.#bytes -= row.size;
    this.#compact();
    return true;
  }

  deleteMany(seqs: readonly number[], _bytes?: number): void {
    for (const s of seqs) this.delete(s);
  }

  #compact(): void {
    while (this.#head < this.#order.length && !this.#rows.has(this.#order[this.#head])) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }

  #indexAfter(seq: number): number {
    let lo = this.#head;
    let hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#order[mid] <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  readAfter(afterSeq: number, limit: number, maxSeq = Number.MAX_SAFE_INTEGER): CachedMessage[] {
    const out: CachedMessage[] = [];
    for (let i = this.#indexAfter(afterSeq); i < this.#order.length && out.length < limit; i++) {
      const seq = this.#order[i];
      if (seq > maxSeq) break;
      const row = this.#rows.get(seq);
      if (row) out.push(row);
    }
    return out;
  }

  oldest(limit: number): Array<{ seq: number; size: number }> {
    return this.readAfter(0, limit).map((r) => ({ seq: r.seq, size: r.size }));
  }

  count(): number {
    return this.#rows.size;
  }

  bytes(): number {
    return this.#bytes;
  }

  lastSeq(): number {
    return this.#lastSeq;
  }

  oldestReceivedAt(): number | undefined {
    return this.readAfter(0, 1)[0]?.receivedAt;
  }
}
