/**
 * Fast codec for the commonest packet, PUBLISH. Decoding works on a whole frame (the framer guarantees one).
 * mqtt-packet's general parser costs several times more per message (buffer list copies, debug hooks, packet
 * objects for every field); PUBLISH needs none of that. Frames it cannot take (v5 with properties) return
 * undefined and go through mqtt-packet, so property parsing stays in one well-tested place.
 */
import { isUtf8 } from 'node:buffer';
import type mqttPacket from 'mqtt-packet';

/**
 * A decoded PUBLISH. `wire` is a copy of the whole frame when it is exactly what encodePublish() makes for the
 * same fields (DUP 0, shortest Remaining Length, v5 without properties): the payload is a view into it, and
 * outbound.ts can send these bytes to subscribers of the same variant instead of encoding them again.
 */
export type InboundPublish = mqttPacket.IPublishPacket & { wire?: Buffer };
export type DecodedPublish = InboundPublish | 'malformed' | undefined;

/**
 * The last topic a connection published to, as bytes and as the decoded string: a publisher mostly repeats its
 * topics, and a byte comparison is cheaper than UTF-8 validation and decoding (and gives the same string object,
 * whose hash the match cache has already computed).
 */
export interface TopicMemo {
  bytes: Buffer | undefined;
  topic: string;
}

export function decodePublish(frame: Buffer, protocolVersion: number, memo?: TopicMemo): DecodedPublish {
  const b0 = frame[0];
  const qos = (b0 >> 1) & 3;
  if (qos === 3) return 'malformed'; // [MQTT-3.3.1-4] QoS 3 is malformed
  if (qos === 0 && (b0 & 8) !== 0) return 'malformed'; // [MQTT-3.3.1-2] DUP must be 0 for QoS 0
  let pos = 1;
  while (frame[pos++] & 0x80); // remaining length: already checked by the framer
  if (pos + 2 > frame.length) return 'malformed';
  const topicLen = frame.readUInt16BE(pos);
  pos += 2;
  if (pos + topicLen > frame.length) return 'malformed';
  let topic: string;
  const known = memo?.bytes;
  if (known !== undefined && known.length === topicLen && sameBytes(frame, pos, known)) {
    topic = memo!.topic; // the same bytes as last time: already validated
  } else {
    // [MQTT-1.5.4-1] ill-formed UTF-8 is malformed (toString would silently substitute U+FFFD)
    if (!isUtf8(frame.subarray(pos, pos + topicLen))) return 'malformed';
    topic = frame.toString('utf8', pos, pos + topicLen);
    if (memo) {
      // outside Buffer's shared 8 KB pool: a long-lived memo must not pin a slab of other, dead allocations
      const bytes = Buffer.allocUnsafeSlow(topicLen);
      frame.copy(bytes, 0, pos, pos + topicLen);
      memo.bytes = bytes;
      memo.topic = topic;
    }
  }
  pos += topicLen;
  let messageId: number | undefined;
  if (qos > 0) {
    if (pos + 2 > frame.length) return 'malformed';
    messageId = frame.readUInt16BE(pos);
    pos += 2;
  }
  if (protocolVersion === 5) {
    if (pos >= frame.length) return 'malformed';
    if (frame[pos] !== 0) return undefined; // has properties: let mqtt-packet parse them
    pos += 1;
  }
  const dup = (b0 & 8) !== 0;
  // a copy: a view would pin the whole socket chunk in memory for as long as the message stays queued. The whole
  // frame is copied (a few header bytes more) when it can serve as the outbound encoding too.
  let wire: Buffer | undefined;
  let payload: Buffer;
  if (!dup && headerIsShortest(frame)) {
    wire = Buffer.from(frame);
    payload = wire.subarray(pos);
  } else {
    payload = Buffer.from(frame.subarray(pos));
  }
  return { cmd: 'publish', qos: qos as 0 | 1 | 2, dup, retain: (b0 & 1) !== 0, topic, messageId, payload, wire };
}

/** frame[pos, pos + known.length) equals known; a plain loop is cheaper than Buffer#compare for short topics. */
function sameBytes(frame: Buffer, pos: number, known: Buffer): boolean {
  const n = known.length;
  if (n > 64) return frame.compare(known, 0, n, pos, pos + n) === 0;
  for (let i = 0; i < n; i++) if (frame[pos + i] !== known[i]) return false;
  return true;
}

/**
 * True when the frame's Remaining Length is the frame's real length and uses as few bytes as encodePublish()
 * would (a longer encoding of the same value is legal input, but not our output).
 */
function headerIsShortest(frame: Buffer): boolean {
  let value = 0;
  let mult = 1;
  let rlBytes = 0;
  let b: number;
  do {
    b = frame[1 + rlBytes];
    value += (b & 0x7f) * mult;
    mult *= 128;
    rlBytes++;
  } while (b & 0x80 && rlBytes < 4);
  if (value !== frame.length - 1 - rlBytes) return false;
  return rlBytes === (value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4);
}

/** The v5 property block of a PUBLISH without properties: a zero length. */
export const EMPTY_PROPERTIES: Buffer = Buffer.from([0]);

/**
 * Encode a PUBLISH. `properties` is the v5 property block already encoded (length varint + properties;
 * EMPTY_PROPERTIES for none), undefined for v3.1.1. mqtt-packet's generate() builds an EventEmitter-backed
 * accumulator per packet, which dominated the outbound profile.
 */
export function encodePublish(
  topic: string,
  payload: Buffer,
  qos: number,
  retain: boolean,
  dup: boolean,
  packetId: number | undefined,
  properties: Buffer | undefined,
): Buffer {
  const topicLen = Buffer.byteLength(topic);
  const remaining = 2 + topicLen + (qos > 0 ? 2 : 0) + (properties ? properties.length : 0) + payload.length;
  let lenBytes = 1;
  for (let r = remaining; r >= 128; r = Math.floor(r / 128)) lenBytes++;
  const buf = Buffer.allocUnsafe(1 + lenBytes + remaining);
  buf[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let pos = 1;
  let r = remaining;
  do {
    let byte = r % 128;
    r = Math.floor(r / 128);
    if (r > 0) byte |= 0x80;
    buf[pos++] = byte;
  } while (r > 0);
  buf.writeUInt16BE(topicLen, pos);
  pos += 2;
  pos += buf.write(topic, pos, 'utf8');
  if (qos > 0) {
    buf.writeUInt16BE(packetId ?? 0, pos);
    pos += 2;
  }
  if (properties) pos += properties.copy(buf, pos);
  payload.copy(buf, pos);
  return buf;
}

const ACK_CMDS: Record<number, 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'> = {
  0x40: 'puback',
  0x50: 'pubrec',
  0x62: 'pubrel',
  0x70: 'pubcomp',
};

/**
 * PUBACK / PUBREC / PUBREL / PUBCOMP with just a packet id (and, v5, an optional reason code), the other
 * per-message packets on the QoS 1/2 path. Anything longer (v5 properties) returns undefined for mqtt-packet.
 */
export function decodeAck(frame: Buffer): mqttPacket.Packet | undefined {
  const cmd = ACK_CMDS[frame[0]];
  if (!cmd || (frame.length !== 4 && frame.length !== 5) || frame[1] !== frame.length - 2) return undefined;
  const messageId = frame.readUInt16BE(2);
  return { cmd, messageId, ...(frame.length === 5 ? { reasonCode: frame[4] } : {}) } as mqttPacket.Packet;
}
