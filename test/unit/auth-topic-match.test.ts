import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  coversFilter,
  isValidTopicFilter,
  isValidTopicName,
  levels,
  matchLevels,
  matchTopic,
  unshare,
} from '../../src/auth/topic-match.js';

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

  it('unshare strips $share/{group}/ and refuses malformed shares', () => {
    expect(unshare('$share/g/a/b')).toBe('a/b');
    expect(unshare('a/b')).toBe('a/b');
    expect(unshare('$share/g')).toBeUndefined();
    expect(unshare('$share//a')).toBeUndefined();
    expect(unshare('$share/g/')).toBeUndefined();
    expect(unshare('$share/g+/a')).toBeUndefined();
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

  it('a topic name used as a filter matches itself and covers only itself', () => {
    fc.assert(fc.property(topicArb, (t) => matchTopic(t, t) && coversFilter(t, t)));
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        matchTopic(a, b);
        coversFilter(a, b);
        unshare(a);
      }),
    );
  });
});
