/**
 * Decides whether a CONNECT may proceed, from the `auth` config section:
 *   1. no username: a password is tried as a JWT (if enabled), else allow_anonymous decides;
 *   2. username in the password file: the password must verify;
 *   3. JWT enabled: the password must be a valid token;
 *   4. otherwise bad credentials — unless no password file and no JWT are configured at all, in which
 *      case a username is just a label and allow_anonymous decides, as in mosquitto.
 * The password file is re-read when it changes, so `protohub passwd` takes effect without a restart.
 */
import { resolve } from 'node:path';
import type { HubConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { AuthError } from '../errors.js';
import type { ClientAcl } from './acl-rules.js';
import { JwtVerifier } from './jwt-verifier.js';
import { PasswordFile } from './password-file.js';
import { hashPassword, parseHash, verifyPassword, type ParsedHash } from './password-hash.js';
import { isScramMechanism } from './scram-credentials.js';
import { ScramExchange, type EnhancedAuthExchange, type EnhancedAuthRequest } from './scram-exchange.js';

export type AuthConfig = HubConfig['auth'];

export interface AuthRequest {
  clientId: string;
  username?: string;
  password?: Buffer;
  remoteAddress?: string;
}

export type AuthMethod = 'anonymous' | 'password' | 'jwt';

export type AuthResult =
  | {
      ok: true;
      method: AuthMethod;
      username?: string;
      acl?: ClientAcl;
      /** JWT exp, ms since epoch */ expiresAt?: number;
      /** When the broker must end the connection (JWT exp with auth.jwt.disconnect_after_expire), ms since epoch. */
      disconnectAt?: number;
    }
  /** bad_credentials → CONNACK 0x86 (v5) / 0x04 (v3); not_authorized → 0x87 / 0x05. `detail` is for logs only. */
  | { ok: false; reason: 'bad_credentials' | 'not_authorized'; method: AuthMethod; detail: string };

export interface AuthenticatorOptions {
  metrics?: Metrics;
  logger?: Logger;
  /** Directory relative file paths resolve against (default: the working directory). */
  baseDir?: string;
}

export class Authenticator {
  readonly #config: AuthConfig;
  readonly #logger: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #passwords: PasswordFile | undefined;
  readonly #jwt: JwtVerifier | undefined;
  #dummyHash: ParsedHash | undefined;
  #starting: Promise<void> | undefined;
  #started = false;

  /** Validates the config (throws AuthError PH_AUTH_JWT_CONFIG); no I/O. */
  constructor(config: AuthConfig, opts: AuthenticatorOptions = {}) {
    this.#config = config;
    this.#logger = opts.logger ?? silentLogger();
    this.#metrics = opts.metrics;
    const baseDir = opts.baseDir ?? process.cwd();
    if (config.password_file !== undefined) this.#passwords = new PasswordFile(resolve(baseDir, config.password_file));
    if (config.jwt.enable) this.#jwt = new JwtVerifier(config.jwt, { baseDir });
    // SCRAM credentials live in the password file: without one there is nothing to authenticate against
    this.enhancedAuthMethods = this.#passwords && config.scram.enable ? [...config.scram.mechanisms] : [];
    this.enhancedAuthStepTimeoutMs = config.scram.step_timeout;
  }

  /** Longest wait for the client's next AUTH during a CONNECT exchange. */
  readonly enhancedAuthStepTimeoutMs: number;

  /** MQTT 5 Authentication Methods accepted in CONNECT (§4.12). */
  readonly enhancedAuthMethods: readonly string[];

  /** Start an enhanced-authentication exchange; the caller has checked `method` is in enhancedAuthMethods. */
  beginEnhancedAuth(method: string, req: EnhancedAuthRequest): EnhancedAuthExchange {
    if (!this.#started) throw new AuthError('PH_AUTH_NOT_STARTED', 'Authenticator.beginEnhancedAuth() before start()');
    if (!isScramMechanism(method) || !this.enhancedAuthMethods.includes(method))
      throw new AuthError('PH_AUTH_METHOD_DISABLED', `authentication method ${method} is not enabled`);
    return new ScramExchange(method, req, {
      refresh: () => this.#refreshPasswords(),
      lookup: (user) => this.#passwords!.lookup(user),
      logger: this.#logger,
      metrics: this.#metrics,
    });
  }

  /** Load the password file and JWT key (idempotent). Throws AuthError PH_AUTH_PASSWORD_FILE / PH_AUTH_JWT_KEY. */
  start(): Promise<void> {
    this.#starting ??= (async () => {
      await this.#passwords?.load();
      await this.#jwt?.start();
      // A real hash to burn time on for unknown users, so response time does not reveal who exists.
      if (this.#passwords) this.#dummyHash = parseHash(await hashPassword('protohub-dummy'));
      this.#started = true;
    })().catch((err: unknown) => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  async stop(): Promise<void> {}

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    if (!this.#started) throw new AuthError('PH_AUTH_NOT_STARTED', 'Authenticator.authenticate() before start()');
    let result: AuthResult;
    try {
      result = await this.#decide(req);
    } catch (err) {
      // Not the client's fault (e.g. scrypt out of memory): refuse this one, keep serving the rest.
      this.#logger.error({ err, clientId: req.clientId }, 'authentication error');
      result = {
        ok: false,
        reason: 'not_authorized',
        method: 'password',
        detail: `internal error: ${(err as Error).message}`,
      };
    }
    this.#count(result);
    if (!result.ok) {
      this.#logger.debug(
        {
          clientId: req.clientId,
          username: req.username,
          remoteAddress: req.remoteAddress,
          reason: result.reason,
          detail: result.detail,
        },
        'authentication failed',
      );
    }
    return result;
  }

  async #decide(req: AuthRequest): Promise<AuthResult> {
    const { username, password } = req;
    if (username === undefined) {
      if (this.#jwt && password !== undefined && password.length > 0) return this.#verifyJwt(password, undefined);
      return this.#anonymous(undefined, 'no username');
    }
    if (this.#passwords) await this.#refreshPasswords();
    const entry = this.#passwords?.lookup(username);
    if (entry) {
      if (password === undefined)
        return { ok: false, reason: 'bad_credentials', method: 'password', detail: 'no password' };
      return (await verifyPassword(password, entry.hash))
        ? { ok: true, method: 'password', username }
        : { ok: false, reason: 'bad_credentials', method: 'password', detail: 'wrong password' };
    }
    if (this.#jwt) {
      if (password === undefined || password.length === 0)
        return { ok: false, reason: 'bad_credentials', method: 'jwt', detail: 'no token' };
      return this.#verifyJwt(password, username);
    }
    if (this.#passwords) {
      if (password !== undefined) await verifyPassword(password, this.#dummyHash!);
      return { ok: false, reason: 'bad_credentials', method: 'password', detail: 'unknown user' };
    }
    // The username is unverified here, but ACL rules may still key on it (as mosquitto's %u does).
    return this.#anonymous(username, 'no password file or JWT configured');
  }

  #anonymous(username: string | undefined, why: string): AuthResult {
    return this.#config.allow_anonymous
      ? { ok: true, method: 'anonymous', ...(username !== undefined ? { username } : {}) }
      : { ok: false, reason: 'not_authorized', method: 'anonymous', detail: `${why} and allow_anonymous = false` };
  }

  async #verifyJwt(password: Buffer, username: string | undefined): Promise<AuthResult> {
    const r = await this.#jwt!.verify(password.toString('utf8'), username);
    if (!r.ok) return { ok: false, reason: 'bad_credentials', method: 'jwt', detail: `jwt ${r.failure}: ${r.detail}` };
    const disconnectAt = this.#config.jwt.disconnect_after_expire ? r.expiresAt : undefined;
    return { ok: true, method: 'jwt', username: r.username, acl: r.acl, expiresAt: r.expiresAt, disconnectAt };
  }

  async #refreshPasswords(): Promise<void> {
    const outcome = await this.#passwords!.refresh();
    if (outcome === 'unchanged') return;
    this.#metrics
      ?.counter('protohub_auth_password_file_reloads_total', 'password file re-reads after a change', ['result'])
      .inc({ result: outcome });
    if (outcome === 'reloaded')
      this.#logger.info({ file: this.#passwords!.path, users: this.#passwords!.size }, 'password file reloaded');
    else if (outcome === 'missing')
      this.#logger.warn({ file: this.#passwords!.path }, 'password file missing; no password users until it returns');
    else
      this.#logger.error(
        { file: this.#passwords!.path, err: this.#passwords!.lastError?.message, code: 'PH_AUTH_PASSWORD_FILE' },
        'password file invalid; keeping the last good version',
      );
  }

  #count(result: AuthResult): void {
    if (!this.#metrics) return;
    const labels = { method: result.method, result: result.ok ? 'ok' : result.reason };
    this.#metrics
      .counter('protohub_auth_attempts_total', 'CONNECT authentication outcomes', ['method', 'result'])
      .inc(labels);
  }
}
