/** Property tests: the trie against brute force topicMatches over every stored filter, and against a Map model. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../src/broker/topic/match.js';
import { SubscriptionTrie } from '../../src/broker/topic/trie.js';
import { topicFilterArb, topicNameArb } from './topic-arbitraries.js';

type Model = Map<string, { filter: string; key: string; value: number }>;

function viaTrie(trie: SubscriptionTrie<number>, topic: string): string[] {
  const out: string[] = [];
  trie.match(topic, (value, key, filter) => out.push(`${filter}\u0001${key}\u0001${value}`));
  return out.sort();
}

function viaBruteForce(model: Model, topic: string): string[] {
  const out: string[] = [];
  for (const { filter, key, value } of model.values())
    if (topicMatches(filter, topic)) out.push(`${filter}\u0001${key}\u0001${value}`);
  return out.sort();
}

const keyArb = fc.constantFrom('c1', 'c2', 'c3');
const cacheArb = fc.constantFrom(0, 2, 10_000);

describe('SubscriptionTrie properties', () => {
  it('match equals brute-force topicMatches over all filters ($-topics, empty levels, leading /)', () => {
    let nonEmpty = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(topicFilterArb, keyArb), { maxLength: 30 }),
        fc.array(topicNameArb, { minLength: 1, maxLength: 10 }),
        cacheArb,
        (subs, topics, cacheTopics) => {
          const trie = new SubscriptionTrie<number>({ cacheTopics });
          const model: Model = new Map();
          subs.forEach(([filter, key], value) => {
            trie.insert(filter, key, value);
            model.set(`${filter}\u0000${key}`, { filter, key, value });
          });
          // Each topic twice: the second match is served from the cache when it is enabled.
          for (const topic of [...topics, ...topics]) {
            const expected = viaBruteForce(model, topic);
            if (expected.length > 0) nonEmpty++;
            expect(viaTrie(trie, topic)).toEqual(expected);
          }
          expect(trie.size).toBe(model.size);
        },
      ),
      { numRuns: 1500 },
    );
    // Guard against a vacuous property: random pairs must actually match often.
    expect(nonEmpty).toBeGreaterThan(1000);
  });

  it('insert/remove sequences agree with a Map model, including pruning and cache invalidation', () => {
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), filter: topicFilterArb, key: keyArb, value: fc.nat(9) }),
      fc.record({ op: fc.constant('remove' as const), filter: topicFilterArb, key: keyArb }),
      fc.record({ op: fc.constant('match' as const), topic: topicNameArb }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), cacheArb, (ops, cacheTopics) => {
        const trie = new SubscriptionTrie<number>({ cacheTopics });
        const model: Model = new Map();
        const seenTopics: string[] = [];
        for (const o of ops) {
          if (o.op === 'insert') {
            const id = `${o.filter}\u0000${o.key}`;
            expect(trie.insert(o.filter, o.key, o.value)).toBe(!model.has(id));
            model.set(id, { filter: o.filter, key: o.key, value: o.value });
          } else if (o.op === 'remove') {
            expect(trie.remove(o.filter, o.key)).toBe(model.delete(`${o.filter}\u0000${o.key}`));
          } else {
            seenTopics.push(o.topic);
          }
          expect(trie.size).toBe(model.size);
          for (const t of seenTopics) expect(viaTrie(trie, t)).toEqual(viaBruteForce(model, t));
        }
        for (const { filter, key, value } of model.values()) expect(trie.get(filter, key)).toBe(value);
        for (const { filter, key } of [...model.values()]) trie.remove(filter, key);
        expect((trie as unknown as { root: { isEmpty(): boolean } }).root.isEmpty()).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
