/**
 * Password hashes: `$scrypt$N=16384,r=8,p=1$<salt base64>$<hash base64>` (node:crypto scrypt,
 * 16-byte random salt, 32-byte key). The parameters travel with the hash so they can be raised later
 * without invalidating existing entries.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AuthError } from '../errors.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Upper bounds keep a hand-edited file from making one CONNECT cost gigabytes or minutes.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
const HASH_RE = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function scryptAsync(pw: Buffer, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; lift Node's 32 MiB default so the bounds above are usable.
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(pw, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function toBuffer(pw: string | Buffer): Buffer {
  return typeof pw === 'string' ? Buffer.from(pw, 'utf8') : pw;
}

/** Parse an encoded hash; throws AuthError PH_AUTH_HASH_INVALID saying what is wrong. */
export function parseHash(encoded: string): ParsedHash {
  const m = HASH_RE.exec(encoded);
  const bad = (why: string) => new AuthError('PH_AUTH_HASH_INVALID', `invalid password hash: ${why}`);
  if (!m) throw bad('expected $scrypt$N=<n>,r=<r>,p=<p>$<salt base64>$<hash base64>');
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.N < 2 || params.N > MAX_N || (params.N & (params.N - 1)) !== 0)
    throw bad(`N must be a power of two in 2..${MAX_N}`);
  if (params.r < 1 || params.r > MAX_R) throw bad(`r must be in 1..${MAX_R}`);
  if (params.p < 1 || params.p > MAX_P) throw bad(`p must be in 1..${MAX_P}`);
  const salt = Buffer.from(m[4], 'base64');
  const hash = Buffer.from(m[5], 'base64');
  if (salt.length < 8) throw bad('salt shorter than 8 bytes');
  if (hash.length < 16) throw bad('hash shorter than 16 bytes');
  return { params, salt, hash };
}

export function formatHash({ params, salt, hash }: ParsedHash): string {
  return `$scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Hash a password with a fresh random salt. */
export async function hashPassword(pw: string | Buffer, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(toBuffer(pw), salt, KEY_BYTES, params);
  return formatHash({ params, salt, hash });
}

/**
 * Constant-time check of a password against an encoded hash.
 * Throws AuthError PH_AUTH_HASH_INVALID if `encoded` is not a valid hash (a config error, not a wrong password).
 */
export async function verifyPassword(pw: string | Buffer, encoded: string | ParsedHash): Promise<boolean> {
  const parsed = typeof encoded === 'string' ? parseHash(encoded) : encoded;
  const actual = await scryptAsync(toBuffer(pw), parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(actual, parsed.hash);
}
