/**
 * Verifies a JWT sent as the CONNECT password (jose): HS256 with a shared secret, RS256 with a PEM public
 * key or certificate. Only the configured algorithm is accepted, which rules out alg-confusion tokens
 * (`none`, or HS256 signed with the RSA public key). exp/nbf are checked when present (RFC 7519 §4.1.4-5).
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { JWTPayload } from 'jose';

type Jose = typeof import('jose');
/** jose loads on first use (start() of an enabled verifier): hubs without JWT do not pay its import time. */
let jose: Jose | undefined;
import type { HubConfig } from '../config/schema.js';
import { AuthError } from '../errors.js';
import { compileClientAcl, type ClientAcl } from './acl-rules.js';

export type JwtConfig = HubConfig['auth']['jwt'];

export type JwtFailure =
  'malformed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'claim_invalid' | 'username_mismatch' | 'bad_acl';

export type JwtResult =
  | { ok: true; username?: string; acl?: ClientAcl; /** ms since epoch, from `exp` */ expiresAt?: number }
  | { ok: false; failure: JwtFailure; detail: string };

export interface JwtVerifierOptions {
  /** Directory relative `key_file` paths resolve against (default: the working directory). */
  baseDir?: string;
  /** Seconds of clock skew tolerated for exp/nbf (default 0). */
  clockToleranceSec?: number;
}

function failureOf(err: unknown, joseErrors: Jose['errors']): JwtFailure {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return err.claim === 'nbf' ? 'not_yet_valid' : 'claim_invalid';
  return 'malformed'; // JWSInvalid, JWTInvalid, JOSEAlgNotAllowed, bad base64/JSON
}

/** `{ pub?: string[], sub?: string[] }` → ClientAcl, or undefined if the claim has another shape. */
function aclFromClaim(claim: unknown): ClientAcl | undefined {
  if (typeof claim !== 'object' || claim === null || Array.isArray(claim)) return undefined;
  const { pub = [], sub = [] } = claim as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!strings(pub) || !strings(sub)) return undefined;
  return Object.freeze({ pub: Object.freeze([...pub]), sub: Object.freeze([...sub]) });
}

export class JwtVerifier {
  readonly #config: JwtConfig;
  readonly #opts: JwtVerifierOptions;
  #key: KeyObject | undefined;

  /** Checks the config shape (no I/O); throws AuthError PH_AUTH_JWT_CONFIG. */
  constructor(config: JwtConfig, opts: JwtVerifierOptions = {}) {
    const bad = (why: string) => new AuthError('PH_AUTH_JWT_CONFIG', `auth.jwt: ${why}`);
    if (config.algorithm === 'HS256' && config.secret === undefined && config.key_file === undefined)
      throw bad('HS256 needs `secret` or `key_file`');
    if (config.algorithm === 'HS256' && config.secret !== undefined && config.key_file !== undefined)
      throw bad('set either `secret` or `key_file`, not both');
    if (config.algorithm === 'HS256' && config.secret === '') throw bad('`secret` is empty');
    if (config.algorithm === 'RS256' && config.key_file === undefined)
      throw bad('RS256 needs `key_file` (PEM public key or certificate)');
    if (config.algorithm === 'RS256' && config.secret !== undefined) throw bad('RS256 takes `key_file`, not `secret`');
    this.#config = config;
    this.#opts = opts;
  }

  /** Load the key (idempotent). Throws AuthError PH_AUTH_JWT_KEY if the key file is unreadable or not a key. */
  async start(): Promise<void> {
    jose ??= await import('jose');
    if (this.#key) return;
    const { algorithm, secret, key_file: keyFile } = this.#config;
    if (secret !== undefined) {
      this.#key = createSecretKey(Buffer.from(secret, 'utf8'));
      return;
    }
    const path = resolve(this.#opts.baseDir ?? process.cwd(), keyFile!);
    try {
      const text = await readFile(path, 'utf8');
      if (algorithm === 'HS256') {
        // Editors add a trailing newline; it is never meant to be part of the secret.
        const s = text.replace(/\r?\n$/, '');
        if (s.length === 0) throw new Error('file is empty');
        this.#key = createSecretKey(Buffer.from(s, 'utf8'));
      } else {
        const key = createPublicKey(text);
        if (key.asymmetricKeyType !== 'rsa')
          throw new Error(`expected an RSA public key, got ${key.asymmetricKeyType}`);
        this.#key = key;
      }
    } catch (err) {
      throw new AuthError('PH_AUTH_JWT_KEY', `auth.jwt.key_file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Verify a token; `username` is the CONNECT username, which a present username claim must equal. */
  async verify(token: string, username?: string): Promise<JwtResult> {
    if (!this.#key) throw new AuthError('PH_AUTH_NOT_STARTED', 'JwtVerifier.verify() before start()');
    let payload: JWTPayload;
    try {
      ({ payload } = await jose!.jwtVerify(token, this.#key, {
        algorithms: [this.#config.algorithm],
        clockTolerance: this.#opts.clockToleranceSec ?? 0,
      }));
    } catch (err) {
      return { ok: false, failure: failureOf(err, jose!.errors), detail: (err as Error).message };
    }
    const claimedUser = payload[this.#config.username_claim];
    if (claimedUser !== undefined && typeof claimedUser !== 'string') {
      return { ok: false, failure: 'claim_invalid', detail: `claim ${this.#config.username_claim} is not a string` };
    }
    if (claimedUser !== undefined && username !== undefined && claimedUser !== username) {
      return {
        ok: false,
        failure: 'username_mismatch',
        detail: `claim ${this.#config.username_claim} does not match the CONNECT username`,
      };
    }
    const aclClaim = payload[this.#config.acl_claim];
    let acl: ClientAcl | undefined;
    if (aclClaim !== undefined) {
      acl = aclFromClaim(aclClaim);
      if (!acl)
        return {
          ok: false,
          failure: 'bad_acl',
          detail: `claim ${this.#config.acl_claim} is not { pub: [..], sub: [..] }`,
        };
      try {
        compileClientAcl(acl);
      } catch (err) {
        return { ok: false, failure: 'bad_acl', detail: (err as Error).message };
      }
    }
    return {
      ok: true,
      username: username ?? claimedUser,
      ...(acl ? { acl } : {}),
      ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
    };
  }
}
