/**
 * Per-hub Prometheus registry. Each Hub owns one Metrics, so several hubs can run in one process (tests)
 * without metric-name clashes. Metric getters are memoised by name.
 *
 * Counters on the message hot path use `fastCounter`: plain numbers incremented per message and handed to
 * prom-client only when /metrics is scraped (prom-client's own inc() hashes labels on every call, which showed
 * up as ~9% of broker CPU in a profile).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A counter child bound to one label set. */
export interface CounterChild {
  inc(n?: number): void;
}

export interface FastCounter {
  labels(labels?: Record<string, string>): CounterChild;
  inc(labels?: Record<string, string> | number, n?: number): void;
}

class FastChild implements CounterChild {
  value = 0;
  reported = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(n = 1): void {
    this.value += n;
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly #counters = new Map<string, Counter<string>>();
  readonly #fast = new Map<string, FastCounter>();
  readonly #fastGauges = new Map<string, { labels(labels: Record<string, string>): { set(v: number): void } }>();
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

  /** A counter cheap enough to increment per message; same exposition as `counter`. */
  fastCounter(name: string, help: string, labelNames: readonly string[] = []): FastCounter {
    let f = this.#fast.get(name);
    if (f) return f;
    const children = new Map<string, FastChild>();
    const child = (labels: Record<string, string> = {}): FastChild => {
      const key = labelNames.map((l) => labels[l] ?? '').join('\u0000');
      let c = children.get(key);
      if (!c) {
        c = new FastChild(labels);
        children.set(key, c);
      }
      return c;
    };
    new Counter({
      name,
      help,
      labelNames: [...labelNames],
      registers: [this.registry],
      collect() {
        for (const c of children.values()) {
          const delta = c.value - c.reported;
          if (delta > 0) {
            this.inc(c.labels, delta);
            c.reported = c.value;
          } else if (c.reported === 0) {
            this.inc(c.labels, 0); // expose a zero sample for label sets that exist
          }
        }
      },
    });
    f = {
      labels: child,
      inc: (labels?: Record<string, string> | number, n?: number) => {
        if (typeof labels === 'number') child().inc(labels);
        else child(labels).inc(n ?? 1);
      },
    };
    this.#fast.set(name, f);
    return f;
  }

  /**
   * A gauge set per message (queue depths): plain numbers per label set, handed to prom-client at scrape time.
   * `labels(l)` returns a setter bound to that label set.
   */
  fastGauge(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
  ): { labels(labels: Record<string, string>): { set(v: number): void } } {
    const existing = this.#fastGauges.get(name);
    if (existing) return existing;
    const children = new Map<string, { labels: Record<string, string>; value: number }>();
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [this.registry],
      collect() {
        for (const c of children.values()) this.set(c.labels, c.value);
      },
    });
    const g = {
      labels: (labels: Record<string, string>) => {
        const key = labelNames.map((l) => labels[l] ?? '').join('\u0000');
        let c = children.get(key);
        if (!c) children.set(key, (c = { labels, value: 0 }));
        const child = c;
        return {
          set: (v: number) => {
            child.value = v;
          },
        };
      },
    };
    this.#fastGauges.set(name, g);
    return g;
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
      h = new Histogram({
        name,
        help,
        labelNames: [...labelNames],
        registers: [this.registry],
        ...(buckets ? { buckets } : {}),
      });
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
