import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
/**
 * The level-array matcher and filter coverage (used by authorization) and their agreement with the allocation-free
 * matcher the broker and bridges use. Moved here from auth-topic-match.test.ts when the copies were merged.
 */
import {
  coversFilter,
  filtersOverlap,
  levels,
  matchLevels,
  parseSharedFilter,
  topicMatches,
  validateGeneratedTopicName,
  validateTopicFilter,
  validateTopicName,
} from '../../src/broker/topic/index.js';

const matchTopic = (filter: string, topic: string): boolean => matchLevels(levels(filter), levels(topic));
const isValidTopicFilter = (f: string): boolean => validateTopicFilter(f) === undefined;
const isValidTopicName = (t: string): boolean => validateTopicName(t) === undefined;

describe('matchTopic', () => {
  it.each([
    ['a/b', 'a/b', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true], // [MQTT-4.7.1-2] parent level
    ['a/#', 'a/b/c', true],
    ['+/+', '/x', true], // empty level
    ['+', '/x', false],
    ['#', '$SYS/x', false], // [MQTT-4.7.2-1]
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a/b', 'a/b/c', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(matchTopic(filter, topic)).toBe(expected);
  });
});

describe('coversFilter', () => {
  it.each([
    ['a/#', 'a/+/b', true],
    ['a/b', 'a/#', false],
    ['a/#', 'a', true],
    ['a/#', 'a/#', true],
    ['a/+', 'a/#', false],
    ['+/#', '#', true],
    ['#', '$SYS/#', false],
    ['$SYS/#', '$SYS/a/+', true],
    ['a/+/#', 'a/#', false],
    ['+', '+', true],
    ['a', '+', false],
  ])('%s covers %s: %s', (rule, filter, expected) => {
    expect(coversFilter(rule, filter)).toBe(expected);
  });
});

describe('validity and $share', () => {
  it('rejects malformed filters and names', () => {
    for (const f of ['', 'a/#/b', 'a/b#', 'a+/b', '#/']) expect(isValidTopicFilter(f)).toBe(false);
    for (const f of ['#', '+', 'a/+/#', '/', '$share/g/a']) expect(isValidTopicFilter(f)).toBe(true);
    for (const t of ['', 'a/+', 'a/#']) expect(isValidTopicName(t)).toBe(false);
  });

  it('parseSharedFilter strips $share/{group}/ and refuses malformed shares', () => {
    expect(parseSharedFilter('$share/g/a/b')).toEqual({ group: 'g', filter: 'a/b' });
    expect(parseSharedFilter('a/b')).toBeUndefined();
    for (const bad of ['$share/g', '$share//a', '$share/g/', '$share/g+/a']) {
      expect(parseSharedFilter(bad)).toHaveProperty('reason');
    }
  });

  it('generated topic names (mapping output) may not be server topics', () => {
    expect(validateGeneratedTopicName('$SYS/x')).toMatch(/\[MQTT-4.7.2-1\]/);
    expect(validateGeneratedTopicName('')).toMatch(/\[MQTT-4.7.3-1\]/);
    expect(validateGeneratedTopicName('a/+')).toMatch(/\[MQTT-4.7.1-1\]/);
    expect(validateGeneratedTopicName('a/\ud800')).toMatch(/\[MQTT-1.5.4-1\]/);
    expect(validateGeneratedTopicName('a/b')).toBeUndefined();
  });
});

// Small alphabets keep the brute-force universe enumerable while exercising '', '$' and wildcards.
const LITERALS = ['a', 'b', '', '$s'];
const level = fc.constantFrom(...LITERALS, '+');
const filterArb = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/')),
  },
  { weight: 1, arbitrary: fc.constant('#') },
);
const topicArb = fc.array(fc.constantFrom(...LITERALS, 'z'), { minLength: 1, maxLength: 6 }).map((ls) => ls.join('/'));

/** Every topic of 1..maxDepth levels over the literal alphabet plus a fresh level 'z' no filter mentions. */
function universe(maxDepth: number): string[] {
  const alphabet = [...LITERALS, 'z'];
  let layer = alphabet.map((l) => [l]);
  const all = [...layer];
  for (let d = 2; d <= maxDepth; d++) {
    layer = layer.flatMap((prefix) => alphabet.map((l) => [...prefix, l]));
    all.push(...layer);
  }
  return all.map((ls) => ls.join('/'));
}
// Filters have at most 5 levels, so a topic one level deeper is enough to tell any two apart.
const UNIVERSE = universe(6).map(levels);

describe('properties', () => {
  it('coverage is exactly "every topic F matches, the rule matches" (brute force oracle)', () => {
    fc.assert(
      fc.property(filterArb, filterArb, (rule, filter) => {
        const [r, f] = [levels(rule), levels(filter)];
        const oracle = UNIVERSE.every((t) => !matchLevels(f, t) || matchLevels(r, t));
        expect(coversFilter(rule, filter)).toBe(oracle);
      }),
      { numRuns: 300 },
    );
  });

  it('if rule covers F and F matches T then rule matches T', () => {
    fc.assert(
      fc.property(filterArb, filterArb, topicArb, (rule, filter, topic) => {
        fc.pre(coversFilter(rule, filter) && matchTopic(filter, topic));
        expect(matchTopic(rule, topic)).toBe(true);
      }),
    );
  });

  it('coverage is reflexive and transitive', () => {
    fc.assert(fc.property(filterArb, (f) => coversFilter(f, f)));
    fc.assert(
      fc.property(filterArb, filterArb, filterArb, (a, b, c) => {
        fc.pre(coversFilter(a, b) && coversFilter(b, c));
        expect(coversFilter(a, c)).toBe(true);
      }),
    );
  });

  it('the level matcher agrees with the allocation-free topicMatches', () => {
    fc.assert(
      fc.property(filterArb, topicArb, (filter, topic) => {
        expect(matchTopic(filter, topic)).toBe(topicMatches(filter, topic));
      }),
      { numRuns: 1000 },
    );
  });

  it('a topic name used as a filter matches itself and covers only itself', () => {
    fc.assert(fc.property(topicArb, (t) => matchTopic(t, t) && coversFilter(t, t)));
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        matchTopic(a, b);
        coversFilter(a, b);
        filtersOverlap(a, b);
        parseSharedFilter(a);
      }),
    );
  });
});
