/**
 * Message deduplication (RFC 7252 §4.5): a CON or NON the peer sent again with the same message id within the
 * exchange lifetime is not processed twice; a duplicate CON gets the same response again. Bounded: at most
 * `maxEntries` remembered ids (oldest forgotten first, counted), so a flood of fresh ids costs bounded memory at
 * the price of a shorter memory under load.
 */

export interface DedupLimits {
  maxEntries: number;
  /** EXCHANGE_LIFETIME (247 s with the RFC 7252 §4.8.2 defaults); NON_LIFETIME (145 s) would do for NON. */
  lifetimeMs: number;
}

/** One remembered message id; also its slot in the oldest-first queue. */
interface Seen {
  at: number;
  /** The encoded reply to a CON (ACK or RST); undefined while the request is still being handled or for NON. */
  reply?: Buffer;
  readonly peer: string;
  readonly id: number;
  /** The peer's table it was put in (gone from byPeer once that peer has nothing remembered). */
  readonly ids: Map<number, Seen>;
}

export type DedupVerdict =
  /** First time: handle it. */
  | { kind: 'new' }
  /** Seen before and answered: send `reply` again (CON) or nothing (NON / no reply yet). */
  | { kind: 'duplicate'; reply?: Buffer };

const NEW: DedupVerdict = Object.freeze({ kind: 'new' });

/**
 * Per peer a table of numeric message ids (a string key per datagram, `peer#id`, in one table of up to
 * max_entries was the costliest map work of a NON publish), and one queue oldest first for expiry and eviction.
 */
export class DedupCache {
  private readonly byPeer = new Map<string, Map<number, Seen>>();
  /** Insertion order = time order; entries already forgotten stay until they reach the head. */
  private queue: Seen[] = [];
  private head = 0;
  private count = 0;
  /** Ids forgotten before their lifetime because the cache was full. */
  evicted = 0;

  constructor(private readonly limits: DedupLimits) {}

  get size(): number {
    return this.count;
  }

  check(peer: string, messageId: number, now: number): DedupVerdict {
    const s = this.byPeer.get(peer)?.get(messageId);
    if (s) {
      if (now - s.at < this.limits.lifetimeMs) return { kind: 'duplicate', reply: s.reply };
      this.forget(s);
    }
    this.expire(now);
    while (this.count >= this.limits.maxEntries && this.head < this.queue.length) {
      if (this.forget(this.queue[this.head++]!)) this.evicted++;
    }
    let ids = this.byPeer.get(peer);
    if (!ids) this.byPeer.set(peer, (ids = new Map()));
    const seen: Seen = { at: now, reply: undefined, peer, id: messageId, ids };
    ids.set(messageId, seen);
    this.count++;
    this.queue.push(seen);
    this.compact();
    return NEW;
  }

  /** Remember the reply sent to a CON so a retransmission gets it again. */
  answered(peer: string, messageId: number, reply: Buffer): void {
    const s = this.byPeer.get(peer)?.get(messageId);
    if (s) s.reply = reply;
  }

  /** Drop `s` from its peer's table if it is still the live entry there; true when it was. */
  private forget(s: Seen): boolean {
    if (s.ids.get(s.id) !== s) return false;
    s.ids.delete(s.id);
    this.count--;
    if (s.ids.size === 0 && this.byPeer.get(s.peer) === s.ids) this.byPeer.delete(s.peer);
    return true;
  }

  private expire(now: number): void {
    while (this.head < this.queue.length) {
      const s = this.queue[this.head]!;
      if (now - s.at < this.limits.lifetimeMs) break;
      this.head++;
      this.forget(s);
    }
  }

  /** The consumed head of the queue is given back now and then (amortised O(1) per entry). */
  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
