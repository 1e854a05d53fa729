/**
 * A bounded least-recently-used map. A Map keeps insertion order, so re-inserting on a hit moves the key
 * to the young end and the first key is always the eviction victim.
 */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #capacity: number;
  #evictions = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`LRU capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  /** Insert or refresh; evicts the least recently used entry when full. Returns true if one was evicted. */
  set(key: K, value: V): boolean {
    if (this.#map.has(key)) this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size <= this.#capacity) return false;
    const oldest = this.#map.keys().next().value as K;
    this.#map.delete(oldest);
    this.#evictions++;
    return true;
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }

  get evictions(): number {
    return this.#evictions;
  }
}
