/**
 * Message rates for the overview: totals of the broker's counters sampled every `intervalMs`; a rate is the
 * difference between the last two samples. A timer only while the HTTP API runs (unref'd).
 */
import type { Metrics } from '../metrics.js';

export const RATE_COUNTERS = {
  received: 'protohub_messages_received_total',
  sent: 'protohub_messages_sent_total',
  dropped: 'protohub_messages_dropped_total',
  bytes_received: 'protohub_bytes_received_total',
  bytes_sent: 'protohub_bytes_sent_total',
} as const;

export type RateName = keyof typeof RATE_COUNTERS;

/** Sum of a metric's samples, optionally grouped by one label. Missing metric → empty. */
export async function metricSums(metrics: Metrics, name: string, by?: string): Promise<Record<string, number>> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) return {};
  const out: Record<string, number> = {};
  for (const v of (await m.get()).values) {
    const key = by ? String(v.labels[by] ?? '') : 'total';
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

export class RateSampler {
  #timer?: NodeJS.Timeout;
  #prev?: { at: number; totals: Record<RateName, number> };
  #last?: { at: number; totals: Record<RateName, number> };

  constructor(
    private readonly metrics: Metrics,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    if (this.#timer) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async totals(): Promise<Record<RateName, number>> {
    const out = {} as Record<RateName, number>;
    for (const [k, name] of Object.entries(RATE_COUNTERS) as Array<[RateName, string]>)
      out[k] = (await metricSums(this.metrics, name)).total ?? 0;
    return out;
  }

  async sample(): Promise<void> {
    const totals = await this.totals();
    this.#prev = this.#last;
    this.#last = { at: Date.now(), totals };
  }

  /** Per-second rates over the last sampling interval (zeros until two samples exist). */
  rates(): Record<RateName, number> {
    const out = {} as Record<RateName, number>;
    for (const k of Object.keys(RATE_COUNTERS) as RateName[]) {
      const a = this.#prev;
      const b = this.#last;
      const dt = a && b ? (b.at - a.at) / 1000 : 0;
      out[k] = dt > 0 ? Math.max(0, Math.round(((b!.totals[k] - a!.totals[k]) / dt) * 100) / 100) : 0;
    }
    return out;
  }
}
