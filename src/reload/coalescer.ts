/**
 * Keeps reload storms harmless: at most one reload runs, at most one waits behind it, and runs start at least
 * `minIntervalMs` apart. Every request made while one is waiting joins that waiting one (it will read the config
 * file after the request anyway, so it sees the caller's change). A burst of 100 SIGHUPs is two reloads.
 */

export interface CoalescerOptions {
  /** Least time between the starts of two runs (default 1000 ms). */
  minIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CoalescerStats {
  /** Runs started. */
  runs: number;
  /** Requests answered by a run another request had already queued. */
  coalesced: number;
}

export class ReloadCoalescer<T> {
  readonly #run: () => Promise<T>;
  readonly #minIntervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #inFlight?: Promise<T>;
  #queued?: Promise<T>;
  #lastStart = -Infinity;
  readonly stats: CoalescerStats = { runs: 0, coalesced: 0 };

  constructor(run: () => Promise<T>, opts: CoalescerOptions = {}) {
    this.#run = run;
    this.#minIntervalMs = opts.minIntervalMs ?? 1000;
    this.#now = opts.now ?? Date.now;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
  }

  /** Ask for a run; resolves with the result of the run that covers this request. */
  request(): Promise<T> {
    if (this.#queued) {
      this.stats.coalesced++;
      return this.#queued;
    }
    const before = this.#inFlight?.catch(() => undefined) ?? Promise.resolve();
    const queued = before.then(async () => {
      const wait = this.#lastStart + this.#minIntervalMs - this.#now();
      if (wait > 0) await this.#sleep(wait);
      // from here on a new request queues behind this run rather than joining it
      this.#queued = undefined;
      this.#lastStart = this.#now();
      this.stats.runs++;
      const running = this.#run();
      this.#inFlight = running;
      try {
        return await running;
      } finally {
        if (this.#inFlight === running) this.#inFlight = undefined;
      }
    });
    this.#queued = queued;
    return queued;
  }
}
