/**
 * Edits the password file for `protohub passwd`: other lines (comments, other users) are kept verbatim and
 * the new content replaces the file atomically (write a 0600 temp file in the same directory, fsync,
 * rename), so a hub reading it concurrently sees either the old or the new file, never half of one.
 * Two concurrent editors can still lose one update (last rename wins); the command is meant for one admin.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuthError } from '../errors.js';
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams } from './password-hash.js';
import { parsePasswordFile, usernameProblem } from './password-file.js';
import {
  DEFAULT_SCRAM_ITERATIONS,
  deriveScramCredentials,
  formatScramEntry,
  SCRAM_MECHANISMS,
} from './scram-credentials.js';

async function readLines(file: string): Promise<{ lines: string[]; lineOf: (user: string) => number | undefined }> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AuthError('PH_AUTH_PASSWORD_FILE', `${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  // Refuse to rewrite a file we cannot parse: it would silently carry the damage along.
  const entries = parsePasswordFile(text, file);
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  return { lines, lineOf: (user) => entries.get(user)?.line };
}

async function writeAtomically(file: string, lines: readonly string[]): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.chmod(0o600); // open's mode is filtered by the umask
    await fh.writeFile(lines.length ? `${lines.join('\n')}\n` : '', 'utf8');
    await fh.datasync();
    await fh.close();
    await rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw new AuthError('PH_AUTH_PASSWORD_FILE', `${file}: cannot write: ${(err as Error).message}`, { cause: err });
  }
  // Persist the rename itself; not every file system lets a directory be opened, hence best effort.
  const dh = await open(dir, 'r').catch(() => undefined);
  await dh?.sync().catch(() => undefined);
  await dh?.close().catch(() => undefined);
}

/**
 * Add a user or change their password. Creates the file (and its directory) when missing. The line holds the
 * scrypt hash (CONNECT passwords) and SCRAM-SHA-256/512 credentials (enhanced authentication).
 */
export async function upsertUser(
  file: string,
  username: string,
  password: string | Buffer,
  params: ScryptParams = DEFAULT_SCRYPT,
  scramIterations = DEFAULT_SCRAM_ITERATIONS,
): Promise<'added' | 'updated'> {
  const problem = usernameProblem(username);
  if (problem) throw new AuthError('PH_AUTH_USERNAME_INVALID', `username ${problem}`);
  if (password.length === 0) throw new AuthError('PH_AUTH_PASSWORD_EMPTY', 'password is empty');
  const { lines, lineOf } = await readLines(file);
  const fields = [await hashPassword(password, params)];
  for (const mechanism of SCRAM_MECHANISMS)
    fields.push(formatScramEntry(mechanism, await deriveScramCredentials(mechanism, password, scramIterations)));
  const entry = `${username}:${fields.join(':')}`;
  const at = lineOf(username);
  if (at === undefined) lines.push(entry);
  else lines[at - 1] = entry;
  await writeAtomically(file, lines);
  return at === undefined ? 'added' : 'updated';
}

/** Remove a user; false if they were not in the file (the file is then left untouched). */
export async function removeUser(file: string, username: string): Promise<boolean> {
  const { lines, lineOf } = await readLines(file);
  const at = lineOf(username);
  if (at === undefined) return false;
  lines.splice(at - 1, 1);
  await writeAtomically(file, lines);
  return true;
}
