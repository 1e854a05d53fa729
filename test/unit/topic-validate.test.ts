import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertTopicFilter, assertTopicName } from '../../src/broker/topic/assert.js';
import { TopicReason, hasWildcard, validateTopicFilter, validateTopicName } from '../../src/broker/topic/validate.js';
import { TopicError } from '../../src/errors.js';

describe('validateTopicName', () => {
  it.each([
    'a',
    '/',
    '//',
    'a/b/c',
    '/a',
    'a/',
    'a//b',
    ' ',
    'sport/tennis player1',
    '$SYS/broker',
    'ü/€/😀',
    'a\uFFFD',
  ])('accepts %j', (t) => expect(validateTopicName(t)).toBeUndefined());
  it('[MQTT-4.7.3-1] rejects the empty topic', () => expect(validateTopicName('')).toBe(TopicReason.empty));
  it.each(['+', '#', 'a/+', 'a/#', 'a+b', 'sport/tennis#'])('[MQTT-4.7.1-1] rejects wildcard in name %j', (t) =>
    expect(validateTopicName(t)).toBe(TopicReason.wildcardInName),
  );
  it('[MQTT-4.7.3-2] rejects U+0000', () => expect(validateTopicName('a\u0000b')).toBe(TopicReason.nul));
  it('[MQTT-1.5.4-1] rejects unpaired surrogates, accepts pairs', () => {
    expect(validateTopicName('a\uD800')).toBe(TopicReason.surrogate);
    expect(validateTopicName('\uDC00a')).toBe(TopicReason.surrogate);
    expect(validateTopicName('\uD800\uD800')).toBe(TopicReason.surrogate);
    expect(validateTopicName('\uD83D\uDE00')).toBeUndefined();
  });
  it('[MQTT-4.7.3-3] 65535 bytes of UTF-8 is the limit', () => {
    expect(validateTopicName('a'.repeat(65535))).toBeUndefined();
    expect(validateTopicName('a'.repeat(65536))).toBe(TopicReason.tooLong);
    // 21846 three-byte chars = 65538 bytes although only 21846 code units.
    expect(validateTopicName('€'.repeat(21845))).toBeUndefined();
    expect(validateTopicName('€'.repeat(21846))).toBe(TopicReason.tooLong);
    expect(validateTopicName('😀'.repeat(16383) + 'abc')).toBeUndefined();
    expect(validateTopicName('😀'.repeat(16384))).toBe(TopicReason.tooLong);
  });
  it('max levels counts separators + 1', () => {
    expect(validateTopicName('a/b/c', 3)).toBeUndefined();
    expect(validateTopicName('a/b/c/', 3)).toBe(TopicReason.tooManyLevels);
    expect(validateTopicName('/', 1)).toBe(TopicReason.tooManyLevels);
  });
});

describe('validateTopicFilter', () => {
  it.each(['#', '+', '+/+', '/#', 'a/#', 'a/+/b', '+/tennis/#', 'sport/+', '$SYS/#', '$share/g/a', 'a//+', '/+'])(
    'accepts %j',
    (f) => expect(validateTopicFilter(f)).toBeUndefined(),
  );
  it('[MQTT-4.7.3-1] rejects the empty filter', () => expect(validateTopicFilter('')).toBe(TopicReason.empty));
  it.each(['sport/tennis#', 'sport/tennis/#/ranking', '#/a', 'a#', '##', 'a/#/', '#a'])(
    '[MQTT-4.7.1-2] # must be last and alone: %j',
    (f) => expect(validateTopicFilter(f)).toBe(TopicReason.hashNotLast),
  );
  it.each(['sport+', 'a/+b', '+a', 'a/b+/c', '++'])('[MQTT-4.7.1-3] + must be alone in its level: %j', (f) =>
    expect(validateTopicFilter(f)).toBe(TopicReason.plusNotAlone),
  );
  it('[MQTT-4.7.3-2] rejects U+0000', () => expect(validateTopicFilter('a/\u0000/#')).toBe(TopicReason.nul));
  it('[MQTT-1.5.4-1] rejects unpaired surrogates', () =>
    expect(validateTopicFilter('+/\uDFFF')).toBe(TopicReason.surrogate));
  it('[MQTT-4.7.3-3] rejects more than 65535 bytes', () => {
    expect(validateTopicFilter(`${'ß'.repeat(32766)}/#`)).toBeUndefined();
    expect(validateTopicFilter(`${'ß'.repeat(32767)}/#`)).toBe(TopicReason.tooLong);
  });
  it('max levels', () => {
    expect(validateTopicFilter('+/+/#', 3)).toBeUndefined();
    expect(validateTopicFilter('+/+/+/#', 3)).toBe(TopicReason.tooManyLevels);
  });
  it('hasWildcard', () => {
    expect(hasWildcard('a/b')).toBe(false);
    expect(hasWildcard('a/+')).toBe(true);
    expect(hasWildcard('#')).toBe(true);
  });
});

describe('validators on arbitrary input', () => {
  it('never throw and return undefined or a known reason', () => {
    const reasons = new Set<string | undefined>([undefined, ...Object.values(TopicReason)]);
    const anyTopicish = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) }),
      fc.string({ unit: fc.constantFrom('a', '/', '+', '#', '$', '\u0000', '\uD800', '\uDC00', 'é') }),
    );
    fc.assert(
      fc.property(
        anyTopicish,
        fc.integer({ min: 1, max: 8 }),
        (s, max) => reasons.has(validateTopicName(s, max)) && reasons.has(validateTopicFilter(s, max)),
      ),
      { numRuns: 3000 },
    );
  });
  it('a valid name is a valid filter, and a filter without wildcards that is valid is a valid name', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '/', '+', '#', '$') }), (s) => {
        if (validateTopicName(s) === undefined) expect(validateTopicFilter(s)).toBeUndefined();
        if (!hasWildcard(s)) expect(validateTopicFilter(s)).toBe(validateTopicName(s));
      }),
    );
  });
});

/** Independent reference written from the spec's prose, level by level (ASCII alphabet: no length/surrogate cases). */
function referenceFilterValid(f: string, maxLevels: number): boolean {
  if (f.length === 0 || f.includes('\u0000')) return false;
  const levels = f.split('/');
  if (levels.length > maxLevels) return false;
  return levels.every((l, i) =>
    l === '#' ? i === levels.length - 1 : l === '+' || (!l.includes('+') && !l.includes('#')),
  );
}

describe('validators against a split-based reference', () => {
  const smallAlphabet = fc.string({ unit: fc.constantFrom('a', '/', '+', '#', '$', '\u0000'), maxLength: 12 });
  it('[MQTT-4.7.1-2] [MQTT-4.7.1-3] validateTopicFilter agrees with the reference', () => {
    fc.assert(
      fc.property(
        smallAlphabet,
        fc.integer({ min: 1, max: 6 }),
        (f, max) => (validateTopicFilter(f, max) === undefined) === referenceFilterValid(f, max),
      ),
      {
        numRuns: 5000,
      },
    );
  });
  it('[MQTT-4.7.1-1] validateTopicName agrees with the reference', () => {
    fc.assert(
      fc.property(
        smallAlphabet,
        fc.integer({ min: 1, max: 6 }),
        (t, max) => (validateTopicName(t, max) === undefined) === (referenceFilterValid(t, max) && !hasWildcard(t)),
      ),
      {
        numRuns: 5000,
      },
    );
  });
});

describe('assert helpers', () => {
  it('throw TopicError with code PH_TOPIC_INVALID and the reason', () => {
    expect(() => assertTopicName('a/+')).toThrow(TopicError);
    try {
      assertTopicFilter('a/#/b');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TopicError);
      expect((err as TopicError).code).toBe('PH_TOPIC_INVALID');
      expect((err as TopicError).message).toContain('MQTT-4.7.1-2');
    }
    expect(() => assertTopicName('a/b', 2)).not.toThrow();
  });
});
