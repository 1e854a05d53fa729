import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../src/broker/topic/match.js';
import { topicFilterArb, topicNameArb } from './topic-arbitraries.js';

function expectMatch(filter: string, topic: string, expected: boolean): void {
  expect(topicMatches(filter, topic), `${filter} vs ${topic}`).toBe(expected);
}

/** Independent reference: level arrays, written straight from the spec's prose. */
function referenceMatch(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('topicMatches', () => {
  it('[MQTT-4.7.1-2] # matches the parent and any number of child levels', () => {
    for (const t of ['sport/tennis/player1', 'sport/tennis/player1/ranking', 'sport/tennis/player1/score/wimbledon']) {
      expectMatch('sport/tennis/player1/#', t, true);
    }
    expectMatch('sport/#', 'sport', true);
    expectMatch('sport/#', 'sport/', true);
    expectMatch('sport/#', 'sports', false);
    expectMatch('#', 'a/b/c', true);
    expectMatch('#', '/', true);
    expectMatch('a/+/#', 'a', false);
    expectMatch('a/+/#', 'a/b', true);
  });
  it('[MQTT-4.7.1-3] + matches exactly one level, which may be empty', () => {
    expectMatch('sport/tennis/+', 'sport/tennis/player1', true);
    expectMatch('sport/tennis/+', 'sport/tennis/player1/ranking', false);
    expectMatch('sport/+', 'sport', false);
    expectMatch('sport/+', 'sport/', true);
    expectMatch('+/+', '/finance', true);
    expectMatch('/+', '/finance', true);
    expectMatch('+', '/finance', false);
    expectMatch('a/+/b', 'a//b', true);
    expectMatch('+', 'a', true);
  });
  it('[MQTT-4.7.2-1] filters starting with a wildcard do not match $-topics', () => {
    expectMatch('#', '$SYS/monitor/Clients', false);
    expectMatch('+/monitor/Clients', '$SYS/monitor/Clients', false);
    expectMatch('$SYS/#', '$SYS/monitor/Clients', true);
    expectMatch('$SYS/monitor/+', '$SYS/monitor/Clients', true);
    expectMatch('$SYS/#', '$SYS', true);
    expectMatch('a/+', 'a/$b', true);
    expectMatch('#', 'a/$b', true);
  });
  it('[MQTT-4.7.3] matching is exact and case sensitive; leading and trailing / are distinct levels', () => {
    expectMatch('ACCOUNTS', 'Accounts', false);
    expectMatch('a/b', 'a/b/', false);
    expectMatch('a/b/', 'a/b', false);
    expectMatch('/a', 'a', false);
    expectMatch('a/b', 'a/b', true);
    expectMatch('ab', 'a', false);
    expectMatch('a', 'ab', false);
    expectMatch('😀/+', '😀/x', true);
  });
  it('agrees with a split-based reference on random valid filters and topics', () => {
    fc.assert(
      fc.property(topicFilterArb, topicNameArb, (f, t) => topicMatches(f, t) === referenceMatch(f, t)),
      { numRuns: 20000 },
    );
  });
  it('a topic name used as a filter matches itself only', () => {
    fc.assert(
      fc.property(topicNameArb, topicNameArb, (a, b) => topicMatches(a, a) && topicMatches(a, b) === (a === b)),
    );
  });
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (f, t) => typeof topicMatches(f, t) === 'boolean'),
      { numRuns: 2000 },
    );
  });
});
