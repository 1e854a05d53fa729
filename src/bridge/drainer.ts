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

class Cursor {
  at = 0;
  buf: CachedMessage[] = [];
  constructor(readonly maxSeq?: number) {}
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
  #deleteScheduled = false;
  #pumping = false;

  constructor(private readonly cache: BoundedCache, private readonly events: DrainerEvents) {}

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
    this.#backlog.buf = [];
    this.#live.buf = [];
  }

  /** Seqs overflow must not drop: in flight (maybe already upstream) or acknowledged and awaiting deletion. */
  protectedSeqs(): Set<number> {
    const s = new Set(this.inflight.keys());
    for (const seq of this.#toDelete) s.add(seq);
    return s;
  }

  /** Rows were dropped by overflow: forget prefetched rows (cursors keep their position). */
  invalidate(): void {
    this.#backlog.buf = [];
    this.#live.buf = [];
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
  }

  #next(): CachedMessage | undefined {
    const first = this.#preferLive ? this.#live : this.#backlog;
    const second = this.#preferLive ? this.#backlog : this.#live;
    this.#preferLive = !this.#preferLive;
    return this.#take(first) ?? this.#take(second);
  }

  #take(c: Cursor): CachedMessage | undefined {
    if (c.buf.length === 0) {
      if (c.maxSeq !== undefined && c.at >= c.maxSeq) return undefined;
      if (c.at >= this.cache.lastSeq) return undefined; // nothing appended since: spare the query
      c.buf = this.cache.readAfter(c.at, Math.max(256, this.#window), c.maxSeq);
    }
    const msg = c.buf.shift();
    if (msg) c.at = msg.seq;
    return msg;
  }

  #dispatch(msg: CachedMessage): void {
    const expiry = msg.properties?.messageExpiryInterval;
    let out = msg;
    if (expiry !== undefined) {
      // [MQTT-3.3.2-5] an expired message must not be sent; [MQTT-3.3.2-6] forward the time left
      const left = expiry - Math.floor((Date.now() - msg.receivedAt) / 1000);
      if (left <= 0) {
        this.#remove(msg.seq);
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
      this.#remove(msg.seq);
      if (err) this.events.discarded(msg, 'rejected', err);
      else this.events.acked(msg);
    });
  }

  #remove(seq: number): void {
    this.#toDelete.push(seq);
    if (this.#deleteScheduled) return;
    this.#deleteScheduled = true;
    // one transaction per event-loop turn for all acknowledgements that arrived in it
    setImmediate(() => this.flushDeletes());
  }

  flushDeletes(): void {
    this.#deleteScheduled = false;
    const seqs = this.#toDelete.splice(0);
    try {
      this.cache.remove(seqs);
    } catch (err) {
      // the rows stay and would be resent: a duplicate, never a loss; the slots stay taken until a retry works
      this.#toDelete.unshift(...seqs);
      this.events.error(err as Error);
      setTimeout(() => this.flushDeletes(), 1000).unref?.();
      return;
    }
    this.pump();
  }
}
