/**
 * Subscription trie: topic filter → (key → value), matched against topic names on every PUBLISH.
 *
 * One node per filter level (see trie-node.ts); `+` and `#` are separate child slots so matching a level costs one
 * child lookup plus two field reads. Results are cached per topic (brokers see the same topics over and over); the cache is
 * invalidated precisely for exact filters (they match only the identical topic) and wholesale for wildcard ones.
 */
import { assertTopicFilter } from './assert.js';
import { MatchCache, type MatchCacheStats } from './match-cache.js';
import { TrieNode, type MutableEntry } from './trie-node.js';
import { hasWildcard } from './validate.js';

/** One subscription as stored and as returned by matchArray. */
export interface TrieEntry<T> {
  readonly filter: string;
  readonly key: string;
  readonly value: T;
}

export type MatchVisitor<T> = (value: T, key: string, filter: string) => void;

export interface SubscriptionTrieOptions {
  /** Most topics whose match results are cached; 0 disables the cache. Default 10 000. */
  cacheTopics?: number;
  /**
   * Results with more entries than this are not cached (a `#` with 100k subscribers costs the same to walk as to
   * replay, and caching it would pin 100k references per topic). Default 256.
   */
  cacheMaxResult?: number;
  /** Longer topics are not cached, so 10k cached 64 KiB topic names cannot pin 640 MiB. Default 512 chars. */
  cacheMaxTopicLength?: number;
}

const EMPTY: readonly MutableEntry<never>[] = [];

export class SubscriptionTrie<T> {
  private readonly root = new TrieNode<T>(undefined, '');
  private readonly cache: MatchCache<readonly MutableEntry<T>[]>;
  private readonly cacheMaxResult: number;
  private readonly cacheMaxTopicLength: number;
  private count = 0;

  constructor(opts: SubscriptionTrieOptions = {}) {
    this.cache = new MatchCache(opts.cacheTopics ?? 10_000);
    this.cacheMaxResult = opts.cacheMaxResult ?? 256;
    this.cacheMaxTopicLength = opts.cacheMaxTopicLength ?? 512;
  }

  /** Number of (filter, key) subscriptions. */
  get size(): number {
    return this.count;
  }

  /**
   * Add or replace the value for (filter, key). Returns true when the pair is new ([MQTT-3.8.4-3]: a repeated
   * SUBSCRIBE replaces the existing subscription). Throws TopicError PH_TOPIC_INVALID for an invalid filter; a
   * shared filter must be split with parseSharedFilter first and its inner filter inserted.
   */
  insert(filter: string, key: string, value: T): boolean {
    assertTopicFilter(filter);
    let node = this.root;
    for (const level of filter.split('/')) {
      if (level === '+') node = node.plus ??= new TrieNode(node, level);
      else if (level === '#') node = node.hash ??= new TrieNode(node, level);
      else node = node.childOrCreate(level);
    }
    const existing = node.entry(key);
    if (existing !== undefined) {
      // Cached result lists hold the entry object itself, so replacing the value needs no invalidation.
      existing.value = value;
      return false;
    }
    node.addEntry({ filter, key, value });
    this.count++;
    this.invalidate(filter);
    return true;
  }

  /** Remove (filter, key). Returns false when it was not subscribed. Prunes nodes left empty. */
  remove(filter: string, key: string): boolean {
    const node = this.find(filter);
    if (node?.removeEntry(key) !== true) return false;
    this.count--;
    this.prune(node);
    this.invalidate(filter);
    return true;
  }

  /** The value stored for (filter, key), if any. */
  get(filter: string, key: string): T | undefined {
    return this.find(filter)?.entry(key)?.value;
  }

  /**
   * Call visit once per subscription whose filter matches the topic name. The set visited is the set subscribed
   * when match was called, even if visit inserts or removes subscriptions. Allocates nothing on a cache hit.
   * A key subscribed with several matching filters is visited once per filter; de-duplicating per client
   * ([MQTT-3.3.4-2]) is the caller's business.
   */
  match(topic: string, visit: MatchVisitor<T>): void {
    let found = this.cache.get(topic);
    if (found === undefined) found = this.walk(topic);
    for (let i = 0; i < found.length; i++) {
      const e = found[i];
      visit(e.value, e.key, e.filter);
    }
  }

  /** Convenience: the matching subscriptions as a fresh array (allocates; not for the hot path). */
  matchArray(topic: string): TrieEntry<T>[] {
    const found = this.cache.get(topic) ?? this.walk(topic);
    return found.map((e) => ({ filter: e.filter, key: e.key, value: e.value }));
  }

  /** Cache counters for metrics. */
  cacheStats(): MatchCacheStats {
    return this.cache.stats();
  }

  private walk(topic: string): readonly MutableEntry<T>[] {
    const levels = topic.split('/');
    const out: MutableEntry<T>[] = [];
    // [MQTT-4.7.2-1] wildcards at the first level never match a topic name starting with '$'.
    const dollar = topic.charCodeAt(0) === 0x24;
    collect(this.root, levels, 0, dollar, out);
    const result = out.length === 0 ? (EMPTY as readonly MutableEntry<T>[]) : out;
    if (result.length <= this.cacheMaxResult && topic.length <= this.cacheMaxTopicLength) this.cache.set(topic, result);
    return result;
  }

  private find(filter: string): TrieNode<T> | undefined {
    let node: TrieNode<T> | undefined = this.root;
    for (const level of filter.split('/')) {
      if (level === '+') node = node.plus;
      else if (level === '#') node = node.hash;
      else node = node.child(level);
      if (node === undefined) return undefined;
    }
    return node;
  }

  private prune(from: TrieNode<T>): void {
    let node = from;
    while (node.parent !== undefined && node.isEmpty()) {
      node.parent.detach(node);
      node = node.parent;
    }
  }

  private invalidate(filter: string): void {
    // An exact filter matches only the topic spelled the same, so only that cached result can change.
    if (hasWildcard(filter)) this.cache.clear();
    else this.cache.delete(filter);
  }
}

function collect<T>(
  node: TrieNode<T>,
  levels: readonly string[],
  i: number,
  dollar: boolean,
  out: MutableEntry<T>[],
): void {
  const wildcardsAllowed = i !== 0 || !dollar;
  // [MQTT-4.7.1-2] '#' matches the remaining levels, and also the parent level itself ("sport/#" matches "sport").
  if (node.hash !== undefined && wildcardsAllowed) node.hash.pushEntries(out);
  if (i === levels.length) {
    node.pushEntries(out);
    return;
  }
  // [MQTT-4.7.1-3] '+' matches exactly one level, including an empty one.
  if (node.plus !== undefined && wildcardsAllowed) collect(node.plus, levels, i + 1, dollar, out);
  const next = node.child(levels[i]);
  if (next !== undefined) collect(next, levels, i + 1, dollar, out);
}
