/**
 * A SCRAM client (RFC 5802 §3) for tests, written from the RFC independently of the server's state machine
 * (it shares only the primitive HMAC/H helpers): first() → client-first, final(server-first) → client-final,
 * verify(server-final) checks the server signature.
 */
import { randomBytes } from 'node:crypto';
import { hash, hmac, saltedPassword, type ScramMechanism } from '../../src/auth/scram-credentials.js';

export class ScramClient {
  readonly #nonce: string;
  #bare = '';
  #authMessage = '';
  #serverKey: Buffer | undefined;

  constructor(
    readonly mechanism: ScramMechanism,
    readonly username: string,
    readonly password: string,
    nonce = randomBytes(12).toString('base64'),
  ) {
    this.#nonce = nonce;
  }

  first(): Buffer {
    const name = this.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.#bare = `n=${name},r=${this.#nonce}`;
    return Buffer.from(`n,,${this.#bare}`);
  }

  async final(serverFirst: Buffer | string): Promise<Buffer> {
    const s = serverFirst.toString();
    const attrs = new Map(s.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const));
    const nonce = attrs.get('r') ?? '';
    if (!nonce.startsWith(this.#nonce)) throw new Error(`server nonce ${nonce} does not extend ours`);
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    const salted = await saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    this.#serverKey = hmac(this.mechanism, salted, 'Server Key');
    const withoutProof = `c=biws,r=${nonce}`;
    this.#authMessage = `${this.#bare},${s},${withoutProof}`;
    const signature = hmac(this.mechanism, hash(this.mechanism, clientKey), this.#authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** True if the server-final message proves the server knows the ServerKey. */
  verify(serverFinal: Buffer | string | undefined): boolean {
    if (!serverFinal || !this.#serverKey) return false;
    const expected = `v=${hmac(this.mechanism, this.#serverKey, this.#authMessage).toString('base64')}`;
    return serverFinal.toString() === expected;
  }
}
