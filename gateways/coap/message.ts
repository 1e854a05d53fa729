/**
 * CoAP messages as plain data (RFC 7252 §3): what the codec produces and consumes, and the option numbers and
 * response codes the gateway uses. Codes are kept as numbers (class << 5 | detail) so a switch is cheap.
 */

export type CoapType = 'CON' | 'NON' | 'ACK' | 'RST';

export interface CoapOption {
  readonly number: number;
  readonly value: Buffer;
}

export interface CoapMessage {
  readonly type: CoapType;
  /** class << 5 | detail, e.g. 0x45 = 2.05 Content. 0 = Empty message. */
  readonly code: number;
  readonly messageId: number;
  readonly token: Buffer;
  /** Sorted by option number (the codec sorts), repeated options in their wire order. */
  readonly options: readonly CoapOption[];
  readonly payload: Buffer;
}

/** Option numbers (RFC 7252 §5.10, RFC 7641 §2, RFC 7959 §2.1/§4). */
export const Opt = {
  IfMatch: 1,
  UriHost: 3,
  ETag: 4,
  IfNoneMatch: 5,
  Observe: 6,
  UriPort: 7,
  LocationPath: 8,
  UriPath: 11,
  ContentFormat: 12,
  MaxAge: 14,
  UriQuery: 15,
  Accept: 17,
  LocationQuery: 20,
  Block2: 23,
  Block1: 27,
  Size2: 28,
  ProxyUri: 35,
  ProxyScheme: 39,
  Size1: 60,
  NoResponse: 258,
} as const;

/**
 * Options this gateway acts on; an unrecognised critical (odd) option is answered 4.02 (RFC 7252 §5.4.1). The
 * conditional-request options If-Match and If-None-Match (§5.10.8, critical) are not implemented, so they count as
 * unrecognised rather than being silently ignored. Uri-Host/Uri-Port name this endpoint (no virtual hosting) and
 * Proxy-Uri/Proxy-Scheme are answered 5.05 by the resource layer (§5.7.2).
 */
export const KNOWN_OPTIONS: ReadonlySet<number> = new Set(
  Object.values(Opt).filter((n) => n !== Opt.IfMatch && n !== Opt.IfNoneMatch),
);

/** RFC 7252 §5.4.1: an option number with the low bit set is critical. */
export function isCritical(optionNumber: number): boolean {
  return (optionNumber & 1) === 1;
}

export function code(cls: number, detail: number): number {
  return (cls << 5) | detail;
}

/** "2.05" for 0x45. */
export function codeText(c: number): string {
  return `${c >> 5}.${String(c & 0x1f).padStart(2, '0')}`;
}

export const Method = { GET: code(0, 1), POST: code(0, 2), PUT: code(0, 3), DELETE: code(0, 4) } as const;

/** Response codes (RFC 7252 §12.1.2, RFC 7959 §2.9). */
export const Rsp = {
  Created: code(2, 1),
  Deleted: code(2, 2),
  Valid: code(2, 3),
  Changed: code(2, 4),
  Content: code(2, 5),
  Continue: code(2, 31),
  BadRequest: code(4, 0),
  Unauthorized: code(4, 1),
  BadOption: code(4, 2),
  Forbidden: code(4, 3),
  NotFound: code(4, 4),
  MethodNotAllowed: code(4, 5),
  NotAcceptable: code(4, 6),
  RequestEntityIncomplete: code(4, 8),
  PreconditionFailed: code(4, 12),
  RequestEntityTooLarge: code(4, 13),
  UnsupportedContentFormat: code(4, 15),
  InternalServerError: code(5, 0),
  ServiceUnavailable: code(5, 3),
  ProxyingNotSupported: code(5, 5),
  GatewayTimeout: code(5, 4),
} as const;

export function isRequest(c: number): boolean {
  return c >> 5 === 0 && c !== 0;
}

export function isResponse(c: number): boolean {
  const cls = c >> 5;
  return cls >= 2 && cls <= 5;
}

/** All values of a repeatable option, in order. */
export function optionValues(msg: CoapMessage, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const o of msg.options) if (o.number === n) out.push(o.value);
  return out;
}

export function firstOption(msg: CoapMessage, n: number): Buffer | undefined {
  for (const o of msg.options) if (o.number === n) return o.value;
  return undefined;
}

/** RFC 7252 §3.2 uint option value: big-endian, leading zero bytes may be omitted (0 is the empty value). */
export function decodeUint(value: Buffer): number {
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

export function encodeUint(n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n % 256);
    n = Math.floor(n / 256);
  }
  return Buffer.from(bytes);
}

export function uintOption(msg: CoapMessage, n: number): number | undefined {
  const v = firstOption(msg, n);
  return v === undefined ? undefined : decodeUint(v);
}
