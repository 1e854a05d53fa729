/**
 * Pure parts of the HTTP API: paging (property: pages concatenate to the filtered list), the wrong-credentials
 * limiter, the router, the CSRF check, config redaction, the API key file, and the OpenAPI test validator.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../src/http/api-keys.js';
import { checkCsrf } from '../../src/http/csrf.js';
import { ApiError } from '../../src/http/errors.js';
import { paginate } from '../../src/http/paging.js';
import { FailureLimiter } from '../../src/http/rate-limit.js';
import { Router } from '../../src/http/router.js';
import { redact } from '../../src/http/routes/config.js';
import { validate } from '../support/openapi.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(() => removeTempDirs());

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ApiError ? `${err.status} ${err.code}` : String(err);
  }
  return undefined;
};

describe('paginate', () => {
  it('pages concatenate to exactly the filtered items, with exact count and hasnext', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 7 }), (items, limit) => {
        const keep = (n: number) => n % 2 === 0;
        const want = items.filter(keep);
        const got: number[] = [];
        for (let page = 1; ; page++) {
          const q = new URLSearchParams({ page: String(page), limit: String(limit) });
          const p = paginate(q, 10, items, keep, (n) => n);
          expect(p.meta.count).toBe(want.length);
          expect(p.data.length).toBeLessThanOrEqual(limit);
          got.push(...p.data);
          if (!p.meta.hasnext) break;
        }
        expect(got).toEqual(want);
      }),
    );
  });

  it('refuses limits over the maximum and anything but positive integers', () => {
    const run = (q: string) => () =>
      paginate(
        new URLSearchParams(q),
        10,
        [],
        () => true,
        (x) => x,
      );
    expect(codeOf(run('limit=11'))).toBe('400 PH_HTTP_PAGE_TOO_LARGE');
    for (const q of [
      'limit=0',
      'limit=-1',
      'limit=1.5',
      'limit=abc',
      'page=0',
      'page=1e3',
      'limit=99999999999999999999',
    ])
      expect(codeOf(run(q)), q).toMatch(/^400 /);
    expect(codeOf(run('limit=10&page=3'))).toBeUndefined();
  });
});

describe('FailureLimiter', () => {
  it('blocks an address after max failures within the window and frees it after', () => {
    let now = 0;
    const l = new FailureLimiter(3, 1000, 10, () => now);
    for (let i = 0; i < 2; i++) l.fail('a');
    expect(l.blockedFor('a')).toBe(0);
    l.fail('a');
    expect(l.blockedFor('a')).toBe(1);
    expect(l.blockedFor('b')).toBe(0);
    now = 1000;
    expect(l.blockedFor('a')).toBe(0);
    l.fail('a');
    expect(l.blockedFor('a')).toBe(0); // a new window
  });

  it('keeps at most maxEntries addresses', () => {
    const l = new FailureLimiter(1, 60_000, 100);
    for (let i = 0; i < 1000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(l.blockedFor('10.0.3.231')).toBe(60);
    expect(l.blockedFor('10.0.0.0')).toBe(0); // evicted
  });
});

describe('Router', () => {
  const r = new Router<void>().add(
    { method: 'GET', path: '/a/{id}', handler: () => 1 },
    { method: 'DELETE', path: '/a/{id}', handler: () => 2 },
    { method: 'GET', path: '/a/{id}/subs', handler: () => 3 },
  );

  it('matches by method and path and decodes parameters (%2F stays inside one segment)', () => {
    expect(r.match('GET', '/a/x%2Fy').params).toEqual({ id: 'x/y' });
    expect(r.match('GET', '/a/x/subs').route.path).toBe('/a/{id}/subs');
    expect(r.match('DELETE', '/a/x').route.method).toBe('DELETE');
  });

  it('answers 404, 405 and 400 for a bad percent-encoding', () => {
    expect(codeOf(() => r.match('GET', '/b'))).toBe('404 PH_HTTP_NOT_FOUND');
    expect(codeOf(() => r.match('POST', '/a/x'))).toBe('405 PH_HTTP_METHOD');
    expect(codeOf(() => r.match('GET', '/a/%E0%A4%A'))).toBe('400 PH_HTTP_BAD_REQUEST');
  });
});

describe('checkCsrf', () => {
  const req = (method: string, headers: Record<string, string>) =>
    ({ method, headers: { host: 'hub:8081', ...headers } }) as unknown as IncomingMessage;
  const check = (method: string, headers: Record<string, string>, cookie = false) =>
    codeOf(() => checkCsrf(req(method, headers), ['http://ops:3000'], cookie));

  it('lets reads and same-origin or allowed-origin writes through', () => {
    expect(check('GET', { origin: 'http://evil' }, true)).toBeUndefined();
    expect(check('POST', { origin: 'http://hub:8081' }, true)).toBeUndefined();
    expect(check('DELETE', { origin: 'http://ops:3000' }, true)).toBeUndefined();
    expect(check('POST', {}, false)).toBeUndefined(); // CLI with Basic
    expect(check('POST', { 'sec-fetch-site': 'same-origin' }, true)).toBeUndefined();
  });

  it('refuses other origins, cross-site fetches, and cookie writes that do not show where they came from', () => {
    expect(check('POST', { origin: 'http://evil' })).toBe('403 PH_HTTP_CSRF');
    expect(check('PUT', { origin: 'null' })).toBe('403 PH_HTTP_CSRF');
    expect(check('POST', { 'sec-fetch-site': 'cross-site' })).toBe('403 PH_HTTP_CSRF');
    expect(check('DELETE', {}, true)).toBe('403 PH_HTTP_CSRF');
  });
});

describe('redact', () => {
  it('replaces secrets at any depth but keeps *_file paths and other values', () => {
    const out = redact({
      auth: { password_file: '/etc/p', jwt: { secret: 's3', key_file: '/k' } },
      bridges: { mqtt: { cloud: { password: 'pw', username: 'u', servers: ['a'] } } },
      list: [{ token: 't' }],
    });
    expect(out).toEqual({
      auth: { password_file: '/etc/p', jwt: { secret: '******', key_file: '/k' } },
      bridges: { mqtt: { cloud: { password: '******', username: 'u', servers: ['a'] } } },
      list: [{ token: '******' }],
    });
  });
});

describe('ApiKeyStore', () => {
  it('stores only a hash, verifies in constant time, deletes by key or name, sees offline edits', () => {
    const file = join(tempDir(), 'sub', 'keys.json');
    const a = new ApiKeyStore(file);
    expect(a.list()).toEqual([]);
    const k = a.create('ops');
    expect(k.key).toMatch(/^ph_[0-9a-f]{16}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(k.secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(a.verify(k.key, k.secret)).toBe(k.key);
    expect(a.verify(k.key, k.secret + 'x')).toBeUndefined();
    expect(a.verify('ph_0000000000000000', k.secret)).toBeUndefined();
    expect(codeOf(() => a.create('ops'))).toBe('409 PH_HTTP_CONFLICT');
    const b = new ApiKeyStore(file); // another process (ctl) adds a key: the first store sees it
    const k2 = b.create('ci');
    expect(a.verify(k2.key, k2.secret)).toBe(k2.key);
    expect(a.delete('ci')).toBe(true);
    expect(b.verify(k2.key, k2.secret)).toBeUndefined();
    expect(a.delete(k.key)).toBe(true);
    expect(a.delete(k.key)).toBe(false);
    expect(existsSync(file)).toBe(true);
  });

  it('reports a damaged key file as PH_HTTP_API_KEYS instead of crashing', () => {
    const file = join(tempDir(), 'keys.json');
    writeFileSync(file, '{"keys": ');
    expect(codeOf(() => new ApiKeyStore(file).list())).toBe('500 PH_HTTP_API_KEYS');
    writeFileSync(file, '{"other": 1}');
    expect(codeOf(() => new ApiKeyStore(file).verify('ph_1', 'x'))).toBe('500 PH_HTTP_API_KEYS');
  });
});

describe('OpenAPI test validator', () => {
  it('finds wrong types, missing and extra properties, enum and format violations', () => {
    const s = { $ref: '#/components/schemas/Client' };
    const good = {
      clientid: 'c',
      protocol: 'mqtt',
      proto_name: 'MQTT',
      proto_ver: 5,
      node: 'n',
      connected: true,
      clean_start: true,
      expiry_interval: 0,
      subscriptions_cnt: 0,
      inflight_cnt: 0,
      mqueue_len: 0,
      connected_at: '2026-01-01T00:00:00.000Z',
    };
    expect(validate(s, good)).toEqual([]);
    expect(validate(s, { ...good, proto_ver: 5.5 })).toEqual(['$.proto_ver: expected integer, got number']);
    expect(validate(s, { ...good, extra: 1 })).toEqual(['$: unexpected property extra']);
    expect(validate(s, { ...good, connected_at: 'yesterday' })).toEqual(['$.connected_at: not a date-time']);
    const { clientid: _omit, ...missing } = good;
    expect(validate(s, missing)).toEqual(['$: missing clientid']);
    expect(
      validate(
        { $ref: '#/components/schemas/Subscription' },
        { clientid: 'c', topic: 't', qos: 3, nl: 0, rap: 0, rh: 0 },
      ),
    ).toEqual(['$.qos: 3 not in enum']);
  });
});
