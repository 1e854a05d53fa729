/**
 * Per-hub Prometheus registry. Each Hub owns one Metrics, so several hubs can run in one process (tests)
 * without metric-name clashes. Metric getters are memoised by name.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly #counters = new Map<string, Counter<string>>();
  readonly #gauges = new Map<string, Gauge<string>>();
  readonly #histograms = new Map<string, Histogram<string>>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter<string> {
    let c = this.#counters.get(name);
    if (!c) {
      c = new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
      this.#counters.set(name, c);
    }
    return c;
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge<string> {
    let g = this.#gauges.get(name);
    if (!g) {
      g = new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });
      this.#gauges.set(name, g);
    }
    return g;
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: number[]): Histogram<string> {
    let h = this.#histograms.get(name);
    if (!h) {
      h = new Histogram({ name, help, labelNames: [...labelNames], registers: [this.registry], ...(buckets ? { buckets } : {}) });
      this.#histograms.set(name, h);
    }
    return h;
  }

  /** Current value of a counter/gauge (sum over label sets matching `labels`), for status and tests. */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const data = await metric.get();
    let sum = 0;
    for (const v of data.values) {
      if (Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val)) sum += v.value;
    }
    return sum;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
