/**
 * The tail of a persistent session's queue that lives only in the store. A session keeps at most
 * `mqueue_memory_window` queued messages in memory; messages beyond stay as SQLite rows (they are written
 * there anyway, for durability) and are read back a page at a time as the head drains, so a session with a
 * million queued messages costs the memory of its window, not of its backlog.
 *
 * Invariant: every paged message has a higher seq than every queued message in memory (`loadedSeq`), so
 * paging in is "the next rows after loadedSeq" and order is kept.
 */
import type { BrokerStore, SessionMessage } from '../store/types.js';
import type { Pending } from './message.js';

export class QueuePager {
  /** Messages queued in the store only. */
  count = 0;
  /** Their payload bytes. */
  bytes = 0;
  /** Highest seq of a queued message brought into memory (or handed over directly). */
  loadedSeq = 0;

  constructor(
    private readonly store: BrokerStore,
    private readonly clientId: string,
    /** Queued messages held in memory; 0 = no paging (everything in memory). */
    readonly window: number,
  ) {}

  get active(): boolean {
    return this.count > 0;
  }

  /** A stored message arrives with `inMemory` queued ahead of it: true if it stays in the store only. */
  pageOut(seq: number | undefined, size: number, inMemory: number): boolean {
    if (seq === undefined || this.window === 0) return false;
    if (this.count === 0 && inMemory < this.window) {
      this.loadedSeq = seq;
      return false;
    }
    this.count++;
    this.bytes += size;
    return true;
  }

  /** The next page, up to `room` messages, for the in-memory queue. */
  pageIn(room: number): Pending[] {
    if (this.count === 0 || room <= 0) return [];
    const rows = this.store.loadQueued(this.clientId, this.loadedSeq, Math.min(room, this.count));
    if (rows.length === 0) {
      // the rows are gone (deleted with the session, or unreadable and skipped): nothing left to page
      this.count = 0;
      this.bytes = 0;
      return [];
    }
    const out = rows.map((m) => {
      this.count--;
      this.bytes -= m.message.payload.length;
      this.loadedSeq = m.seq;
      return pendingOf(m);
    });
    if (this.count <= 0) {
      this.count = 0;
      this.bytes = 0;
    }
    return out;
  }

  /** After a restart: what is in the store beyond the first page. */
  countRest(): void {
    const s = this.store.queuedStats(this.clientId, this.loadedSeq);
    this.count = s.count;
    this.bytes = s.bytes;
  }

  clear(): void {
    this.count = 0;
    this.bytes = 0;
  }
}

export function pendingOf(m: SessionMessage): Pending {
  return {
    msg: m.message,
    qos: m.qos,
    retain: false,
    subIds: m.subscriptionIds,
    seq: m.seq,
    packetId: m.packetId,
    state: m.state,
  };
}
