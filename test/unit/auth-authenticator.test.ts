import { afterAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SignJWT } from 'jose';
import { Authenticator } from '../../src/auth/authenticator.js';
import { runPasswdCommand } from '../../src/auth/passwd-command.js';
import { upsertUser } from '../../src/auth/password-file-write.js';
import { authSchema } from '../../src/config/schema.js';
import { Metrics } from '../../src/metrics.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const SECRET = 'authenticator-test-secret-0123456789';
const FAST = { N: 16, r: 1, p: 1 };
const pw = (s: string) => Buffer.from(s);
const req = (username?: string, password?: Buffer) => ({
  clientId: 'c1',
  username,
  password,
  remoteAddress: '127.0.0.1',
});
const token = (payload: Record<string, unknown>) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));

async function started(auth: Record<string, unknown>, metrics?: Metrics) {
  const a = new Authenticator(authSchema.parse(auth), { metrics });
  await a.start();
  await a.start(); // idempotent
  return a;
}

describe('Authenticator', () => {
  it('anonymous clients depend on allow_anonymous', async () => {
    expect(await (await started({})).authenticate(req())).toEqual({ ok: true, method: 'anonymous' });
    expect(await (await started({ allow_anonymous: false })).authenticate(req())).toMatchObject({
      ok: false,
      reason: 'not_authorized',
    });
  });

  it('with no password file and no JWT, a username is only a label', async () => {
    expect(await (await started({})).authenticate(req('any', pw('x')))).toEqual({
      ok: true,
      method: 'anonymous',
      username: 'any',
    });
    expect(await (await started({ allow_anonymous: false })).authenticate(req('any', pw('x')))).toMatchObject({
      ok: false,
      reason: 'not_authorized',
    });
  });

  it('verifies password-file users and rejects unknown users, wrong and missing passwords', async () => {
    const file = join(tempDir(), 'passwd');
    await upsertUser(file, 'alice', 'wonder', FAST);
    const metrics = new Metrics();
    const a = await started({ password_file: file }, metrics);
    expect(await a.authenticate(req('alice', pw('wonder')))).toEqual({
      ok: true,
      method: 'password',
      username: 'alice',
    });
    expect(await a.authenticate(req('alice', pw('wrong')))).toMatchObject({ ok: false, reason: 'bad_credentials' });
    expect(await a.authenticate(req('alice'))).toMatchObject({ ok: false, reason: 'bad_credentials' });
    expect(await a.authenticate(req('bob', pw('wonder')))).toMatchObject({
      ok: false,
      reason: 'bad_credentials',
      detail: 'unknown user',
    });
    expect(await metrics.value('protohub_auth_attempts_total', { method: 'password', result: 'ok' })).toBe(1);
    expect(await metrics.value('protohub_auth_attempts_total', { method: 'password', result: 'bad_credentials' })).toBe(
      3,
    );
  });

  it('picks up `protohub passwd` changes without a restart, and survives a broken edit', async () => {
    const file = join(tempDir(), 'passwd');
    await upsertUser(file, 'alice', 'one', FAST);
    const metrics = new Metrics();
    const a = await started({ password_file: file }, metrics);
    expect(await a.authenticate(req('carol', pw('c')))).toMatchObject({ ok: false });

    const io = { stdin: Readable.from([]), stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await runPasswdCommand(['-f', file, '-b', 'carol', 'c'], io)).toBe(0);
    expect(await a.authenticate(req('carol', pw('c')))).toMatchObject({ ok: true, username: 'carol' });

    expect(await runPasswdCommand(['-f', file, '-D', 'carol'], io)).toBe(0);
    expect(await a.authenticate(req('carol', pw('c')))).toMatchObject({ ok: false, reason: 'bad_credentials' });

    await writeFile(file, 'not a valid line\n');
    expect(await a.authenticate(req('alice', pw('one')))).toMatchObject({ ok: true }); // last good version kept
    expect(await metrics.value('protohub_auth_password_file_reloads_total', { result: 'invalid' })).toBe(1);
  });

  it('falls back to JWT for users not in the password file', async () => {
    const file = join(tempDir(), 'passwd');
    await upsertUser(file, 'alice', 'wonder', FAST);
    const a = await started({ password_file: file, allow_anonymous: false, jwt: { enable: true, secret: SECRET } });
    const t = await token({ username: 'dev7', acl: { pub: ['dev/${username}/#'], sub: [] } });
    expect(await a.authenticate(req('dev7', pw(t)))).toMatchObject({
      ok: true,
      method: 'jwt',
      username: 'dev7',
      acl: { pub: ['dev/${username}/#'] },
    });
    expect(await a.authenticate(req('dev8', pw(t)))).toMatchObject({
      ok: false,
      reason: 'bad_credentials',
      detail: expect.stringMatching(/username_mismatch/),
    });
    expect(await a.authenticate(req('dev7'))).toMatchObject({ ok: false, reason: 'bad_credentials' });
    expect(await a.authenticate(req('alice', pw(t)))).toMatchObject({ ok: false, reason: 'bad_credentials' }); // file users never use JWT
    expect(await a.authenticate(req('dev7', pw('garbage')))).toMatchObject({ ok: false, reason: 'bad_credentials' });
  });

  it('treats a password without username as a JWT when JWT is enabled (MQTT 5)', async () => {
    const a = await started({ allow_anonymous: true, jwt: { enable: true, secret: SECRET } });
    expect(await a.authenticate(req(undefined, pw(await token({ username: 'm5' }))))).toMatchObject({
      ok: true,
      method: 'jwt',
      username: 'm5',
    });
    expect(await a.authenticate(req(undefined, pw(await token({ exp: 1 }))))).toMatchObject({
      ok: false,
      reason: 'bad_credentials',
    });
    expect(await a.authenticate(req())).toMatchObject({ ok: true, method: 'anonymous' });
  });

  it('start() fails on a missing password file; authenticate() before start() is an error', async () => {
    const a = new Authenticator(authSchema.parse({ password_file: join(tempDir(), 'missing') }));
    await expect(a.start()).rejects.toMatchObject({ code: 'PH_AUTH_PASSWORD_FILE' });
    await expect(a.authenticate(req())).rejects.toMatchObject({ code: 'PH_AUTH_NOT_STARTED' });
  });

  it('resolves relative paths against baseDir', async () => {
    const dir = tempDir();
    await upsertUser(join(dir, 'passwd'), 'u', 'p', FAST);
    const a = new Authenticator(authSchema.parse({ password_file: 'passwd' }), { baseDir: dir });
    await a.start();
    expect(await a.authenticate(req('u', pw('p')))).toMatchObject({ ok: true });
  });
});
