/**
 * Message ids of the messages the gateway originates (notifications, separate responses, NON answers). RFC 7252
 * §4.4: an id must not be reused towards the same endpoint within EXCHANGE_LIFETIME, so each peer gets its own
 * 16-bit counter (random start, §4.4 "SHOULD be randomized") — one shared counter wraps after 65,536 messages to
 * everyone and hands a slow peer an id it saw moments ago. Bounded: at most `maxPeers` counters; a peer idle for
 * the lifetime is forgotten (its next id may be anything again), and past the bound the least recently used is
 * forgotten early (counted: its next counter starts at random, so a reuse is possible but unlikely).
 */
export interface MessageIdLimits {
  maxPeers: number;
  lifetimeMs: number;
}

interface Counter {
  last: number;
  at: number;
}

export class MessageIds {
  /** In order of last use, so expiry stops at the first live entry. */
  private readonly counters = new Map<string, Counter>();
  /** Counters forgotten before their lifetime because the table was full. */
  evicted = 0;

  constructor(
    private readonly limits: MessageIdLimits,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.counters.size;
  }

  next(peer: string, now: number): number {
    let c = this.counters.get(peer);
    if (c && now - c.at >= this.limits.lifetimeMs) c = undefined;
    this.counters.delete(peer);
    if (!c) {
      this.expire(now);
      while (this.counters.size >= this.limits.maxPeers) {
        this.counters.delete(this.counters.keys().next().value as string);
        this.evicted++;
      }
      c = { last: Math.floor(this.random() * 0x10000), at: now };
    }
    c.last = (c.last + 1) & 0xffff;
    c.at = now;
    this.counters.set(peer, c);
    return c.last;
  }

  private expire(now: number): void {
    for (const [peer, c] of this.counters) {
      if (now - c.at < this.limits.lifetimeMs) break;
      this.counters.delete(peer);
    }
  }
}
