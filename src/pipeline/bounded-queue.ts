/**
 * A FIFO bounded by message count and bytes, with an overflow policy. Pure data structure: it never blocks;
 * `block` is realised by the caller pausing its source while `full` (see bufferedConcatMap).
 */
export type OverflowPolicy = 'drop_oldest' | 'drop_newest' | 'block';

export interface BoundedQueueOptions<T> {
  maxMessages: number;
  maxBytes: number;
  policy: OverflowPolicy;
  /** Size of one item in bytes (payload length); items bigger than maxBytes are always dropped. */
  sizeOf: (item: T) => number;
}

export type DropReason = 'overflow' | 'too_large';

export interface Dropped<T> {
  item: T;
  reason: DropReason;
}

export class BoundedQueue<T> {
  readonly #opts: BoundedQueueOptions<T>;
  // A ring would avoid shift() cost; arrays stay small enough (bounded) that shift is fine here.
  readonly #items: T[] = [];
  #bytes = 0;

  constructor(opts: BoundedQueueOptions<T>) {
    if (opts.maxMessages < 1 || opts.maxBytes < 1) throw new RangeError('queue limits must be >= 1');
    this.#opts = opts;
  }

  get length(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** True when one more item of `size` bytes would not fit without dropping. */
  isFull(size = 0): boolean {
    return this.#items.length >= this.#opts.maxMessages || this.#bytes + size > this.#opts.maxBytes;
  }

  /**
   * Add an item; returns what had to be dropped to respect the limits (the new item under drop_newest and
   * block, the oldest ones under drop_oldest).
   */
  push(item: T): Dropped<T>[] {
    const size = this.#opts.sizeOf(item);
    if (size > this.#opts.maxBytes) return [{ item, reason: 'too_large' }];
    const dropped: Dropped<T>[] = [];
    if (this.isFull(size)) {
      if (this.#opts.policy !== 'drop_oldest') return [{ item, reason: 'overflow' }];
      while (this.#items.length > 0 && this.isFull(size)) {
        dropped.push({ item: this.shift() as T, reason: 'overflow' });
      }
    }
    this.#items.push(item);
    this.#bytes += size;
    return dropped;
  }

  shift(): T | undefined {
    const item = this.#items.shift();
    if (item !== undefined) this.#bytes -= this.#opts.sizeOf(item);
    return item;
  }

  /** Remove and return everything (on teardown, so callers can release/ack what never ran). */
  drain(): T[] {
    const all = this.#items.splice(0);
    this.#bytes = 0;
    return all;
  }
}
