/**
 * Sans-IO MQTT-SN 1.2 codec: one datagram ⇄ one Frame. decode() throws only MqttSnFrameError; encode() is total
 * on well-typed frames (field ranges are the caller's contract: 16-bit ids, 8-bit gateway id and radius).
 */
import { MqttSnFrameError } from './errors.js';
import { decodeFlags, encodeFlags } from './flags.js';
import { MsgType, type Frame, type MsgTypeName, type ReturnCode } from './frames.js';

const typeByCode = new Map<number, MsgTypeName>(
  Object.entries(MsgType).map(([name, code]) => [code, name as MsgTypeName]),
);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode one datagram. Throws MqttSnFrameError (never anything else) when it is not a valid message. */
export function decode(buf: Uint8Array): Frame {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return decodeAt(b, false);
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; error: MqttSnFrameError };

export function tryDecode(buf: Uint8Array): DecodeResult {
  try {
    return { ok: true, frame: decode(buf) };
  } catch (error) {
    if (error instanceof MqttSnFrameError) return { ok: false, error };
    // a defect in the decoder itself: still a typed answer, never a crash of the IO layer
    return { ok: false, error: new MqttSnFrameError('truncated', String(error)) };
  }
}

function decodeAt(b: Buffer, inner: boolean): Frame {
  if (b.length === 0) throw new MqttSnFrameError('empty', 'zero-length datagram');
  // MQTT-SN 1.2 §5.2.1: 0x01 announces a 3-octet length field; otherwise the first octet is the length
  let length: number;
  let h: number;
  if (b[0] === 0x01) {
    if (b.length < 4) throw new MqttSnFrameError('truncated', `3-octet length form needs 4 octets, got ${b.length}`);
    length = b.readUInt16BE(1);
    h = 3;
  } else {
    length = b[0]!;
    h = 1;
  }
  if (length < h + 1) throw new MqttSnFrameError('length_mismatch', `length field ${length} shorter than header`);
  if (b.length < h + 1) throw new MqttSnFrameError('truncated', 'no message type octet');
  const code = b[h]!;
  const type = typeByCode.get(code);
  if (type === undefined) throw new MqttSnFrameError('unknown_type', `message type 0x${code.toString(16)}`);
  if (type === 'ENCAPSULATED') {
    // MQTT-SN 1.2 §5.5: the length covers the encapsulation header only; the wrapped message follows it
    if (inner) throw new MqttSnFrameError('nested_encapsulation', 'an encapsulated message wraps another');
    if (length < h + 2 || length > b.length) throw new MqttSnFrameError('truncated', 'encapsulation header');
    const frame = decodeAt(b.subarray(length), true);
    return { type, radius: b[h + 1]! & 0x03, nodeId: Buffer.from(b.subarray(h + 2, length)), inner: frame };
  }
  if (length > b.length) throw new MqttSnFrameError('truncated', `length field ${length}, datagram ${b.length}`);
  if (length < b.length) throw new MqttSnFrameError('length_mismatch', `length field ${length}, datagram ${b.length}`);
  return decodeBody(type, new Reader(b.subarray(h + 1, length), type));
}

class Reader {
  #pos = 0;
  constructor(
    private readonly b: Buffer,
    private readonly type: string,
  ) {}
  get left(): number {
    return this.b.length - this.#pos;
  }
  need(n: number): void {
    if (this.left < n) throw new MqttSnFrameError('truncated', `${this.type} needs ${n} more octets, has ${this.left}`);
  }
  u8(): number {
    this.need(1);
    return this.b[this.#pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  rc(): ReturnCode {
    const v = this.u8();
    // MQTT-SN 1.2 §5.3.10: 0x04-0xFF reserved
    if (v > 3) throw new MqttSnFrameError('bad_return_code', `${this.type} return code 0x${v.toString(16)}`);
    return v as ReturnCode;
  }
  rest(): Buffer {
    const v = Buffer.from(this.b.subarray(this.#pos));
    this.#pos = this.b.length;
    return v;
  }
  text(): string {
    try {
      return utf8.decode(this.b.subarray(this.#pos, (this.#pos = this.b.length)));
    } catch {
      throw new MqttSnFrameError('invalid_utf8', `${this.type} text field is not UTF-8`);
    }
  }
  end(): void {
    if (this.left !== 0) throw new MqttSnFrameError('bad_field_length', `${this.left} extra octets in ${this.type}`);
  }
}

function decodeBody(type: Exclude<MsgTypeName, 'ENCAPSULATED'>, r: Reader): Frame {
  let f: Frame;
  switch (type) {
    case 'ADVERTISE':
      f = { type, gwId: r.u8(), duration: r.u16() };
      break;
    case 'SEARCHGW':
      f = { type, radius: r.u8() };
      break;
    case 'GWINFO': {
      const gwId = r.u8();
      f = r.left > 0 ? { type, gwId, gwAdd: r.rest() } : { type, gwId };
      break;
    }
    case 'CONNECT':
      f = { type, flags: decodeFlags(r.u8()), protocolId: r.u8(), duration: r.u16(), clientId: r.text() };
      break;
    case 'CONNACK':
    case 'WILLTOPICRESP':
    case 'WILLMSGRESP':
      f = { type, returnCode: r.rc() };
      break;
    case 'WILLTOPICREQ':
    case 'WILLMSGREQ':
    case 'PINGRESP':
      f = { type };
      break;
    case 'WILLTOPIC':
    case 'WILLTOPICUPD':
      // MQTT-SN 1.2 §5.4.7: exactly 2 octets = empty WILLTOPIC (delete the will)
      f = r.left === 0 ? { type } : { type, flags: decodeFlags(r.u8()), topic: r.text() };
      break;
    case 'WILLMSG':
    case 'WILLMSGUPD':
      f = { type, message: r.rest() };
      break;
    case 'REGISTER':
      f = { type, topicId: r.u16(), msgId: r.u16(), topic: r.text() };
      break;
    case 'REGACK':
    case 'PUBACK':
      f = { type, topicId: r.u16(), msgId: r.u16(), returnCode: r.rc() };
      break;
    case 'PUBLISH':
      f = { type, flags: decodeFlags(r.u8()), topicId: r.u16(), msgId: r.u16(), data: r.rest() };
      break;
    case 'PUBREC':
    case 'PUBREL':
    case 'PUBCOMP':
    case 'UNSUBACK':
      f = { type, msgId: r.u16() };
      break;
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE': {
      const flags = decodeFlags(r.u8());
      const msgId = r.u16();
      // MQTT-SN 1.2 §5.4.15: a topic name for type normal, a 2-octet id for predefined and short
      f = flags.topicIdType === 0 ? { type, flags, msgId, topic: r.text() } : { type, flags, msgId, topicId: r.u16() };
      break;
    }
    case 'SUBACK':
      f = { type, flags: decodeFlags(r.u8()), topicId: r.u16(), msgId: r.u16(), returnCode: r.rc() };
      break;
    case 'PINGREQ':
      f = r.left > 0 ? { type, clientId: r.text() } : { type };
      break;
    case 'DISCONNECT':
      f = r.left > 0 ? { type, duration: r.u16() } : { type };
      break;
  }
  r.end();
  return f;
}

/**
 * Encode one frame to one datagram, choosing the 1-octet length form when the message fits (§5.2.1). Throws
 * MqttSnFrameError too_large past 65535 octets.
 */
export function encode(frame: Frame): Buffer {
  if (frame.type === 'ENCAPSULATED') {
    const inner = encode(frame.inner);
    const head = Buffer.allocUnsafe(3 + frame.nodeId.length);
    head[0] = head.length;
    head[1] = MsgType.ENCAPSULATED;
    head[2] = frame.radius & 0x03;
    frame.nodeId.copy(head, 3);
    return Buffer.concat([head, inner]);
  }
  const fast = encodeFast(frame);
  if (fast) return fast;
  const body = encodeBody(frame);
  if (body.length + 4 > 0xffff) throw new MqttSnFrameError('too_large', `${frame.type} of ${body.length + 4} octets`);
  const short = body.length + 2 <= 255;
  const h = short ? 1 : 3;
  const out = Buffer.allocUnsafe(h + 1 + body.length);
  if (short) out[0] = out.length;
  else {
    out[0] = 0x01;
    out.writeUInt16BE(out.length, 1);
  }
  out[h] = MsgType[frame.type];
  body.copy(out, h + 1);
  return out;
}

/** The per-message hot path (PUBLISH and its acknowledgements) written straight into one buffer. */
function encodeFast(f: Exclude<Frame, { type: 'ENCAPSULATED' }>): Buffer | undefined {
  switch (f.type) {
    case 'PUBLISH': {
      if (f.data.length + 7 > 255) return undefined;
      const b = Buffer.allocUnsafe(7 + f.data.length);
      b[0] = b.length;
      b[1] = MsgType.PUBLISH;
      b[2] = encodeFlags(f.flags);
      b.writeUInt16BE(f.topicId, 3);
      b.writeUInt16BE(f.msgId, 5);
      f.data.copy(b, 7);
      return b;
    }
    case 'PUBACK':
    case 'REGACK': {
      const b = Buffer.allocUnsafe(7);
      b[0] = 7;
      b[1] = MsgType[f.type];
      b.writeUInt16BE(f.topicId, 2);
      b.writeUInt16BE(f.msgId, 4);
      b[6] = f.returnCode;
      return b;
    }
    case 'PUBREC':
    case 'PUBREL':
    case 'PUBCOMP': {
      const b = Buffer.allocUnsafe(4);
      b[0] = 4;
      b[1] = MsgType[f.type];
      b.writeUInt16BE(f.msgId, 2);
      return b;
    }
    default:
      return undefined;
  }
}

function u16(...vs: number[]): Buffer {
  const b = Buffer.allocUnsafe(vs.length * 2);
  vs.forEach((v, i) => b.writeUInt16BE(v, i * 2));
  return b;
}
const u8 = (...vs: number[]) => Buffer.from(vs);
const cat = (...bs: Buffer[]) => Buffer.concat(bs);
const txt = (s: string) => Buffer.from(s, 'utf8');

function encodeBody(f: Exclude<Frame, { type: 'ENCAPSULATED' }>): Buffer {
  switch (f.type) {
    case 'ADVERTISE':
      return cat(u8(f.gwId), u16(f.duration));
    case 'SEARCHGW':
      return u8(f.radius);
    case 'GWINFO':
      return cat(u8(f.gwId), f.gwAdd ?? Buffer.alloc(0));
    case 'CONNECT':
      return cat(u8(encodeFlags(f.flags), f.protocolId), u16(f.duration), txt(f.clientId));
    case 'CONNACK':
    case 'WILLTOPICRESP':
    case 'WILLMSGRESP':
      return u8(f.returnCode);
    case 'WILLTOPICREQ':
    case 'WILLMSGREQ':
    case 'PINGRESP':
      return Buffer.alloc(0);
    case 'WILLTOPIC':
    case 'WILLTOPICUPD':
      return f.flags === undefined ? Buffer.alloc(0) : cat(u8(encodeFlags(f.flags)), txt(f.topic ?? ''));
    case 'WILLMSG':
    case 'WILLMSGUPD':
      return f.message;
    case 'REGISTER':
      return cat(u16(f.topicId, f.msgId), txt(f.topic));
    case 'REGACK':
    case 'PUBACK':
      return cat(u16(f.topicId, f.msgId), u8(f.returnCode));
    case 'PUBLISH':
      return cat(u8(encodeFlags(f.flags)), u16(f.topicId, f.msgId), f.data);
    case 'PUBREC':
    case 'PUBREL':
    case 'PUBCOMP':
    case 'UNSUBACK':
      return u16(f.msgId);
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      return cat(
        u8(encodeFlags(f.flags)),
        u16(f.msgId),
        f.flags.topicIdType === 0 ? txt(f.topic ?? '') : u16(f.topicId ?? 0),
      );
    case 'SUBACK':
      return cat(u8(encodeFlags(f.flags)), u16(f.topicId, f.msgId), u8(f.returnCode));
    case 'PINGREQ':
      return f.clientId === undefined ? Buffer.alloc(0) : txt(f.clientId);
    case 'DISCONNECT':
      return f.duration === undefined ? Buffer.alloc(0) : u16(f.duration);
  }
}
