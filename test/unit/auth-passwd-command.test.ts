import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runPasswdCommand } from '../../src/auth/passwd-command.js';
import { parsePasswordFile } from '../../src/auth/password-file.js';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

async function run(argv: string[], stdinText = '') {
  let out = '';
  let err = '';
  const code = await runPasswdCommand(argv, {
    stdin: Readable.from([Buffer.from(stdinText)]),
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

async function users(file: string) {
  return parsePasswordFile(await readFile(file, 'utf8'), file);
}

describe('protohub passwd', () => {
  it('round trip: add (-b), change (stdin), delete (-D)', async () => {
    const file = join(tempDir(), 'passwd');
    expect(await run(['-f', file, '-b', 'alice', 'first'])).toMatchObject({
      code: 0,
      out: `added user "alice" in ${file}\n`,
    });
    expect(await verifyPassword('first', (await users(file)).get('alice')!.hash)).toBe(true);

    expect(await run(['-f', file, 'alice'], 'second\r\nignored\n')).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^updated/),
    });
    expect(await verifyPassword('second', (await users(file)).get('alice')!.hash)).toBe(true);

    expect(await run(['-f', file, '-b', 'bob', 'pw'])).toMatchObject({ code: 0 });
    expect(await run(['-D', '-f', file, 'alice'])).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^deleted user "alice"/),
    });
    expect([...(await users(file)).keys()]).toEqual(['bob']);
    expect(await run(['-f', file, '-D', 'alice'])).toMatchObject({ code: 1, err: expect.stringMatching(/not found/) });
  });

  it('reads a password from stdin without a trailing newline', async () => {
    const file = join(tempDir(), 'passwd');
    expect((await run(['-f', file, 'carol'], 'no-newline')).code).toBe(0);
    expect(await verifyPassword('no-newline', (await users(file)).get('carol')!.hash)).toBe(true);
  });

  it('usage errors exit 2 and change nothing', async () => {
    const file = join(tempDir(), 'passwd');
    for (const argv of [
      [],
      ['-f'],
      ['-x', 'u'],
      ['-b', 'u'],
      ['u', 'pw'],
      ['-D', 'u', 'pw'],
      ['-b', 'u', 'pw', 'extra'],
    ]) {
      const r = await run(['-f', file, ...argv].slice(argv[0] === '-f' ? 2 : 0));
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/usage: protohub passwd/);
    }
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await run(['--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/^usage/) });
  });

  it('runtime errors exit 1 with the error code', async () => {
    const file = join(tempDir(), 'passwd');
    expect(await run(['-f', file, 'dave'], '\n')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/empty.*PH_AUTH_PASSWORD_EMPTY/),
    });
    expect(await run(['-f', file, '-b', 'a:b', 'pw'])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/PH_AUTH_USERNAME_INVALID/),
    });
    expect(await run(['-f', file, '-b', '--', '-dash', 'pw'])).toMatchObject({ code: 0 });
  });
});
