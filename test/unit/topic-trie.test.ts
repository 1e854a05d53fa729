import { describe, expect, it } from 'vitest';
import { SubscriptionTrie } from '../../src/broker/topic/trie.js';
import { TopicError } from '../../src/errors.js';

function matchedPairs<T>(trie: SubscriptionTrie<T>, topic: string): string[] {
  const out: string[] = [];
  trie.match(topic, (value, key, filter) => out.push(`${filter}|${key}|${String(value)}`));
  return out.sort();
}

describe('SubscriptionTrie', () => {
  it('visits every matching (filter, key) with its value', () => {
    const trie = new SubscriptionTrie<number>();
    trie.insert('sport/tennis/player1', 'c1', 1);
    trie.insert('sport/tennis/+', 'c2', 2);
    trie.insert('sport/#', 'c3', 3);
    trie.insert('#', 'c4', 4);
    trie.insert('sport/tennis/player2', 'c5', 5);
    trie.insert('+/+/+/+', 'c6', 6);
    expect(matchedPairs(trie, 'sport/tennis/player1')).toEqual([
      '#|c4|4',
      'sport/#|c3|3',
      'sport/tennis/+|c2|2',
      'sport/tennis/player1|c1|1',
    ]);
    expect(trie.size).toBe(6);
  });

  it('[MQTT-4.7.1-2] sport/# matches sport itself', () => {
    const trie = new SubscriptionTrie<string>();
    trie.insert('sport/#', 'k', 'v');
    expect(matchedPairs(trie, 'sport')).toEqual(['sport/#|k|v']);
    expect(matchedPairs(trie, 'sports')).toEqual([]);
  });

  it('[MQTT-4.7.1-3] + matches one level including an empty one, never zero levels', () => {
    const trie = new SubscriptionTrie<string>();
    trie.insert('a/+/b', 'k', 'v');
    trie.insert('sport/+', 'k', 'v');
    expect(matchedPairs(trie, 'a//b')).toEqual(['a/+/b|k|v']);
    expect(matchedPairs(trie, 'sport')).toEqual([]);
    expect(matchedPairs(trie, 'sport/')).toEqual(['sport/+|k|v']);
  });

  it('[MQTT-4.7.2-1] wildcards at the first level do not match $-topics', () => {
    const trie = new SubscriptionTrie<string>();
    trie.insert('#', 'all', 'v');
    trie.insert('+/monitor/Clients', 'plus', 'v');
    trie.insert('$SYS/#', 'sys', 'v');
    trie.insert('$SYS/monitor/+', 'sysplus', 'v');
    expect(matchedPairs(trie, '$SYS/monitor/Clients')).toEqual(['$SYS/#|sys|v', '$SYS/monitor/+|sysplus|v']);
    expect(matchedPairs(trie, 'x/monitor/Clients')).toEqual(['#|all|v', '+/monitor/Clients|plus|v']);
  });

  it('[MQTT-3.8.4-3] re-insert of (filter, key) replaces the value, also for cached results', () => {
    const trie = new SubscriptionTrie<number>();
    expect(trie.insert('a/+', 'k', 1)).toBe(true);
    expect(matchedPairs(trie, 'a/b')).toEqual(['a/+|k|1']);
    expect(trie.insert('a/+', 'k', 2)).toBe(false);
    expect(matchedPairs(trie, 'a/b')).toEqual(['a/+|k|2']);
    expect(trie.get('a/+', 'k')).toBe(2);
    expect(trie.size).toBe(1);
  });

  it('remove returns whether it removed, and invalidates cached results', () => {
    const trie = new SubscriptionTrie<number>();
    trie.insert('a/b', 'k1', 1);
    trie.insert('a/+', 'k2', 2);
    expect(matchedPairs(trie, 'a/b')).toHaveLength(2);
    expect(trie.remove('a/b', 'k1')).toBe(true);
    expect(trie.remove('a/b', 'k1')).toBe(false);
    expect(trie.remove('a/c', 'k2')).toBe(false);
    expect(matchedPairs(trie, 'a/b')).toEqual(['a/+|k2|2']);
    expect(trie.remove('a/+', 'k2')).toBe(true);
    expect(matchedPairs(trie, 'a/b')).toEqual([]);
    expect(trie.size).toBe(0);
  });

  it('adding an exact filter invalidates only that topic; a wildcard clears the cache', () => {
    const trie = new SubscriptionTrie<number>();
    trie.insert('x', 'k', 0);
    trie.match('a/b', () => {});
    trie.match('a/c', () => {});
    trie.insert('a/b', 'k', 1);
    expect(matchedPairs(trie, 'a/b')).toEqual(['a/b|k|1']);
    expect(trie.cacheStats().clears).toBe(0);
    trie.insert('a/#', 'k', 2);
    expect(trie.cacheStats().clears).toBe(1);
    expect(matchedPairs(trie, 'a/c')).toEqual(['a/#|k|2']);
  });

  it('removing the last entry prunes empty nodes', () => {
    const trie = new SubscriptionTrie<number>();
    trie.insert('a/b/c/d', 'k', 1);
    trie.insert('a/+/#', 'k', 1);
    trie.remove('a/b/c/d', 'k');
    trie.remove('a/+/#', 'k');
    // White-box: the root must have no children left.
    expect((trie as unknown as { root: { isEmpty(): boolean } }).root.isEmpty()).toBe(true);
    trie.insert('a/b', 'k', 3);
    expect(matchedPairs(trie, 'a/b')).toEqual(['a/b|k|3']);
  });

  it('visits a snapshot: subscriptions changed inside visit do not change the current match', () => {
    const trie = new SubscriptionTrie<number>({ cacheTopics: 0 });
    for (let i = 0; i < 5; i++) trie.insert('t/#', `k${i}`, i);
    const seen: string[] = [];
    trie.match('t/x', (_v, key) => {
      seen.push(key);
      trie.remove('t/#', 'k4');
      trie.insert('t/x', 'new', 9);
    });
    expect(seen).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(matchedPairs(trie, 't/x')).toEqual(['t/#|k0|0', 't/#|k1|1', 't/#|k2|2', 't/#|k3|3', 't/x|new|9']);
  });

  it('re-entrant match from inside visit', () => {
    const trie = new SubscriptionTrie<number>();
    trie.insert('a', 'k', 1);
    trie.insert('b', 'k', 2);
    const seen: number[] = [];
    trie.match('a', (v) => {
      seen.push(v);
      trie.match('b', (w) => seen.push(w));
    });
    expect(seen).toEqual([1, 2]);
  });

  it('rejects invalid filters with TopicError PH_TOPIC_INVALID and stays unchanged', () => {
    const trie = new SubscriptionTrie<number>();
    for (const bad of ['', 'a/#/b', 'a+', 'a\u0000']) {
      expect(() => trie.insert(bad, 'k', 1)).toThrow(TopicError);
    }
    expect(trie.size).toBe(0);
    expect(trie.remove('a/#/b', 'k')).toBe(false);
  });

  it('does not cache large results or long topics, and bounds the cache', () => {
    const trie = new SubscriptionTrie<number>({ cacheTopics: 3, cacheMaxResult: 2, cacheMaxTopicLength: 10 });
    trie.insert('big/#', 'a', 1);
    trie.insert('big/#', 'b', 2);
    trie.insert('big/#', 'c', 3);
    trie.insert('+', 'k', 0);
    trie.match('big/x', () => {});
    trie.match('x'.repeat(11), () => {});
    expect(trie.cacheStats().size).toBe(0);
    for (const t of ['a', 'b', 'c', 'd', 'e']) trie.match(t, () => {});
    expect(trie.cacheStats().size).toBe(3);
    expect(matchedPairs(trie, 'x'.repeat(11))).toEqual([`+|k|0`]);
  });

  it('matchArray returns copies that do not alias the cache', () => {
    const trie = new SubscriptionTrie<number>();
    trie.insert('a', 'k', 1);
    const first = trie.matchArray('a');
    first.pop();
    expect(trie.matchArray('a')).toEqual([{ filter: 'a', key: 'k', value: 1 }]);
  });

  it('handles 100k subscriptions', () => {
    const trie = new SubscriptionTrie<number>();
    for (let i = 0; i < 100_000; i++) trie.insert(`site/${i % 100}/dev/${i}/cmd`, `c${i}`, i);
    trie.insert('site/+/dev/+/cmd', 'ops', -1);
    expect(trie.size).toBe(100_001);
    expect(matchedPairs(trie, 'site/42/dev/4242/cmd')).toEqual([
      'site/+/dev/+/cmd|ops|-1',
      'site/42/dev/4242/cmd|c4242|4242',
    ]);
    for (let i = 0; i < 100_000; i++) trie.remove(`site/${i % 100}/dev/${i}/cmd`, `c${i}`);
    expect(trie.size).toBe(1);
    expect(matchedPairs(trie, 'site/42/dev/4242/cmd')).toEqual(['site/+/dev/+/cmd|ops|-1']);
  });
});
