/**
 * The password file: one `username:<scrypt hash>[:<SCRAM entry>]...` per line (formats in password-hash.ts and
 * scram-credentials.ts), `#` comments and blank lines ignored. Lines with only the scrypt hash (files written
 * before SCRAM support) stay valid; such users cannot use SCRAM until their password is set again. PasswordFile re-reads it when its inode, size or mtime change, so entries written by
 * `protohub passwd` (atomic rename → new inode) take effect on the next CONNECT without a restart.
 */
import { readFile, stat } from 'node:fs/promises';
import { AuthError } from '../errors.js';
import { parseHash, type ParsedHash } from './password-hash.js';
import { parseScramEntry, type ScramCredentials, type ScramMechanism } from './scram-credentials.js';

export interface PasswordEntry {
  username: string;
  encoded: string;
  hash: ParsedHash;
  /** SCRAM data per mechanism (RFC 5802 §3), absent for users written before SCRAM support. */
  scram: Partial<Record<ScramMechanism, ScramCredentials>>;
  /** 1-based line number in the file. */
  line: number;
}

/** Why a username cannot be stored in the file, or undefined if it can. */
export function usernameProblem(username: string): string | undefined {
  if (username.length === 0) return 'is empty';
  if (username.includes(':')) return 'contains ":"';
  if (/[\u0000-\u001f\u007f]/.test(username)) return 'contains a control character';
  if (username.trim() !== username) return 'has leading or trailing white space';
  if (username.startsWith('#')) return 'starts with "#" (a comment)';
  return undefined;
}

/** Parse file text; throws AuthError PH_AUTH_PASSWORD_FILE naming `file:line`. */
export function parsePasswordFile(text: string, file: string): Map<string, PasswordEntry> {
  const entries = new Map<string, PasswordEntry>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const where = `${file}:${i + 1}`;
    const colon = raw.indexOf(':');
    if (colon < 0)
      throw new AuthError('PH_AUTH_PASSWORD_FILE', `${where}: expected "username:$scrypt$...", found no ":"`);
    const username = raw.slice(0, colon);
    const encoded = raw.slice(colon + 1);
    const problem = usernameProblem(username);
    if (problem) throw new AuthError('PH_AUTH_PASSWORD_FILE', `${where}: username ${problem}`);
    if (entries.has(username)) {
      throw new AuthError(
        'PH_AUTH_PASSWORD_FILE',
        `${where}: duplicate user "${username}" (first on line ${entries.get(username)!.line})`,
      );
    }
    // base64 and the hash syntax never contain ":", so further ":" separate the SCRAM entries
    const [scrypt, ...scramFields] = encoded.split(':');
    let hash: ParsedHash;
    const scram: PasswordEntry['scram'] = {};
    try {
      hash = parseHash(scrypt);
      for (const field of scramFields) {
        const { mechanism, credentials } = parseScramEntry(field);
        if (scram[mechanism]) throw new Error(`${mechanism} appears twice`);
        scram[mechanism] = credentials;
      }
    } catch (err) {
      throw new AuthError('PH_AUTH_PASSWORD_FILE', `${where}: ${(err as Error).message}`, { cause: err });
    }
    entries.set(username, { username, encoded, hash, scram, line: i + 1 });
  }
  return entries;
}

export type RefreshOutcome = 'unchanged' | 'reloaded' | 'missing' | 'invalid';

export class PasswordFile {
  readonly path: string;
  #entries = new Map<string, PasswordEntry>();
  #signature: string | undefined;
  #refreshing: Promise<RefreshOutcome> | undefined;
  #lastError: AuthError | undefined;

  /** No I/O here; call load() or refresh(). */
  constructor(path: string) {
    this.path = path;
  }

  /** Strict first load: throws AuthError PH_AUTH_PASSWORD_FILE if the file is missing, unreadable or invalid. */
  async load(): Promise<void> {
    const outcome = await this.refresh();
    if (outcome === 'missing') throw new AuthError('PH_AUTH_PASSWORD_FILE', `${this.path}: password file not found`);
    if (outcome === 'invalid') throw this.#lastError!;
  }

  /**
   * Re-read the file if it changed. A missing file means no users (fail closed); an invalid file keeps the
   * last good entries, so a typo in a hand edit does not lock everyone out (see lastError).
   */
  refresh(): Promise<RefreshOutcome> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  lookup(username: string): PasswordEntry | undefined {
    return this.#entries.get(username);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The error of the last refresh that found the file invalid or unreadable. */
  get lastError(): AuthError | undefined {
    return this.#lastError;
  }

  async #refresh(): Promise<RefreshOutcome> {
    let signature: string;
    try {
      const s = await stat(this.path);
      signature = `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return this.#fail(err, undefined);
      const changed = this.#signature !== 'missing';
      this.#entries = new Map();
      this.#signature = 'missing';
      return changed ? 'missing' : 'unchanged';
    }
    if (signature === this.#signature) return 'unchanged';
    try {
      this.#entries = parsePasswordFile(await readFile(this.path, 'utf8'), this.path);
      this.#signature = signature;
      this.#lastError = undefined;
      return 'reloaded';
    } catch (err) {
      return this.#fail(err, signature);
    }
  }

  #fail(err: unknown, signature: string | undefined): RefreshOutcome {
    this.#lastError =
      err instanceof AuthError
        ? err
        : new AuthError('PH_AUTH_PASSWORD_FILE', `${this.path}: ${(err as Error).message}`, { cause: err });
    // Remember the bad version so it is not re-parsed on every CONNECT.
    if (signature !== undefined) this.#signature = signature;
    return 'invalid';
  }
}
