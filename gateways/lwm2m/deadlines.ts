/**
 * Deadlines in time order (a binary min-heap), so the 100 ms tick looks only at what is due instead of scanning
 * every endpoint and request. Entries are never removed early: the owner checks on `popDue` whether an entry is
 * still current (lazy deletion), which keeps push and pop O(log n).
 */
export class Deadlines<T> {
  private readonly heap: { at: number; item: T }[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const h = this.heap;
    h.push({ at, item });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** Removes and returns every entry due at `now` or earlier, earliest first. */
  popDue(now: number): { at: number; item: T }[] {
    const out: { at: number; item: T }[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) out.push(this.pop());
    return out;
  }

  private pop(): { at: number; item: T } {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let min = i;
        if (l < h.length && h[l]!.at < h[min]!.at) min = l;
        if (r < h.length && h[r]!.at < h[min]!.at) min = r;
        if (min === i) break;
        [h[min], h[i]] = [h[i]!, h[min]!];
        i = min;
      }
    }
    return top;
  }
}
