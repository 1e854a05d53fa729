/**
 * Drains the cache upstream through an in-flight window: as soon as an acknowledgement frees a slot the next
 * message goes out, so the speed is window ÷ round-trip, not a timer. The backlog present at connect time and
 * live traffic arriving since are read by two cursors and interleaved one-for-one, each in seq order, so a long
 * backlog does not starve fresh messages. A row is deleted only in the acknowledgement callback.
 */
import type { BoundedCache } from './bounded-cache.js';
import type { CachedMessage } from './cache-types.js';

/** Sends one message; `done` is called on PUBACK/PUBCOMP (QoS 0: once written) or with an error. */
export type SendFn = (msg: CachedMessage, done: (err?: Error & { code?: unknown }) => void) => void;

export interface DrainerEvents {
  sent(msg: CachedMessage): void;
  acked(msg: CachedMessage): void;
  /** The upstream refused the message with a v5 reason code ≥ 0x80, or it expired in the cache: it is removed. */
  discarded(msg: CachedMessage, reason: 'rejected' | 'expired', err?: Error): void;
  /** The cache failed (delete after acknowledgement). */
  error(err: Error): void;
}

/** Rows one cache read fetches: small enough to fit in the wait for acknowledgements (see #readAhead). */
const READ_BATCH = 64;

class Cursor {
  /** Seq of the last message taken. */
  at = 0;
  /** Read but not yet taken, in seq order, from index `head`. */
  buf: CachedMessage[] = [];
  head = 0;
  constructor(readonly maxSeq?: number) {}

  get buffered(): number {
    return this.buf.length - this.head;
  }

  /** Seq after which the next read starts. */
  get readPos(): number {
    return this.buffered > 0 ? this.buf[this.buf.length - 1].seq : this.at;
  }

  clear(): void {
    this.buf = [];
    this.head = 0;
  }
}

export class Drainer {
  readonly inflight = new Map<number, CachedMessage>();
  #send?: SendFn;
  #window = 0;
  #generation = 0;
  #backlog = new Cursor();
  #live = new Cursor();
  #preferLive = false;
  #toDelete: number[] = [];
  /** Bytes (topic + payload) of the rows in #toDelete: the cache then needs no RETURNING to keep its tally. */
  #toDeleteBytes = 0;
  #deleteScheduled = false;
  #pumping = false;
  #readAheadScheduled = false;

  constructor(
    private readonly cache: BoundedCache,
    private readonly events: DrainerEvents,
  ) {}

  get attached(): boolean {
    return this.#send !== undefined;
  }

  /** Start draining over a fresh connection: everything not acknowledged is (re)sent from the oldest. */
  attach(send: SendFn, window: number): void {
    this.detach();
    this.#send = send;
    this.#window = Math.max(1, window);
    const watermark = this.cache.lastSeq;
    this.#backlog = new Cursor(watermark);
    this.#live = new Cursor();
    this.#live.at = watermark;
    this.pump();
  }

  /** The connection is gone: in-flight rows stay in the cache and are resent on the next attach. */
  detach(): void {
    this.#generation++;
    this.#send = undefined;
    this.inflight.clear();
    this.#backlog.clear();
    this.#live.clear();
  }

  /** Seqs overflow must not drop: in flight (maybe already upstream) or acknowledged and awaiting deletion. */
  protectedSeqs(): Set<number> {
    const s = new Set(this.inflight.keys());
    for (const seq of this.#toDelete) s.add(seq);
    return s;
  }

  /** Rows were dropped by overflow: forget prefetched rows (cursors keep their position). */
  invalidate(): void {
    this.#backlog.clear();
    this.#live.clear();
  }

  pump(): void {
    if (this.#pumping) return; // a synchronous ack inside send() re-enters; the outer loop continues
    this.#pumping = true;
    try {
      // an acknowledged row holds its window slot until its deletion is committed, so after a crash at most
      // `window` messages can be sent again
      while (this.#send && this.inflight.size + this.#toDelete.length < this.#window) {
        const msg = this.#next();
        if (!msg) break;
        this.#dispatch(msg);
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#send && !this.#readAheadScheduled && (this.#low(this.#backlog) || this.#low(this.#live))) {
      this.#readAheadScheduled = true;
      setImmediate(this.#readAhead);
    }
  }

  /** Fewer rows buffered than the next window needs, and more to read. */
  #low(c: Cursor): boolean {
    return c.buffered < this.#window && this.#hasMore(c);
  }

  #hasMore(c: Cursor): boolean {
    const pos = c.readPos;
    return pos < (c.maxSeq ?? Infinity) && pos < this.cache.lastSeq;
  }

  /**
   * Read the next rows after the turn that sent the window, while those messages are on the wire: the read
   * then overlaps the wait for acknowledgements instead of delaying the refill that follows them.
   */
  readonly #readAhead = (): void => {
    this.#readAheadScheduled = false;
    if (!this.#send) return;
    for (const c of [this.#backlog, this.#live]) if (this.#low(c)) this.#fill(c);
  };

  #fill(c: Cursor): void {
    const rows = this.cache.readAfter(c.readPos, Math.max(READ_BATCH, this.#window * 2), c.maxSeq);
    if (c.head > 0) {
      c.buf = c.buf.slice(c.head);
      c.head = 0;
    }
    for (const r of rows) c.buf.push(r);
  }

  #next(): CachedMessage | undefined {
    const first = this.#preferLive ? this.#live : this.#backlog;
    const second = this.#preferLive ? this.#backlog : this.#live;
    this.#preferLive = !this.#preferLive;
    return this.#take(first) ?? this.#take(second);
  }

  #take(c: Cursor): CachedMessage | undefined {
    if (c.buffered === 0) {
      if (!this.#hasMore(c)) return undefined; // nothing appended since: spare the query
      c.clear();
      this.#fill(c);
    }
    if (c.buffered === 0) return undefined;
    const msg = c.buf[c.head++];
    c.at = msg.seq;
    return msg;
  }

  #dispatch(msg: CachedMessage): void {
    const expiry = msg.properties?.messageExpiryInterval;
    let out = msg;
    if (expiry !== undefined) {
      // [MQTT-3.3.2-5] an expired message must not be sent; [MQTT-3.3.2-6] forward the time left
      const left = expiry - Math.floor((Date.now() - msg.receivedAt) / 1000);
      if (left <= 0) {
        this.#remove(msg);
        this.events.discarded(msg, 'expired');
        return;
      }
      out = { ...msg, properties: { ...msg.properties, messageExpiryInterval: left } };
    }
    const gen = this.#generation;
    this.inflight.set(msg.seq, msg);
    this.events.sent(msg);
    this.#send!(out, (err) => {
      if (gen !== this.#generation) return; // a closed connection: the row stays and is resent later
      if (err && typeof err.code !== 'number') return; // transport error: the close handler detaches us
      if (!this.inflight.delete(msg.seq)) return; // a second callback for the same message
      this.#remove(msg);
      if (err) this.events.discarded(msg, 'rejected', err);
      else this.events.acked(msg);
    });
  }

  #remove(msg: CachedMessage): void {
    this.#toDelete.push(msg.seq);
    this.#toDeleteBytes += msg.size;
    if (this.#deleteScheduled) return;
    this.#deleteScheduled = true;
    // one transaction per event-loop turn for all acknowledgements that arrived in it
    setImmediate(() => this.flushDeletes());
  }

  flushDeletes(): void {
    this.#deleteScheduled = false;
    const seqs = this.#toDelete.splice(0);
    const bytes = this.#toDeleteBytes;
    this.#toDeleteBytes = 0;
    try {
      this.cache.remove(seqs, bytes);
    } catch (err) {
      this.#toDeleteBytes += bytes;
      // the rows stay and would be resent: a duplicate, never a loss; the slots stay taken until a retry works
      this.#toDelete.unshift(...seqs);
      this.events.error(err as Error);
      setTimeout(() => this.flushDeletes(), 1000).unref?.();
      return;
    }
    this.pump();
  }
}
