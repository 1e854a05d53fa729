import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SharedReason, isSharedFilter, parseSharedFilter } from '../../src/broker/topic/shared.js';
import { TopicReason } from '../../src/broker/topic/validate.js';
import { topicFilterArb } from './topic-arbitraries.js';

describe('parseSharedFilter', () => {
  it('returns undefined for non-shared filters', () => {
    for (const f of ['a/b', '$share', '$sharex/g/a', '$SHARE/g/a', 'x/$share/g/a', '#']) {
      expect(parseSharedFilter(f)).toBeUndefined();
      expect(isSharedFilter(f)).toBe(false);
    }
  });
  it('splits $share/{ShareName}/{filter}', () => {
    expect(parseSharedFilter('$share/g1/sport/#')).toEqual({ group: 'g1', filter: 'sport/#' });
    expect(parseSharedFilter('$share/consumer1/sport/tennis/+')).toEqual({
      group: 'consumer1',
      filter: 'sport/tennis/+',
    });
    expect(parseSharedFilter('$share/g//a')).toEqual({ group: 'g', filter: '/a' });
    expect(parseSharedFilter('$share/g/$SYS/#')).toEqual({ group: 'g', filter: '$SYS/#' });
    expect(parseSharedFilter('$share/$q/#')).toEqual({ group: '$q', filter: '#' });
    expect(isSharedFilter('$share/g/a')).toBe(true);
  });
  it('[MQTT-4.8.2-1] the ShareName must be at least one character', () => {
    expect(parseSharedFilter('$share//a')).toEqual({ reason: SharedReason.emptyShareName });
    expect(parseSharedFilter('$share/')).toEqual({ reason: SharedReason.emptyShareName });
  });
  it('[MQTT-4.8.2-2] the ShareName must not contain + or #', () => {
    for (const f of ['$share/+/a', '$share/#/a', '$share/g+/a', '$share/#'])
      expect(parseSharedFilter(f)).toEqual({ reason: SharedReason.badShareName });
  });
  it('[MQTT-4.8.2-2] the ShareName must be followed by / and a non-empty filter', () => {
    expect(parseSharedFilter('$share/g')).toEqual({ reason: SharedReason.missingFilter });
    expect(parseSharedFilter('$share/g/')).toEqual({ reason: SharedReason.missingFilter });
  });
  it('the inner filter is validated, with the level limit applied to it alone', () => {
    expect(parseSharedFilter('$share/g/a/#/b')).toEqual({ reason: TopicReason.hashNotLast });
    expect(parseSharedFilter('$share/g/a+')).toEqual({ reason: TopicReason.plusNotAlone });
    expect(parseSharedFilter('$share/g/a/b', 2)).toEqual({ group: 'g', filter: 'a/b' });
    expect(parseSharedFilter('$share/g/a/b/c', 2)).toEqual({ reason: TopicReason.tooManyLevels });
  });
  it('[MQTT-4.7.3-2] U+0000 and unpaired surrogates in the ShareName are rejected', () => {
    expect(parseSharedFilter('$share/g\u0000/a')).toEqual({ reason: TopicReason.nul });
    expect(parseSharedFilter('$share/g\uD800/a')).toEqual({ reason: TopicReason.surrogate });
  });
  it('[MQTT-4.7.3-3] the 65535-byte limit applies to the whole filter', () => {
    const inner = 'a'.repeat(65535 - '$share/g/'.length);
    expect(parseSharedFilter(`$share/g/${inner}`)).toEqual({ group: 'g', filter: inner });
    expect(parseSharedFilter(`$share/g/${inner}a`)).toEqual({ reason: TopicReason.tooLong });
  });
  it('round-trips any valid group and filter, and never throws', () => {
    const groupArb = fc.string({ unit: fc.constantFrom('a', 'b', '$', '-', 'é'), minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(groupArb, topicFilterArb, (group, filter) => {
        expect(parseSharedFilter(`$share/${group}/${filter}`)).toEqual({ group, filter });
      }),
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseSharedFilter(`$share/${s}`);
      }),
    );
  });
});
