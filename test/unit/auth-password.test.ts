import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatHash, hashPassword, parseHash, verifyPassword } from '../../src/auth/password-hash.js';
import { parsePasswordFile, PasswordFile } from '../../src/auth/password-file.js';
import { removeUser, upsertUser } from '../../src/auth/password-file-write.js';
import { AuthError } from '../../src/errors.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

// Cheap parameters where the test is about the format, not the cost.
const FAST = { N: 16, r: 1, p: 1 };

describe('password hashes', () => {
  it('hashes with the documented format and default cost, and verifies', async () => {
    const h = await hashPassword('s3cret');
    expect(h).toMatch(/^\$scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(await verifyPassword('s3cret', h)).toBe(true);
    expect(await verifyPassword('s3cret ', h)).toBe(false);
    expect(await verifyPassword(Buffer.from('s3cret'), h)).toBe(true);
  });

  it('uses a fresh salt each time', async () => {
    expect(await hashPassword('x', FAST)).not.toBe(await hashPassword('x', FAST));
  });

  it('round-trips any password, and rejects any other (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), async (pw, other) => {
        const h = await hashPassword(pw, FAST);
        expect(formatHash(parseHash(h))).toBe(h);
        expect(await verifyPassword(pw, h)).toBe(true);
        if (other !== pw) expect(await verifyPassword(other, h)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects malformed or out-of-range hashes with PH_AUTH_HASH_INVALID', async () => {
    const salt = Buffer.alloc(16, 1).toString('base64');
    const key = Buffer.alloc(32, 2).toString('base64');
    for (const bad of [
      '',
      'plain',
      `$scrypt$N=1000,r=8,p=1$${salt}$${key}`,
      `$scrypt$N=4194304,r=8,p=1$${salt}$${key}`,
      `$scrypt$N=16,r=0,p=1$${salt}$${key}`,
      `$scrypt$N=16,r=8,p=1$$${key}`,
      `$bcrypt$N=16,r=8,p=1$${salt}$${key}`,
    ]) {
      expect(() => parseHash(bad), bad).toThrow(expect.objectContaining({ code: 'PH_AUTH_HASH_INVALID' }));
    }
    await expect(verifyPassword('x', 'nope')).rejects.toBeInstanceOf(AuthError);
  });

  it('parseHash never throws anything but AuthError on garbage (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseHash(s);
        } catch (err) {
          expect(err).toBeInstanceOf(AuthError);
        }
      }),
    );
  });
});

describe('parsePasswordFile', () => {
  it('skips comments and blank lines, and names file:line on errors', async () => {
    const h = await hashPassword('pw', FAST);
    const entries = parsePasswordFile(`# users\n\nalice:${h}\r\n  bob:${h}  \n`, 'pw.txt');
    expect([...entries.keys()]).toEqual(['alice', 'bob']);
    expect(entries.get('bob')!.line).toBe(4);
    const err = (text: string) => {
      try {
        parsePasswordFile(text, 'pw.txt');
      } catch (e) {
        return e as AuthError;
      }
      throw new Error('no error');
    };
    expect(err(`alice:${h}\nnocolon`).message).toMatch(/^pw\.txt:2: .*no ":"/);
    expect(err(`alice:${h}\nalice:${h}`).message).toMatch(/^pw\.txt:2: duplicate user "alice" \(first on line 1\)/);
    expect(err(`\n\nbob:plaintext`).message).toMatch(/^pw\.txt:3: invalid password hash/);
    expect(err(`:${h}`).message).toMatch(/^pw\.txt:1: username is empty/);
    expect(err(`:${h}`).code).toBe('PH_AUTH_PASSWORD_FILE');
  });
});

describe('PasswordFile', () => {
  it('load() fails on a missing or invalid file', async () => {
    const dir = tempDir();
    await expect(new PasswordFile(join(dir, 'none')).load()).rejects.toMatchObject({ code: 'PH_AUTH_PASSWORD_FILE' });
    await writeFile(join(dir, 'bad'), 'x\n');
    await expect(new PasswordFile(join(dir, 'bad')).load()).rejects.toThrow(/bad:1:/);
  });

  it('refresh() picks up atomic rewrites, keeps the last good version on a bad edit, empties on removal', async () => {
    const dir = tempDir();
    const file = join(dir, 'passwd');
    await upsertUser(file, 'alice', 'a', FAST);
    const pf = new PasswordFile(file);
    await pf.load();
    expect(pf.lookup('alice')).toBeDefined();
    expect(await pf.refresh()).toBe('unchanged');

    await upsertUser(file, 'bob', 'b', FAST);
    expect(await pf.refresh()).toBe('reloaded');
    expect(pf.lookup('bob')).toBeDefined();

    await writeFile(file, 'broken line\n');
    expect(await pf.refresh()).toBe('invalid');
    expect(pf.lastError?.message).toMatch(/passwd:1:/);
    expect(pf.lookup('alice')).toBeDefined();
    expect(await pf.refresh()).toBe('unchanged'); // the same bad version is not re-parsed

    await unlink(file);
    expect(await pf.refresh()).toBe('missing');
    expect(pf.lookup('alice')).toBeUndefined();
  });
});

describe('upsertUser / removeUser', () => {
  it('creates the file 0600, preserves comments and other users, and leaves no temp files', async () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'passwd');
    expect(await upsertUser(file, 'alice', 'one', FAST)).toBe('added');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFile(file, `# keep me\n${await readFile(file, 'utf8')}`, { mode: 0o644 });
    expect(await upsertUser(file, 'bob', 'two', FAST)).toBe('added');
    expect(await upsertUser(file, 'alice', 'three', FAST)).toBe('updated');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const text = await readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('# keep me');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['# keep me', 'alice', 'bob']);
    const entries = parsePasswordFile(text, file);
    expect(await verifyPassword('three', entries.get('alice')!.hash)).toBe(true);
    expect(await verifyPassword('two', entries.get('bob')!.hash)).toBe(true);

    expect(await removeUser(file, 'alice')).toBe(true);
    expect(await removeUser(file, 'alice')).toBe(false);
    expect([...parsePasswordFile(await readFile(file, 'utf8'), file).keys()]).toEqual(['bob']);
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual(['passwd']);
  });

  it('refuses bad usernames, empty passwords and unparsable files', async () => {
    const dir = tempDir();
    const file = join(dir, 'passwd');
    await expect(upsertUser(file, 'a:b', 'x')).rejects.toMatchObject({ code: 'PH_AUTH_USERNAME_INVALID' });
    await expect(upsertUser(file, ' a', 'x')).rejects.toMatchObject({ code: 'PH_AUTH_USERNAME_INVALID' });
    await expect(upsertUser(file, '#a', 'x')).rejects.toMatchObject({ code: 'PH_AUTH_USERNAME_INVALID' });
    await expect(upsertUser(file, 'a', '')).rejects.toMatchObject({ code: 'PH_AUTH_PASSWORD_EMPTY' });
    await writeFile(file, 'garbage\n');
    await expect(upsertUser(file, 'a', 'x', FAST)).rejects.toMatchObject({ code: 'PH_AUTH_PASSWORD_FILE' });
    expect(await readFile(file, 'utf8')).toBe('garbage\n');
  });
});
