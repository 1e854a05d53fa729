/**
 * CoAP frame codec (RFC 7252 §3) over the `coap-packet` parser/generator that node-coap itself uses, plus the
 * checks it leaves out. Sans-IO: bytes in, a CoapMessage or a typed ProtocolError out; never any other throw.
 */
import coapPacket from 'coap-packet';
import { ProtocolError } from '../../src/gateway/index.js';
import type { CoapMessage, CoapOption, CoapType } from './message.js';

/** coap-packet reports known options by name; the gateway works with numbers. */
const OPTION_NUMBERS: Readonly<Record<string, number>> = {
  'If-Match': 1,
  'Uri-Host': 3,
  ETag: 4,
  'If-None-Match': 5,
  Observe: 6,
  'Uri-Port': 7,
  'Location-Path': 8,
  OSCORE: 9,
  'Uri-Path': 11,
  'Content-Format': 12,
  'Max-Age': 14,
  'Uri-Query': 15,
  'Hop-Limit': 16,
  Accept: 17,
  'Q-Block1': 19,
  'Location-Query': 20,
  Block2: 23,
  Block1: 27,
  Size2: 28,
  'Q-Block2': 31,
  'Proxy-Uri': 35,
  'Proxy-Scheme': 39,
  Size1: 60,
  'No-Response': 258,
  'OCF-Accept-Content-Format-Version': 2049,
  'OCF-Content-Format-Version': 2053,
};

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

function reasonOf(err: unknown): MalformedReason {
  const text = err instanceof Error ? err.message : String(err);
  if (/version/i.test(text)) return 'version';
  if (/token/i.test(text)) return 'token_length';
  if (/empty/i.test(text)) return 'empty_not_empty';
  if (/option/i.test(text)) return 'option';
  return 'truncated';
}

/**
 * Index of the payload marker, or -1 when the options run to the end. Walks the option headers as RFC 7252 §3.1
 * lays them out; coap-packet accepts a marker followed by nothing, which §3 calls a message format error.
 */
function payloadMarkerIndex(buf: Buffer, start: number): number {
  let i = start;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b === 0xff) return i;
    const delta = b >> 4;
    let len = b & 0x0f;
    i++;
    if (delta === 13) i += 1;
    else if (delta === 14) i += 2;
    if (len === 13) len = buf[i++]! + 13;
    else if (len === 14) {
      len = buf.readUInt16BE(i) + 269;
      i += 2;
    }
    i += len;
  }
  return -1;
}

export function decodeCoap(buf: Buffer): CoapMessage {
  const header = buf.length >= 4 ? { type: TYPES[(buf[0]! >> 4) & 0x03]!, messageId: buf.readUInt16BE(2) } : undefined;
  if (buf.length < 4)
    throw new CoapFormatError('truncated', `datagram of ${buf.length} bytes is shorter than a header`);
  // RFC 7252 §3: token lengths 9-15 are reserved and MUST be processed as a message format error.
  const tkl = buf[0]! & 0x0f;
  if (tkl > 8) throw new CoapFormatError('token_length', `token length ${tkl} is reserved`, header);
  let parsed: ReturnType<typeof coapPacket.parse>;
  try {
    parsed = coapPacket.parse(buf);
  } catch (err) {
    throw new CoapFormatError(reasonOf(err), `malformed CoAP message: ${(err as Error).message}`, header);
  }
  if (parsed.payload.length === 0 && buf.length > 4 + tkl) {
    // RFC 7252 §3: a payload marker followed by a zero-length payload is a message format error.
    try {
      if (payloadMarkerIndex(buf, 4 + tkl) === buf.length - 1) {
        throw new CoapFormatError('payload_marker', 'payload marker without payload', header);
      }
    } catch (err) {
      if (err instanceof CoapFormatError) throw err;
      throw new CoapFormatError('option', 'option header runs past the datagram', header);
    }
  }
  const options: CoapOption[] = parsed.options.map((o) => ({
    number: typeof o.name === 'number' ? o.name : (OPTION_NUMBERS[o.name] ?? Number(o.name)),
    value: o.value,
  }));
  const [cls, detail] = parsed.code.split('.').map(Number) as [number, number];
  return {
    type: parsed.confirmable ? 'CON' : parsed.ack ? 'ACK' : parsed.reset ? 'RST' : 'NON',
    code: (cls << 5) | detail,
    messageId: parsed.messageId,
    token: parsed.token,
    options,
    payload: parsed.payload,
  };
}

/** Encode; `maxLength` bounds the datagram (coap-packet defaults to 1280, RFC 7252 §4.6). */
export function encodeCoap(msg: CoapMessage, maxLength = 65_507): Buffer {
  return coapPacket.generate(
    {
      code: `${msg.code >> 5}.${String(msg.code & 0x1f).padStart(2, '0')}`,
      messageId: msg.messageId,
      token: msg.token,
      confirmable: msg.type === 'CON',
      ack: msg.type === 'ACK',
      reset: msg.type === 'RST',
      options: msg.options.map((o) => ({ name: o.number, value: o.value })),
      payload: msg.payload,
    },
    maxLength,
  );
}
