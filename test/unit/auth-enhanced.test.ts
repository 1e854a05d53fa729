import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Authenticator } from '../../src/auth/authenticator.js';
import { upsertUser } from '../../src/auth/password-file-write.js';
import { parsePasswordFile } from '../../src/auth/password-file.js';
import { authSchema } from '../../src/config/schema.js';
import { Metrics } from '../../src/metrics.js';
import { ScramClient } from '../support/scram-client.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const SECRET = 'enhanced-auth-test-secret-0123456789';
const FAST = { N: 16, r: 1, p: 1 };

async function started(auth: Record<string, unknown>, metrics?: Metrics) {
  const a = new Authenticator(authSchema.parse(auth), { metrics });
  await a.start();
  return a;
}

async function passwordFile(): Promise<string> {
  const file = join(tempDir('protohub-enh-'), 'passwd');
  await upsertUser(file, 'alice', 'wonderland', FAST, 64);
  return file;
}

describe('SCRAM data in the password file', () => {
  it('protohub passwd (upsertUser) stores scrypt plus SCRAM-SHA-256 and -512 on the user line', async () => {
    const file = join(tempDir('protohub-enh-'), 'passwd');
    await upsertUser(file, 'bob', 'builder', FAST);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^bob:\$scrypt\$[^:]+:\$scram-sha-256\$i=4096\$[^:]+:\$scram-sha-512\$i=4096\$[^:]+\n$/);
    const entry = parsePasswordFile(text, file).get('bob')!;
    expect(Object.keys(entry.scram).sort()).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
  });
});

describe('Authenticator enhanced authentication', () => {
  it('offers SCRAM only with a password file and auth.scram.enable', async () => {
    const file = await passwordFile();
    expect((await started({ password_file: file })).enhancedAuthMethods).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    expect((await started({ password_file: file, scram: { enable: false } })).enhancedAuthMethods).toEqual([]);
    expect(
      (await started({ password_file: file, scram: { mechanisms: ['SCRAM-SHA-512'] } })).enhancedAuthMethods,
    ).toEqual(['SCRAM-SHA-512']);
    expect((await started({})).enhancedAuthMethods).toEqual([]);
    expect(() => new Authenticator(authSchema.parse({ scram: { mechanisms: ['SCRAM-SHA-1'] } }))).toThrow();
  });

  it('runs an exchange against the file and counts it by method; a CONNECT user name must match', async () => {
    const metrics = new Metrics();
    const a = await started({ password_file: await passwordFile() }, metrics);
    const run = async (user: string, password: string, connectUser?: string) => {
      const ex = a.beginEnhancedAuth('SCRAM-SHA-512', { clientId: 'c', username: connectUser, reauth: false });
      const client = new ScramClient('SCRAM-SHA-512', user, password);
      const first = await ex.step(client.first());
      if (first.kind !== 'continue') return first;
      return ex.step(await client.final(first.data));
    };
    expect(await run('alice', 'wonderland')).toMatchObject({ kind: 'success', username: 'alice' });
    expect(await run('alice', 'nope')).toMatchObject({ kind: 'failure', failure: 'bad_credentials' });
    expect(await run('alice', 'wonderland', 'bob')).toMatchObject({ kind: 'failure', failure: 'not_authorized' });
    const count = (result: string) =>
      metrics.value('protohub_auth_attempts_total', { method: 'scram-sha-512', result });
    expect([await count('ok'), await count('bad_credentials'), await count('not_authorized')]).toEqual([1, 1, 1]);
    expect(() => a.beginEnhancedAuth('PLAIN', { clientId: 'c', reauth: false })).toThrow(
      expect.objectContaining({ code: 'PH_AUTH_METHOD_DISABLED' }),
    );
  });
});

describe('JWT disconnect_after_expire', () => {
  const token = (exp: number) =>
    new SignJWT({ exp }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  const req = (password: string) => ({ clientId: 'c', password: Buffer.from(password), remoteAddress: '::1' });

  it('sets disconnectAt to exp by default, not when disabled, and not for tokens without exp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const on = await started({ jwt: { enable: true, secret: SECRET } });
    expect(await on.authenticate(req(await token(exp)))).toMatchObject({ ok: true, disconnectAt: exp * 1000 });
    const off = await started({ jwt: { enable: true, secret: SECRET, disconnect_after_expire: false } });
    const r = await off.authenticate(req(await token(exp)));
    expect(r).toMatchObject({ ok: true, expiresAt: exp * 1000 });
    expect(r.ok && r.disconnectAt).toBeUndefined();
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    const r2 = await on.authenticate(req(noExp));
    expect(r2.ok && r2.disconnectAt).toBeUndefined();
  });
});
