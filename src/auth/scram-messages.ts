/**
 * SCRAM message syntax (RFC 5802 §7): parsing the client's messages and formatting the server's. Pure
 * functions; a message that does not follow the grammar yields a ScramSyntaxError naming what is wrong.
 */

export class ScramSyntaxError extends Error {
  override readonly name = 'ScramSyntaxError';
}

export interface ClientFirst {
  /** gs2-header as sent ("n,," for a client without channel binding), needed to check c= later. */
  gs2Header: string;
  /** Decoded saslname. */
  username: string;
  clientNonce: string;
  /** client-first-message-bare, part of the AuthMessage. */
  bare: string;
}

export interface ClientFinal {
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, part of the AuthMessage. */
  withoutProof: string;
}

const MAX_MESSAGE = 4096; // far above any real SCRAM message; bounds the work a client can ask for
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// RFC 5802 §7: printable = %x21-2B / %x2D-7E (any printable ASCII except ",")
const NONCE_RE = /^[\x21-\x2b\x2d-\x7e]+$/;

function text(input: Buffer, what: string): string {
  if (input.length === 0) throw new ScramSyntaxError(`${what} is empty`);
  if (input.length > MAX_MESSAGE) throw new ScramSyntaxError(`${what} longer than ${MAX_MESSAGE} bytes`);
  const s = input.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(input)) throw new ScramSyntaxError(`${what} is not valid UTF-8`);
  if (s.includes('\0')) throw new ScramSyntaxError(`${what} contains NUL`);
  return s;
}

/** RFC 5802 §5.1 saslname: "=2C" is ",", "=3D" is "="; any other "=" is invalid. */
export function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new ScramSyntaxError('user name has an "=" not followed by 2C or 3D');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function base64(s: string, what: string): Buffer {
  if (!BASE64_RE.test(s)) throw new ScramSyntaxError(`${what} is not base64`);
  return Buffer.from(s, 'base64');
}

function attribute(part: string | undefined, name: string, where: string): string {
  if (part === undefined || !part.startsWith(`${name}=`))
    throw new ScramSyntaxError(`${where}: expected "${name}=" attribute, found ${JSON.stringify(part ?? '')}`);
  return part.slice(name.length + 1);
}

/** client-first-message = gs2-header client-first-message-bare (RFC 5802 §7). */
export function parseClientFirst(input: Buffer): ClientFirst {
  const s = text(input, 'client-first-message');
  const parts = s.split(',');
  if (parts.length < 4) throw new ScramSyntaxError('client-first-message: expected "n,,n=<user>,r=<nonce>"');
  const [cbind, authzid] = parts;
  // RFC 5802 §6: "p=" demands channel binding, which this server does not offer; "y" means the client could
  // but believes the server cannot, which is true here, so it is accepted like "n".
  if (cbind.startsWith('p=')) throw new ScramSyntaxError('channel binding (gs2 "p=") is not supported');
  if (cbind !== 'n' && cbind !== 'y') throw new ScramSyntaxError(`gs2 channel binding flag ${JSON.stringify(cbind)}`);
  if (authzid !== '' && !authzid.startsWith('a=')) throw new ScramSyntaxError('gs2 authzid must be empty or "a="');
  let i = 2;
  // RFC 5802 §5.1 "m": reserved for mandatory extensions; a server that does not know it must fail
  if (parts[i]?.startsWith('m=')) throw new ScramSyntaxError('mandatory extension "m=" is not supported');
  const username = decodeSaslName(attribute(parts[i++], 'n', 'client-first-message'));
  if (username.length === 0) throw new ScramSyntaxError('client-first-message: empty user name');
  if (authzid !== '' && decodeSaslName(authzid.slice(2)) !== username)
    throw new ScramSyntaxError('an authorization identity other than the user name is not supported');
  const clientNonce = attribute(parts[i++], 'r', 'client-first-message');
  if (!NONCE_RE.test(clientNonce)) throw new ScramSyntaxError('client nonce is empty or has non-printable characters');
  const gs2Header = `${cbind},${authzid},`;
  return { gs2Header, username, clientNonce, bare: s.slice(gs2Header.length) };
}

/** client-final-message = channel-binding "," nonce ["," extensions] "," proof (RFC 5802 §7). */
export function parseClientFinal(input: Buffer): ClientFinal {
  const s = text(input, 'client-final-message');
  const at = s.lastIndexOf(',p=');
  if (at < 0) throw new ScramSyntaxError('client-final-message: no ",p=" proof');
  const withoutProof = s.slice(0, at);
  const parts = withoutProof.split(',');
  const channelBinding = base64(attribute(parts[0], 'c', 'client-final-message'), 'channel binding');
  const nonce = attribute(parts[1], 'r', 'client-final-message');
  const proof = base64(s.slice(at + 3), 'client proof');
  return { channelBinding, nonce, proof, withoutProof };
}

export function formatServerFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export function formatServerFinal(serverSignature: Buffer): string {
  return `v=${serverSignature.toString('base64')}`;
}
