/**
 * Who may call the API: API keys (`Authorization: Basic key:secret`), users of the password file listed in
 * `http.admins` (Basic, or a login session for the dashboard: cookie `ph_session` or `Bearer <token>`).
 * Wrong credentials are counted per client address (FailureLimiter) and answered 401, then 429.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PasswordFile } from '../auth/password-file.js';
import { verifyPassword } from '../auth/password-hash.js';
import type { ApiKeyStore } from './api-keys.js';
import { ApiError } from './errors.js';
import { FailureLimiter } from './rate-limit.js';

export const SESSION_COOKIE = 'ph_session';

export interface HttpAuthOptions {
  keys: ApiKeyStore;
  passwordFile?: string;
  admins: readonly string[];
  sessionTtlMs: number;
  failures: number;
  failureWindowMs: number;
}

export interface Principal {
  /** `key:<id>` or `user:<name>` */
  id: string;
  /** How the request proved it: a cookie session must pass the CSRF check on state-changing requests. */
  via: 'basic' | 'bearer' | 'cookie';
}

const MAX_SESSIONS = 1000;

export class HttpAuth {
  readonly #opts: HttpAuthOptions;
  readonly #limiter: FailureLimiter;
  readonly #passwords?: PasswordFile;
  readonly #sessions = new Map<string, { user: string; expires: number }>();
  /** Recently verified admin Basic credentials (digest → expiry), so scrypt does not run on every request. */
  readonly #verified = new Map<string, number>();

  constructor(opts: HttpAuthOptions) {
    this.#opts = opts;
    this.#limiter = new FailureLimiter(opts.failures, opts.failureWindowMs);
    if (opts.passwordFile && opts.admins.length > 0) this.#passwords = new PasswordFile(opts.passwordFile);
  }

  /** Authenticate a request or throw 401/429. */
  async check(req: IncomingMessage): Promise<Principal> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const wait = this.#limiter.blockedFor(address);
    if (wait > 0) throw rateLimited(wait);
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    let principal: Principal | undefined;
    if (/^basic$/i.test(scheme)) {
      const text = Buffer.from(value, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon > 0) principal = await this.#basic(text.slice(0, colon), text.slice(colon + 1));
    } else if (/^bearer$/i.test(scheme)) {
      const user = this.#session(value);
      principal = user ? { id: `user:${user}`, via: 'bearer' } : undefined;
    } else if (!header) {
      const token = cookie(req, SESSION_COOKIE);
      if (token === undefined) throw new ApiError(401, 'PH_HTTP_UNAUTHORIZED', 'credentials required');
      const user = this.#session(token);
      principal = user ? { id: `user:${user}`, via: 'cookie' } : undefined;
    }
    if (principal) return principal;
    this.#limiter.fail(address);
    throw new ApiError(401, 'PH_HTTP_UNAUTHORIZED', 'wrong or expired credentials');
  }

  /** Dashboard login with a password-file admin; returns a session token or throws 401/429. */
  async login(
    req: IncomingMessage,
    username: string,
    password: string,
  ): Promise<{ token: string; expires_at: string }> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const wait = this.#limiter.blockedFor(address);
    if (wait > 0) throw rateLimited(wait);
    if (!(await this.#admin(username, password))) {
      this.#limiter.fail(address);
      throw new ApiError(401, 'PH_HTTP_UNAUTHORIZED', 'wrong user name or password, or not an admin');
    }
    const now = Date.now();
    for (const [t, s] of this.#sessions)
      if (s.expires <= now || this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(t);
    const token = randomBytes(32).toString('base64url');
    const expires = now + this.#opts.sessionTtlMs;
    this.#sessions.set(token, { user: username, expires });
    return { token, expires_at: new Date(expires).toISOString() };
  }

  logout(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const token = /^bearer /i.test(header) ? header.slice(7) : cookie(req, SESSION_COOKIE);
    if (token) this.#sessions.delete(token);
  }

  #session(token: string): string | undefined {
    const s = this.#sessions.get(token);
    if (!s) return undefined;
    if (s.expires <= Date.now()) {
      this.#sessions.delete(token);
      return undefined;
    }
    return s.user;
  }

  async #basic(user: string, secret: string): Promise<Principal | undefined> {
    if (user.startsWith('ph_')) {
      const key = this.#opts.keys.verify(user, secret);
      return key ? { id: `key:${key}`, via: 'basic' } : undefined;
    }
    return (await this.#admin(user, secret)) ? { id: `user:${user}`, via: 'basic' } : undefined;
  }

  async #admin(user: string, password: string): Promise<boolean> {
    if (!this.#passwords || !this.#opts.admins.includes(user)) return false;
    await this.#passwords.refresh();
    const entry = this.#passwords.lookup(user);
    if (!entry) return false;
    // keyed by the stored hash too: a changed password invalidates the cached verification at once
    const digest = createHash('sha256').update(`${user}\u0000${entry.encoded}\u0000${password}`).digest('hex');
    const now = Date.now();
    const until = this.#verified.get(digest);
    if (until !== undefined && until > now) return true;
    if (!(await verifyPassword(password, entry.hash))) return false;
    if (this.#verified.size >= 100) this.#verified.clear();
    this.#verified.set(digest, now + 60_000);
    return true;
  }
}

function rateLimited(seconds: number): ApiError {
  const err = new ApiError(429, 'PH_HTTP_RATE_LIMITED', `too many wrong credentials; retry in ${seconds} s`);
  (err as ApiError & { retryAfter?: number }).retryAfter = seconds;
  return err;
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
