/**
 * A SCRAM server exchange as a sans-IO state machine (RFC 5802 §3, §5; RFC 7677 for SHA-256):
 *   step(client-first)  → challenge: server-first (nonce, salt, iterations)
 *   step(client-final)  → success: server-final (v=ServerSignature), or failure
 * Anything out of order or off-grammar is a failure, never an exception. Channel binding is not offered.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  formatServerFinal,
  formatServerFirst,
  parseClientFinal,
  parseClientFirst,
  ScramSyntaxError,
  type ClientFirst,
} from './scram-messages.js';
import {
  hash,
  hmac,
  DEFAULT_SCRAM_ITERATIONS,
  type ScramCredentials,
  type ScramMechanism,
} from './scram-credentials.js';

/** The credentials for a user, `no_credentials` for a known user without data for this mechanism, or undefined. */
export type ScramLookup = (username: string) => ScramCredentials | 'no_credentials' | undefined;

export type ScramFailure =
  | 'malformed' // not SCRAM syntax, channel binding demanded, wrong channel binding or nonce echoed
  | 'out_of_order' // a message after the exchange ended
  | 'unknown_user'
  | 'no_credentials'
  | 'bad_proof';

export type ScramStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; data: Buffer; username: string }
  | { kind: 'failure'; failure: ScramFailure; detail: string; username?: string };

export interface ScramServerOptions {
  /** Server nonce part (tests); default 18 random bytes in base64, which never contains ",". */
  nonce?: () => string;
  /** Secret for stand-in salts of unknown users, so the reply does not reveal who exists (RFC 5802 §9). */
  decoySecret?: Buffer;
}

type State =
  | { at: 'start' }
  | {
      at: 'first';
      first: ClientFirst;
      nonce: string;
      serverFirst: string;
      credentials: ScramCredentials;
      known: boolean;
    }
  | { at: 'done' };

export class ScramServer {
  #state: State = { at: 'start' };

  constructor(
    readonly mechanism: ScramMechanism,
    readonly lookup: ScramLookup,
    readonly options: ScramServerOptions = {},
  ) {}

  get finished(): boolean {
    return this.#state.at === 'done';
  }

  step(input: Buffer): ScramStep {
    const state = this.#state;
    this.#state = { at: 'done' }; // any failure ends the exchange
    try {
      if (state.at === 'start') return this.#first(input);
      if (state.at === 'first') return this.#final(state, input);
      return { kind: 'failure', failure: 'out_of_order', detail: 'message after the SCRAM exchange ended' };
    } catch (err) {
      if (err instanceof ScramSyntaxError) return { kind: 'failure', failure: 'malformed', detail: err.message };
      throw err;
    }
  }

  #first(input: Buffer): ScramStep {
    const first = parseClientFirst(input);
    const found = this.lookup(first.username);
    if (found === 'no_credentials') {
      return {
        kind: 'failure',
        failure: 'no_credentials',
        username: first.username,
        detail: `user has no ${this.mechanism} credentials in the password file`,
      };
    }
    // an unknown user gets a plausible challenge and the same proof check (against keys no password can
    // produce), so neither the answer nor its timing tells a wrong password from an unknown user
    const credentials = found ?? this.#decoy(first.username);
    const nonce = first.clientNonce + (this.options.nonce?.() ?? randomBytes(18).toString('base64'));
    const serverFirst = formatServerFirst(nonce, credentials.salt, credentials.iterations);
    this.#state = { at: 'first', first, nonce, serverFirst, credentials, known: found !== undefined };
    return { kind: 'challenge', data: Buffer.from(serverFirst, 'utf8') };
  }

  #final(state: Extract<State, { at: 'first' }>, input: Buffer): ScramStep {
    const final = parseClientFinal(input);
    const username = state.first.username;
    // RFC 5802 §5.1 c=: base64 of the gs2-header (no channel binding data is ever accepted here)
    if (!final.channelBinding.equals(Buffer.from(state.first.gs2Header, 'utf8')))
      return { kind: 'failure', failure: 'malformed', username, detail: 'channel binding does not match gs2 header' };
    if (final.nonce !== state.nonce)
      return { kind: 'failure', failure: 'malformed', username, detail: 'nonce does not match the exchange' };
    const c = state.credentials;
    const authMessage = `${state.first.bare},${state.serverFirst},${final.withoutProof}`;
    const clientSignature = hmac(this.mechanism, c.storedKey, authMessage);
    if (final.proof.length !== clientSignature.length)
      return { kind: 'failure', failure: 'bad_proof', username, detail: 'client proof has the wrong length' };
    // ClientKey = ClientProof XOR ClientSignature; the proof is right if H(ClientKey) = StoredKey (RFC 5802 §3)
    const clientKey = Buffer.alloc(clientSignature.length);
    for (let i = 0; i < clientKey.length; i++) clientKey[i] = final.proof[i] ^ clientSignature[i];
    const matches = timingSafeEqual(hash(this.mechanism, clientKey), c.storedKey);
    if (!state.known) return { kind: 'failure', failure: 'unknown_user', username, detail: 'unknown user' };
    if (!matches) return { kind: 'failure', failure: 'bad_proof', username, detail: 'wrong password' };
    const serverSignature = hmac(this.mechanism, c.serverKey, authMessage);
    return { kind: 'success', username, data: Buffer.from(formatServerFinal(serverSignature), 'utf8') };
  }

  /** Stand-in credentials for an unknown user: stable per user name, so retries see the same salt. */
  #decoy(username: string): ScramCredentials {
    const secret = this.options.decoySecret ?? DECOY_SECRET;
    const derive = (label: string) => hmac(this.mechanism, secret, `${label}:${username}`);
    return {
      iterations: DEFAULT_SCRAM_ITERATIONS,
      salt: derive('decoy-salt').subarray(0, 16),
      storedKey: derive('decoy-stored-key'),
      serverKey: derive('decoy-server-key'),
    };
  }
}

/** Stable for the process lifetime, so repeated tries for one unknown user see the same salt. */
const DECOY_SECRET = randomBytes(32);
