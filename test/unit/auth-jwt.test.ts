import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, type JWTPayload } from 'jose';
import { JwtVerifier, type JwtConfig } from '../../src/auth/jwt-verifier.js';
import { authSchema } from '../../src/config/schema.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const jwtConfig = (jwt: Record<string, unknown>): JwtConfig => authSchema.parse({ jwt: { enable: true, ...jwt } }).jwt;
const now = () => Math.floor(Date.now() / 1000);

function sign(payload: JWTPayload, key: KeyObject | Uint8Array, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
}
const hsKey = new TextEncoder().encode(SECRET);

describe('JwtVerifier HS256', () => {
  const verifier = new JwtVerifier(jwtConfig({ secret: SECRET }));
  beforeAll(() => verifier.start());

  it('accepts a valid token and returns username, acl and expiry', async () => {
    const exp = now() + 600;
    const token = await sign({ username: 'alice', exp, acl: { pub: ['up/#'], sub: ['down/#'] } }, hsKey);
    expect(await verifier.verify(token, 'alice')).toEqual({
      ok: true,
      username: 'alice',
      acl: { pub: ['up/#'], sub: ['down/#'] },
      expiresAt: exp * 1000,
    });
  });

  it('takes the username from the claim when CONNECT has none', async () => {
    const r = await verifier.verify(await sign({ username: 'bob' }, hsKey), undefined);
    expect(r).toEqual({ ok: true, username: 'bob' });
  });

  it('rejects a username mismatch, expired, not-yet-valid, wrong-secret and tampered tokens', async () => {
    expect(await verifier.verify(await sign({ username: 'alice' }, hsKey), 'mallory')).toMatchObject({
      ok: false,
      failure: 'username_mismatch',
    });
    expect(await verifier.verify(await sign({ exp: now() - 60 }, hsKey), 'a')).toMatchObject({
      ok: false,
      failure: 'expired',
    });
    expect(await verifier.verify(await sign({ nbf: now() + 600 }, hsKey), 'a')).toMatchObject({
      ok: false,
      failure: 'not_yet_valid',
    });
    expect(
      await verifier.verify(await sign({}, new TextEncoder().encode('another-secret-another-secret!!')), 'a'),
    ).toMatchObject({ ok: false, failure: 'bad_signature' });

    const [h, p, s] = (await sign({ username: 'alice', acl: { pub: ['up/alice'], sub: [] } }, hsKey)).split('.');
    const forged = Buffer.from(JSON.stringify({ username: 'alice', acl: { pub: ['#'], sub: ['#'] } })).toString(
      'base64url',
    );
    expect(p).not.toBe(forged);
    expect(await verifier.verify(`${h}.${forged}.${s}`, 'alice')).toMatchObject({
      ok: false,
      failure: 'bad_signature',
    });
  });

  it('rejects garbage and unsigned (alg none) tokens as malformed', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const t of ['', 'x', 'a.b.c', `${b64({ alg: 'none' })}.${b64({ username: 'a' })}.`]) {
      expect(await verifier.verify(t, 'a'), t).toMatchObject({ ok: false, failure: 'malformed' });
    }
  });

  it('rejects acl claims of the wrong shape or with invalid filters', async () => {
    for (const acl of [['a'], 'a', { pub: 'a' }, { sub: [1] }, { pub: ['a/#/b'] }]) {
      expect(await verifier.verify(await sign({ acl }, hsKey), 'u'), JSON.stringify(acl)).toMatchObject({
        ok: false,
        failure: 'bad_acl',
      });
    }
    expect(await verifier.verify(await sign({ acl: { pub: ['a'] } }, hsKey), 'u')).toMatchObject({
      ok: true,
      acl: { pub: ['a'], sub: [] },
    });
  });

  it('honours custom claim names and rejects a non-string username claim', async () => {
    const v = new JwtVerifier(jwtConfig({ secret: SECRET, username_claim: 'sub', acl_claim: 'perm' }));
    await v.start();
    expect(await v.verify(await sign({ sub: 'dev1', perm: { pub: ['x'] } }, hsKey), 'dev1')).toMatchObject({
      ok: true,
      acl: { pub: ['x'] },
    });
    expect(await v.verify(await sign({ sub: 'dev1' }, hsKey), 'dev2')).toMatchObject({
      ok: false,
      failure: 'username_mismatch',
    });
    expect(await v.verify(await sign({ sub: 42 } as unknown as JWTPayload, hsKey), 'dev1')).toMatchObject({
      ok: false,
      failure: 'claim_invalid',
    });
  });

  it('reads the secret from key_file without its trailing newline', async () => {
    const file = join(tempDir(), 'secret');
    await writeFile(file, `${SECRET}\n`);
    const v = new JwtVerifier(jwtConfig({ key_file: file }));
    await v.start();
    expect(await v.verify(await sign({}, hsKey), 'u')).toMatchObject({ ok: true });
  });
});

describe('JwtVerifier RS256', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  let verifier: JwtVerifier;

  beforeAll(async () => {
    const file = join(tempDir(), 'pub.pem');
    await writeFile(file, pem);
    verifier = new JwtVerifier(jwtConfig({ algorithm: 'RS256', key_file: 'pub.pem' }), { baseDir: join(file, '..') });
    await verifier.start();
  });

  it('accepts a token signed with the private key', async () => {
    expect(await verifier.verify(await sign({ username: 'r' }, privateKey, 'RS256'), 'r')).toMatchObject({
      ok: true,
      username: 'r',
    });
  });

  it('rejects another key pair, and HS256 tokens keyed with the public PEM (alg confusion)', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(await verifier.verify(await sign({}, other, 'RS256'), 'r')).toMatchObject({
      ok: false,
      failure: 'bad_signature',
    });
    expect(await verifier.verify(await sign({}, new TextEncoder().encode(pem), 'HS256'), 'r')).toMatchObject({
      ok: false,
      failure: 'malformed',
    });
  });

  it('rejects an expired RS256 token', async () => {
    expect(await verifier.verify(await sign({ exp: now() - 1 }, privateKey, 'RS256'), 'r')).toMatchObject({
      ok: false,
      failure: 'expired',
    });
  });
});

describe('JwtVerifier config', () => {
  it('rejects incomplete or contradictory config with PH_AUTH_JWT_CONFIG', () => {
    for (const jwt of [
      {},
      { secret: '' },
      { secret: 's', key_file: 'f' },
      { algorithm: 'RS256' },
      { algorithm: 'RS256', secret: 's', key_file: 'f' },
    ]) {
      expect(() => new JwtVerifier(jwtConfig(jwt)), JSON.stringify(jwt)).toThrow(
        expect.objectContaining({ code: 'PH_AUTH_JWT_CONFIG' }),
      );
    }
  });

  it('start() fails with PH_AUTH_JWT_KEY on a missing file or a non-RSA key', async () => {
    const dir = tempDir();
    await expect(
      new JwtVerifier(jwtConfig({ algorithm: 'RS256', key_file: join(dir, 'none.pem') })).start(),
    ).rejects.toMatchObject({ code: 'PH_AUTH_JWT_KEY' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;
    await writeFile(join(dir, 'ec.pem'), ec);
    await expect(
      new JwtVerifier(jwtConfig({ algorithm: 'RS256', key_file: join(dir, 'ec.pem') })).start(),
    ).rejects.toThrow(/expected an RSA public key/);
    await writeFile(join(dir, 'junk.pem'), 'not a key');
    await expect(
      new JwtVerifier(jwtConfig({ algorithm: 'RS256', key_file: join(dir, 'junk.pem') })).start(),
    ).rejects.toMatchObject({ code: 'PH_AUTH_JWT_KEY' });
  });

  it('verify() before start() is a state error', async () => {
    await expect(new JwtVerifier(jwtConfig({ secret: SECRET })).verify('x')).rejects.toMatchObject({
      code: 'PH_AUTH_NOT_STARTED',
    });
  });
});
