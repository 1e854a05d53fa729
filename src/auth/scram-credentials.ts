/**
 * What a SCRAM server stores per user and mechanism (RFC 5802 §3): salt, iteration count, StoredKey and
 * ServerKey, never the password. Encoded in the password file as
 * `$scram-sha-256$i=<iterations>$<salt base64>$<StoredKey base64>$<ServerKey base64>`.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { AuthError } from '../errors.js';

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

export interface ScramCredentials {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** RFC 7677 §4: at least 4096 iterations. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
const MAX_ITERATIONS = 10_000_000;
const SALT_BYTES = 16;

export function isScramMechanism(name: string): name is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(name);
}

export function hashOf(mechanism: ScramMechanism): { name: 'sha256' | 'sha512'; bytes: number } {
  return mechanism === 'SCRAM-SHA-256' ? { name: 'sha256', bytes: 32 } : { name: 'sha512', bytes: 64 };
}

export function hmac(mechanism: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hashOf(mechanism).name, key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(hashOf(mechanism).name).update(data).digest();
}

/**
 * RFC 5802 §2.2 Normalize(): SASLprep (RFC 4013). Approximated by NFKC, which is what SASLprep does for
 * every printable password; its prohibited-character checks are not applied. ASCII passwords are unchanged.
 */
export function normalizePassword(password: string | Buffer): Buffer {
  const s = typeof password === 'string' ? password : password.toString('utf8');
  return Buffer.from(s.normalize('NFKC'), 'utf8');
}

/** SaltedPassword = Hi(Normalize(password), salt, i) — Hi is PBKDF2 with HMAC-H (RFC 5802 §2.2). */
export function saltedPassword(
  mechanism: ScramMechanism,
  password: string | Buffer,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  const { name, bytes } = hashOf(mechanism);
  return new Promise((resolve, reject) => {
    pbkdf2(normalizePassword(password), salt, iterations, bytes, name, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** StoredKey and ServerKey from a SaltedPassword (RFC 5802 §3). */
export function keysOf(mechanism: ScramMechanism, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  return {
    storedKey: hash(mechanism, hmac(mechanism, salted, 'Client Key')),
    serverKey: hmac(mechanism, salted, 'Server Key'),
  };
}

export async function deriveScramCredentials(
  mechanism: ScramMechanism,
  password: string | Buffer,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<ScramCredentials> {
  const salted = await saltedPassword(mechanism, password, salt, iterations);
  return { iterations, salt, ...keysOf(mechanism, salted) };
}

const ENTRY_RE =
  /^\$(scram-sha-256|scram-sha-512)\$i=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export function formatScramEntry(mechanism: ScramMechanism, c: ScramCredentials): string {
  const b = (x: Buffer) => x.toString('base64');
  return `$${mechanism.toLowerCase()}$i=${c.iterations}$${b(c.salt)}$${b(c.storedKey)}$${b(c.serverKey)}`;
}

/** Parse one entry; throws AuthError PH_AUTH_HASH_INVALID saying what is wrong. */
export function parseScramEntry(encoded: string): { mechanism: ScramMechanism; credentials: ScramCredentials } {
  const bad = (why: string) => new AuthError('PH_AUTH_HASH_INVALID', `invalid SCRAM entry: ${why}`);
  const m = ENTRY_RE.exec(encoded);
  if (!m) throw bad('expected $scram-sha-256$i=<n>$<salt>$<StoredKey>$<ServerKey> (or scram-sha-512)');
  const mechanism = m[1].toUpperCase() as ScramMechanism;
  const iterations = Number(m[2]);
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw bad(`iterations must be in 1..${MAX_ITERATIONS}`);
  const [salt, storedKey, serverKey] = [m[3], m[4], m[5]].map((s) => Buffer.from(s, 'base64'));
  if (salt.length < 8) throw bad('salt shorter than 8 bytes');
  const bytes = hashOf(mechanism).bytes;
  if (storedKey.length !== bytes || serverKey.length !== bytes)
    throw bad(`${mechanism} keys must be ${bytes} bytes each`);
  return { mechanism, credentials: { iterations, salt, storedKey, serverKey } };
}
