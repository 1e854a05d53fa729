/**
 * CoAP frame codec (RFC 7252 §3), sans-IO: bytes in, a CoapMessage or a typed ProtocolError out; never any other
 * throw. Our own rather than coap-packet's (which node-coap uses): see decodeCoap.
 */
import { ProtocolError } from '../../src/gateway/index.js';
import type { CoapMessage, CoapOption, CoapType } from './message.js';

/** Why a datagram is not a CoAP message; also the `reason` label of the malformed counter. */
export type MalformedReason =
  'truncated' | 'version' | 'token_length' | 'empty_not_empty' | 'option' | 'payload_marker';

export class CoapFormatError extends ProtocolError {
  readonly reason: MalformedReason;
  /** Message id and type when the 4-byte header was readable, so a CON can be answered with RST (RFC 7252 §4.2). */
  readonly header?: { type: CoapType; messageId: number };
  constructor(reason: MalformedReason, message: string, header?: { type: CoapType; messageId: number }) {
    super('PH_COAP_MALFORMED', message);
    this.reason = reason;
    this.header = header;
  }
}

const TYPES: readonly CoapType[] = ['CON', 'NON', 'ACK', 'RST'];
const TYPE_BITS: Readonly<Record<CoapType, number>> = { CON: 0, NON: 1, ACK: 2, RST: 3 };
const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Decode one datagram (RFC 7252 §3). Written out rather than through coap-packet's parser: that one spends more
 * CPU than the rest of a NON publish's path (code as a "0.02" string, options by name, mapped back here) and lets
 * a token or option value that runs past the datagram through, shortened, where §3 calls it a format error.
 */
export function decodeCoap(buf: Buffer): CoapMessage {
  const n = buf.length;
  if (n < 4) throw new CoapFormatError('truncated', `datagram of ${n} bytes is shorter than a header`);
  const b0 = buf[0]!;
  const header = { type: TYPES[(b0 >> 4) & 0x03]!, messageId: (buf[2]! << 8) | buf[3]! };
  // RFC 7252 §3: token lengths 9-15 are reserved and MUST be processed as a message format error.
  const tkl = b0 & 0x0f;
  if (tkl > 8) throw new CoapFormatError('token_length', `token length ${tkl} is reserved`, header);
  if (b0 >> 6 !== 1) throw new CoapFormatError('version', `unsupported CoAP version ${b0 >> 6}`, header);
  const code = buf[1]!;
  if (code === 0) {
    // RFC 7252 §4.1: an Empty message has nothing after the 4-byte header.
    if (n !== 4) throw new CoapFormatError('empty_not_empty', 'empty message with content after the header', header);
    return { type: header.type, code, messageId: header.messageId, token: EMPTY, options: [], payload: EMPTY };
  }
  if (4 + tkl > n) throw new CoapFormatError('truncated', `token of ${tkl} bytes runs past the datagram`, header);
  const token = buf.subarray(4, 4 + tkl);
  const options: CoapOption[] = [];
  let i = 4 + tkl;
  let number = 0;
  let payload = EMPTY;
  while (i < n) {
    const b = buf[i++]!;
    if (b === 0xff) {
      // RFC 7252 §3: a payload marker followed by a zero-length payload is a message format error.
      if (i === n) throw new CoapFormatError('payload_marker', 'payload marker without payload', header);
      payload = buf.subarray(i);
      break;
    }
    let delta = b >> 4;
    let len = b & 0x0f;
    // RFC 7252 §3.1: 15 in either nibble (other than the marker) is reserved, a format error
    if (delta === 15) throw new CoapFormatError('option', 'option delta 15 is reserved', header);
    if (len === 15) throw new CoapFormatError('option', 'option length 15 is reserved', header);
    const ext = (delta === 13 ? 1 : delta === 14 ? 2 : 0) + (len === 13 ? 1 : len === 14 ? 2 : 0);
    if (i + ext > n) throw new CoapFormatError('option', 'option header runs past the datagram', header);
    if (delta === 13) delta = buf[i++]! + 13;
    else if (delta === 14) {
      delta = ((buf[i]! << 8) | buf[i + 1]!) + 269;
      i += 2;
    }
    if (len === 13) len = buf[i++]! + 13;
    else if (len === 14) {
      len = ((buf[i]! << 8) | buf[i + 1]!) + 269;
      i += 2;
    }
    if (i + len > n) throw new CoapFormatError('option', 'option value runs past the datagram', header);
    number += delta;
    options.push({ number, value: buf.subarray(i, i + len) });
    i += len;
  }
  return { type: header.type, code, messageId: header.messageId, token, options, payload };
}

const optionOrder = (a: CoapOption, b: CoapOption): number => a.number - b.number;

/** Size of one option's header for a delta or length (RFC 7252 §3.1: 4-bit nibble, +1 or +2 extended bytes). */
const extBytes = (v: number): number => (v < 13 ? 0 : v < 269 ? 1 : 2);
const nibble = (v: number): number => (v < 13 ? v : v < 269 ? 13 : 14);

/**
 * Encode (RFC 7252 §3); options go out in option-number order (repeated ones keep theirs), a payload after the
 * marker only when there is one. `maxLength` bounds the datagram. Throws a plain Error on a caller bug (a token
 * over 8 bytes, an option number below its predecessor cannot happen after the sort).
 */
export function encodeCoap(msg: CoapMessage, maxLength = 65_507): Buffer {
  const tkl = msg.token.length;
  if (tkl > 8) throw new Error(`CoAP token of ${tkl} bytes (at most 8)`);
  let options = msg.options;
  for (let k = 1; k < options.length; k++) {
    if (options[k]!.number < options[k - 1]!.number) {
      options = [...options].sort(optionOrder);
      break;
    }
  }
  const payload = msg.code === 0 ? EMPTY : msg.payload;
  let length = 4 + tkl + (payload.length > 0 ? 1 + payload.length : 0);
  let prev = 0;
  for (const o of options) {
    const delta = o.number - prev;
    length += 1 + extBytes(delta) + extBytes(o.value.length) + o.value.length;
    prev = o.number;
  }
  if (length > maxLength) throw new Error(`Max packet size is ${maxLength}: current is ${length}`);
  const out = Buffer.allocUnsafe(length);
  out[0] = 0x40 | (TYPE_BITS[msg.type] << 4) | tkl;
  out[1] = msg.code;
  out[2] = msg.messageId >> 8;
  out[3] = msg.messageId & 0xff;
  let i = 4;
  if (tkl > 0) i += msg.token.copy(out, i);
  prev = 0;
  for (const o of options) {
    const delta = o.number - prev;
    const len = o.value.length;
    prev = o.number;
    out[i++] = (nibble(delta) << 4) | nibble(len);
    if (delta >= 269) i = out.writeUInt16BE(delta - 269, i);
    else if (delta >= 13) out[i++] = delta - 13;
    if (len >= 269) i = out.writeUInt16BE(len - 269, i);
    else if (len >= 13) out[i++] = len - 13;
    if (len > 0) i += o.value.copy(out, i);
  }
  if (payload.length > 0) {
    out[i++] = 0xff;
    payload.copy(out, i);
  }
  return out;
}
