/** Fixed-capacity latency sample store (microseconds) with percentiles computed once at the end. */

export class LatencyRecorder {
  private readonly samples: Float64Array;
  count = 0;
  /** Samples that arrived after the store was full (bounded memory; reported, not silently lost). */
  overflow = 0;

  constructor(capacity = 1_000_000) {
    this.samples = new Float64Array(capacity);
  }

  record(micros: number): void {
    if (this.count < this.samples.length) this.samples[this.count++] = micros;
    else this.overflow++;
  }

  values(): number[] {
    return Array.from(this.samples.subarray(0, this.count));
  }
}

/** Nearest-rank percentile (p in 0..100) of an unsorted list; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileOfSorted(sorted, p);
}

export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Wall clock in ms with sub-ms resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
