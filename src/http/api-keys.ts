/**
 * API keys: `<id>:<secret>` pairs sent as HTTP Basic credentials. Only a SHA-256 of the secret is stored — the
 * secret is 32 random bytes, so a slow password hash would add latency to every request and no safety. The
 * file (JSON, mode 0600) is replaced atomically and re-read when its mtime or size changes, so keys created
 * offline by `protohub ctl api-key create` work in a running hub without a restart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiError } from './errors.js';

export interface ApiKeyRecord {
  /** Public part, the Basic user name: `ph_` + 16 hex digits. */
  key: string;
  name: string;
  /** `sha256:<hex>` of the secret. */
  hash: string;
  created_at: string;
}

export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

const digest = (secret: string) => `sha256:${createHash('sha256').update(secret).digest('hex')}`;

/** The API key file of a config: `http.api_keys_file` or `<store.dir>/api-keys.json`. */
export function apiKeysPath(config: { http: { api_keys_file?: string }; store: { dir: string } }): string {
  return config.http.api_keys_file ?? join(config.store.dir, 'api-keys.json');
}

export class ApiKeyStore {
  #records: ApiKeyRecord[] = [];
  #signature?: string;

  /** No I/O here. */
  constructor(readonly path: string) {}

  /** Current keys; re-reads the file when it changed. A missing file means no keys. */
  list(): ApiKeyInfo[] {
    return this.#load().map(({ key, name, created_at }) => ({ key, name, created_at }));
  }

  /** Create a key; the secret is returned once and never stored. */
  create(name: string): ApiKeyInfo & { secret: string } {
    const records = this.#load();
    if (records.some((r) => r.name === name))
      throw new ApiError(409, 'PH_HTTP_CONFLICT', `an API key named "${name}" exists`);
    const secret = randomBytes(32).toString('base64url');
    const rec: ApiKeyRecord = {
      key: `ph_${randomBytes(8).toString('hex')}`,
      name,
      hash: digest(secret),
      created_at: new Date().toISOString(),
    };
    this.#save([...records, rec]);
    return { key: rec.key, name, created_at: rec.created_at, secret };
  }

  /** Delete by key id or by name; false when there is none. */
  delete(keyOrName: string): boolean {
    const records = this.#load();
    const kept = records.filter((r) => r.key !== keyOrName && r.name !== keyOrName);
    if (kept.length === records.length) return false;
    this.#save(kept);
    return true;
  }

  /** Constant-time check of a key's secret; the key id name on success. */
  verify(key: string, secret: string): string | undefined {
    const rec = this.#load().find((r) => r.key === key);
    const want = Buffer.from(rec?.hash ?? digest('\u0000no key'));
    const got = Buffer.from(digest(secret));
    return timingSafeEqual(want, got) && rec ? rec.key : undefined;
  }

  #load(): ApiKeyRecord[] {
    let sig: string | undefined;
    try {
      const st = statSync(this.path);
      sig = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      this.#records = [];
      this.#signature = undefined;
      return this.#records;
    }
    if (sig === this.#signature) return this.#records;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      throw new ApiError(500, 'PH_HTTP_API_KEYS', `${this.path}: ${(err as Error).message}`, { cause: err });
    }
    const keys = (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new ApiError(500, 'PH_HTTP_API_KEYS', `${this.path}: expected {"keys": [...]}`);
    this.#records = keys.filter(
      (k): k is ApiKeyRecord =>
        typeof k === 'object' && k !== null && typeof k.key === 'string' && typeof k.hash === 'string',
    );
    this.#signature = sig;
    return this.#records;
  }

  #save(records: ApiKeyRecord[]): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify({ keys: records }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
    this.#records = records;
    this.#signature = undefined; // the next read re-stats the new file
  }
}
