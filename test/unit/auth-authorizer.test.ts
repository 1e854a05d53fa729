import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Authorizer } from '../../src/auth/authorizer.js';
import type { AuthzClient } from '../../src/auth/acl-rules.js';
import { compileIpMatcher } from '../../src/auth/ip-match.js';
import { LruCache } from '../../src/auth/lru-cache.js';
import { topicMatches, validateTopicFilter } from '../../src/broker/topic/index.js';
import { aclRuleSchema, authorizationSchema } from '../../src/config/schema.js';
import { AuthError } from '../../src/errors.js';
import { Metrics } from '../../src/metrics.js';
import type { z } from 'zod';

type AuthzInput = z.input<typeof authorizationSchema>;
const authorizer = (input: AuthzInput, metrics?: Metrics) =>
  new Authorizer(authorizationSchema.parse(input), { metrics });

const alice: AuthzClient = { clientId: 'c1', username: 'alice', remoteAddress: '127.0.0.1' };
const anon: AuthzClient = { clientId: 'c2', remoteAddress: '10.1.2.3' };

describe('Authorizer rules', () => {
  it('first match wins, then no_match', () => {
    const a = authorizer({
      no_match: 'deny',
      rules: [
        { permission: 'deny', topics: ['secret/#'] },
        { permission: 'allow', topics: ['#'] },
      ],
    });
    expect(a.authorize(alice, 'publish', 'secret/x')).toBe('deny');
    expect(a.authorize(alice, 'publish', 'public/x')).toBe('allow');
    expect(a.authorize(alice, 'publish', '$SYS/x')).toBe('deny'); // '#' does not match '$' topics [MQTT-4.7.2-1]
  });

  it('filters by action and who', () => {
    const a = authorizer({
      no_match: 'deny',
      rules: [
        { permission: 'allow', action: 'subscribe', who: { username: 'alice' }, topics: ['s/#'] },
        { permission: 'allow', action: 'publish', who: { clientid: 'c2' }, topics: ['p/#'] },
        { permission: 'allow', who: { ipaddress: '10.0.0.0/8' }, topics: ['net/#'] },
      ],
    });
    expect(a.authorize(alice, 'subscribe', 's/a')).toBe('allow');
    expect(a.authorize(alice, 'publish', 's/a')).toBe('deny');
    expect(a.authorize(anon, 'publish', 'p/x')).toBe('allow');
    expect(a.authorize(alice, 'publish', 'p/x')).toBe('deny');
    expect(a.authorize(anon, 'subscribe', 'net/+')).toBe('allow');
    expect(a.authorize(alice, 'subscribe', 'net/+')).toBe('deny');
    expect(a.authorize({ clientId: 'in-proc' }, 'publish', 'net/x')).toBe('deny'); // no address: no ipaddress match
  });

  it('subscribe: the rule filter must cover the requested filter', () => {
    const a = authorizer({ no_match: 'deny', rules: [{ permission: 'allow', topics: ['a/#', 'b/+/c'] }] });
    expect(a.authorize(alice, 'subscribe', 'a/+/b')).toBe('allow');
    expect(a.authorize(alice, 'subscribe', 'a/#')).toBe('allow');
    expect(a.authorize(alice, 'subscribe', 'b/x/c')).toBe('allow');
    expect(a.authorize(alice, 'subscribe', 'b/#')).toBe('deny');
    expect(a.authorize(alice, 'subscribe', '#')).toBe('deny');
  });

  it('a rule a/b does not cover a subscription to a/#, and a deny on a/b does not block a/# either', () => {
    const a = authorizer({ no_match: 'allow', rules: [{ permission: 'deny', topics: ['a/b'] }] });
    expect(a.authorize(alice, 'subscribe', 'a/#')).toBe('allow');
    expect(a.authorize(alice, 'publish', 'a/b')).toBe('deny');
  });

  it('$share/group/f is authorized on f', () => {
    const a = authorizer({ no_match: 'deny', rules: [{ permission: 'allow', topics: ['jobs/#', 'eq jobs/+'] }] });
    expect(a.authorize(alice, 'subscribe', '$share/workers/jobs/+/x')).toBe('allow');
    expect(a.authorize(alice, 'subscribe', '$share/workers/other')).toBe('deny');
    expect(a.authorize(alice, 'subscribe', '$share/workers')).toBe('deny');
  });

  it('eq matches the filter text exactly', () => {
    const a = authorizer({
      no_match: 'deny',
      rules: [{ permission: 'allow', action: 'subscribe', topics: ['eq t/#'] }],
    });
    expect(a.authorize(alice, 'subscribe', 't/#')).toBe('allow');
    expect(a.authorize(alice, 'subscribe', 't/x')).toBe('deny');
    expect(a.authorize(alice, 'subscribe', '$share/g/t/#')).toBe('allow');
  });

  it('substitutes ${username} and ${clientid}; a client without username never matches ${username}', () => {
    const a = authorizer({
      no_match: 'deny',
      rules: [
        { permission: 'allow', topics: ['users/${username}/#', 'devices/${clientid}/+', 'eq box/${clientid}/#'] },
      ],
    });
    expect(a.authorize(alice, 'publish', 'users/alice/x')).toBe('allow');
    expect(a.authorize(alice, 'publish', 'users/bob/x')).toBe('deny');
    expect(a.authorize(anon, 'publish', 'users//x')).toBe('deny');
    expect(a.authorize(anon, 'publish', 'devices/c2/t')).toBe('allow');
    expect(a.authorize(anon, 'subscribe', 'box/c2/#')).toBe('allow');
    expect(a.authorize(alice, 'subscribe', 'box/c2/#')).toBe('deny');
  });

  it('a placeholder value with / + # or empty cannot widen a rule', () => {
    const a = authorizer({ no_match: 'deny', rules: [{ permission: 'allow', topics: ['users/${username}/#'] }] });
    expect(a.authorize({ clientId: 'x', username: '#' }, 'subscribe', 'users/#')).toBe('deny');
    expect(a.authorize({ clientId: 'x', username: '+' }, 'subscribe', 'users/+/#')).toBe('deny');
    expect(a.authorize({ clientId: 'x', username: 'a/b' }, 'publish', 'users/a/b/c')).toBe('deny');
    expect(a.authorize({ clientId: 'x', username: '' }, 'publish', 'users//c')).toBe('deny');
  });

  it('invalid topics and filters are denied and counted', async () => {
    const metrics = new Metrics();
    const a = authorizer({ no_match: 'allow' }, metrics);
    expect(a.authorize(alice, 'publish', 'a/+')).toBe('deny');
    expect(a.authorize(alice, 'subscribe', 'a/#/b')).toBe('deny');
    expect(a.authorize(alice, 'publish', '')).toBe('deny');
    expect(await metrics.value('protohub_authz_invalid_topic_total')).toBe(3);
    expect(await metrics.value('protohub_authz_decisions_total', { action: 'publish', result: 'deny' })).toBe(2);
  });

  it('bad rules fail at construction naming the rule', () => {
    const bad = (topics: string[], who?: z.input<typeof aclRuleSchema>['who']) => () =>
      authorizer({ rules: [{ permission: 'allow', topics, ...(who ? { who } : {}) }] });
    expect(bad(['a/#/b'])).toThrow(/authorization\.rules\[0\]\.topics\[0\]/);
    expect(bad(['a/${nobody}'])).toThrow(/unknown placeholder/);
    expect(bad(['a'], { ipaddress: '10.0.0.0/33' })).toThrow(AuthError);
    expect(bad(['a'], { ipaddress: 'not-an-ip' })).toThrow(/PH_AUTH_ACL_RULE|invalid ipaddress/);
  });
});

describe('Authorizer with a JWT acl', () => {
  const rules = authorizer({ no_match: 'allow', rules: [{ permission: 'deny', topics: ['blocked/#'] }] });

  it('is an extra allow-list applied before the rules', () => {
    const c: AuthzClient = {
      clientId: 'c',
      username: 'u',
      acl: { pub: ['up/${username}/#', 'blocked/x'], sub: ['down/#'] },
    };
    expect(rules.authorize(c, 'publish', 'up/u/t')).toBe('allow');
    expect(rules.authorize(c, 'publish', 'up/v/t')).toBe('deny');
    expect(rules.authorize(c, 'publish', 'blocked/x')).toBe('deny'); // allowed by the token, denied by a rule
    expect(rules.authorize(c, 'subscribe', 'down/+')).toBe('allow');
    expect(rules.authorize(c, 'subscribe', 'up/u/t')).toBe('deny');
  });

  it('an acl that does not compile allows nothing', () => {
    const c: AuthzClient = { clientId: 'c', acl: { pub: ['a/#/b'], sub: [] } };
    expect(rules.authorize(c, 'publish', 'a/x/b')).toBe('deny');
  });

  it('the cache keeps clients with different acls apart', () => {
    const a: AuthzClient = { clientId: 'same', acl: { pub: ['x'], sub: [] } };
    const b: AuthzClient = { clientId: 'same', acl: { pub: ['y'], sub: [] } };
    expect(rules.authorize(a, 'publish', 'x')).toBe('allow');
    expect(rules.authorize(b, 'publish', 'x')).toBe('deny');
    expect(rules.authorize({ clientId: 'same' }, 'publish', 'x')).toBe('allow');
  });
});

describe('Authorizer cache', () => {
  it('cached decisions equal uncached ones (property)', () => {
    const input: AuthzInput = {
      no_match: 'deny',
      rules: [
        { permission: 'deny', who: { username: 'b' }, topics: ['a/#'] },
        { permission: 'allow', action: 'publish', topics: ['${username}/#', 'a/+'] },
        { permission: 'allow', action: 'subscribe', topics: ['a/#', 'eq ${clientid}/#'] },
      ],
    };
    const cached = authorizer(input);
    const lvl = fc.constantFrom('a', 'b', 'c', '+', '#');
    const clientArb = fc.record({
      clientId: fc.constantFrom('a', 'b'),
      username: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        clientArb,
        fc.constantFrom('publish' as const, 'subscribe' as const),
        fc.array(lvl, { minLength: 1, maxLength: 3 }),
        (client, action, ls) => {
          const topic = ls.join('/');
          expect(cached.authorize(client, action, topic)).toBe(authorizer(input).authorize(client, action, topic));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('with allow rules only, an allowed subscription never delivers a topic the client could not publish to (property)', () => {
    const lvl = fc.constantFrom('a', 'b', '${username}', '+');
    const ruleArb = fc
      .tuple(fc.array(lvl, { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([ls, h]) => (h ? [...ls, '#'] : ls).join('/'));
    const concrete = fc.constantFrom('a', 'b', 'u', '+', '#');
    let allowed = 0;
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
        fc.array(concrete, { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom('a', 'b', 'u'), { minLength: 1, maxLength: 5 }),
        (topics, fl, tl) => {
          const filter = fl.join('/');
          const topic = tl.join('/');
          fc.pre(validateTopicFilter(filter) === undefined && topicMatches(filter, topic));
          const a = authorizer({ no_match: 'deny', rules: [{ permission: 'allow', topics }] });
          const client = { clientId: 'c', username: 'u' };
          if (a.authorize(client, 'subscribe', filter) !== 'allow') return;
          allowed++;
          expect(a.authorize(client, 'publish', topic)).toBe('allow');
        },
      ),
      { numRuns: 300 },
    );
    expect(allowed).toBeGreaterThan(10); // the property was exercised, not vacuously true
  });

  it('stays bounded and counts evictions', async () => {
    const metrics = new Metrics();
    const a = new Authorizer(authorizationSchema.parse({}), { metrics, cacheSize: 10 });
    for (let i = 0; i < 25; i++) a.authorize(alice, 'publish', `t/${i}`);
    expect(await metrics.value('protohub_authz_cache_evictions_total')).toBe(15);
  });

  it('LruCache evicts the least recently used entry', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now younger than b
    expect(lru.set('c', 3)).toBe(true);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.size).toBe(2);
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});

describe('compileIpMatcher', () => {
  it('matches IPv4 CIDR, including IPv4-mapped IPv6 addresses', () => {
    const m = compileIpMatcher('127.0.0.0/8');
    expect(m('127.0.0.1')).toBe(true);
    expect(m('::ffff:127.0.0.1')).toBe(true);
    expect(m('128.0.0.1')).toBe(false);
    expect(m('::1')).toBe(false);
    expect(m(undefined)).toBe(false);
    expect(m('garbage')).toBe(false);
  });

  it('matches IPv6 CIDR and single addresses, ignoring zone ids', () => {
    expect(compileIpMatcher('fd00::/8')('fd12::1')).toBe(true);
    expect(compileIpMatcher('fd00::/8')('fe80::1')).toBe(false);
    expect(compileIpMatcher('fe80::/10')('fe80::1%eth0')).toBe(true);
    expect(compileIpMatcher('::1')('::1')).toBe(true);
    expect(compileIpMatcher('10.0.0.5')('10.0.0.5')).toBe(true);
    expect(compileIpMatcher('10.0.0.5')('10.0.0.6')).toBe(false);
  });

  it('rejects bad specs with PH_AUTH_ACL_RULE', () => {
    for (const bad of ['1.2.3.4/33', '::/129', '1.2.3/8', 'x', '1.2.3.4/8/1', '1.2.3.4/-1']) {
      expect(() => compileIpMatcher(bad), bad).toThrow(expect.objectContaining({ code: 'PH_AUTH_ACL_RULE' }));
    }
  });

  it('an address inside a /n prefix matches iff its first n bits equal the prefix (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        (net, addr, n) => {
          const dotted = (x: number) => [24, 16, 8, 0].map((s) => (x >>> s) & 255).join('.');
          const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
          const expected = (net & mask) >>> 0 === (addr & mask) >>> 0;
          const m = compileIpMatcher(`${dotted((net & mask) >>> 0)}/${n}`);
          expect(m(dotted(addr))).toBe(expected);
          expect(m(`::ffff:${dotted(addr)}`)).toBe(expected);
        },
      ),
    );
  });
});
