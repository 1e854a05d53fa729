/** FIFO with O(1) push/shift (a growable ring), for per-session queues that may hold 100k+ entries. */
export class Deque<T> {
  #buf: (T | undefined)[] = new Array(16);
  #head = 0;
  #size = 0;

  get length(): number {
    return this.#size;
  }

  push(v: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#size) % this.#buf.length] = v;
    this.#size++;
  }

  unshift(v: T): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#head = (this.#head - 1 + this.#buf.length) % this.#buf.length;
    this.#buf[this.#head] = v;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const v = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#buf.length;
    this.#size--;
    return v;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#buf[this.#head];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#size; i++) yield this.#buf[(this.#head + i) % this.#buf.length] as T;
  }

  /** Remove every element for which pred is true; keeps order. */
  removeWhere(pred: (v: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (const v of this) (pred(v) ? removed : kept).push(v);
    this.clear();
    for (const v of kept) this.push(v);
    return removed;
  }

  clear(): void {
    this.#buf = new Array(16);
    this.#head = 0;
    this.#size = 0;
  }

  #grow(): void {
    const next: (T | undefined)[] = new Array(this.#buf.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = this.#buf[(this.#head + i) % this.#buf.length];
    this.#buf = next;
    this.#head = 0;
  }
}
