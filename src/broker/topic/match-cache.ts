/**
 * Bounded topic → match-result cache with second-chance ("clock") eviction, an LRU approximation whose hit
 * path is one Map lookup and a flag write: a strict LRU would move the entry (delete + set) on every hit, which
 * costs more than the trie walk it saves for short topics.
 */
import { ConfigError } from '../../errors.js';

interface Slot<V> {
  value: V;
  referenced: boolean;
}

export interface MatchCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Whole-cache invalidations (a wildcard subscription was added or removed). */
  clears: number;
  size: number;
  capacity: number;
}

export class MatchCache<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private clears = 0;

  /** capacity 0 disables caching: get always misses and set stores nothing. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      const message = `topic match cache capacity must be an integer >= 0, got ${capacity}`;
      throw new ConfigError('PH_CONFIG_INVALID', message, [message]);
    }
  }

  get(topic: string): V | undefined {
    const slot = this.slots.get(topic);
    if (slot === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    slot.referenced = true;
    return slot.value;
  }

  set(topic: string, value: V): void {
    if (this.capacity === 0) return;
    const existing = this.slots.get(topic);
    if (existing !== undefined) {
      existing.value = value;
      return;
    }
    if (this.slots.size >= this.capacity) this.evictOne();
    this.slots.set(topic, { value, referenced: false });
  }

  delete(topic: string): void {
    this.slots.delete(topic);
  }

  clear(): void {
    if (this.slots.size === 0) return;
    this.slots.clear();
    this.clears++;
  }

  get size(): number {
    return this.slots.size;
  }

  stats(): MatchCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      clears: this.clears,
      size: this.slots.size,
      capacity: this.capacity,
    };
  }

  /**
   * Walk from the oldest slot: a referenced slot gets a second chance (flag cleared, moved to the young end),
   * the first unreferenced one is evicted. Terminates within one lap because every slot passed is unflagged.
   */
  private evictOne(): void {
    for (const [topic, slot] of this.slots) {
      this.slots.delete(topic);
      if (!slot.referenced) {
        this.evictions++;
        return;
      }
      slot.referenced = false;
      this.slots.set(topic, slot);
    }
  }
}
