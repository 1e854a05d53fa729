/**
 * Wrong-credentials limiter: at most `max` failures per client address within `windowMs`; beyond that every
 * request from the address gets 429 until the window has passed. The table is bounded (oldest entry evicted),
 * so a flood of spoofed addresses costs memory only up to `maxEntries`.
 */
export class FailureLimiter {
  readonly #failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the address may try again, or 0 when it is not blocked. */
  blockedFor(address: string): number {
    const e = this.#failures.get(address);
    if (!e) return 0;
    const left = e.since + this.windowMs - this.now();
    if (left <= 0) {
      this.#failures.delete(address);
      return 0;
    }
    return e.count >= this.max ? Math.ceil(left / 1000) : 0;
  }

  fail(address: string): void {
    const now = this.now();
    let e = this.#failures.get(address);
    if (!e || e.since + this.windowMs <= now) {
      this.#failures.delete(address);
      if (this.#failures.size >= this.maxEntries) this.#failures.delete(this.#failures.keys().next().value as string);
      e = { count: 0, since: now };
      this.#failures.set(address, e);
    }
    e.count++;
  }
}
