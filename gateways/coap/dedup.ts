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

interface Seen {
  at: number;
  /** The encoded reply to a CON (ACK or RST); undefined while the request is still being handled or for NON. */
  reply?: Buffer;
}

export type DedupVerdict =
  /** First time: handle it. */
  | { kind: 'new' }
  /** Seen before and answered: send `reply` again (CON) or nothing (NON / no reply yet). */
  | { kind: 'duplicate'; reply?: Buffer };

export class DedupCache {
  private readonly seen = new Map<string, Seen>();
  /** Ids forgotten before their lifetime because the cache was full. */
  evicted = 0;

  constructor(private readonly limits: DedupLimits) {}

  get size(): number {
    return this.seen.size;
  }

  check(peer: string, messageId: number, now: number): DedupVerdict {
    const key = `${peer}#${messageId}`;
    const s = this.seen.get(key);
    if (s && now - s.at < this.limits.lifetimeMs) return { kind: 'duplicate', reply: s.reply };
    if (s) this.seen.delete(key);
    this.expire(now);
    while (this.seen.size >= this.limits.maxEntries) {
      this.seen.delete(this.seen.keys().next().value as string);
      this.evicted++;
    }
    this.seen.set(key, { at: now });
    return { kind: 'new' };
  }

  /** Remember the reply sent to a CON so a retransmission gets it again. */
  answered(peer: string, messageId: number, reply: Buffer): void {
    const s = this.seen.get(`${peer}#${messageId}`);
    if (s) s.reply = reply;
  }

  private expire(now: number): void {
    for (const [key, s] of this.seen) {
      if (now - s.at < this.limits.lifetimeMs) break;
      this.seen.delete(key);
    }
  }
}
