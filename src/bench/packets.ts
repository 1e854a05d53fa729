/**
 * Pre-encoded MQTT 3.1.1 / 5.0 packets for the load generator. Built once per client (or once per run) and
 * copied into write batches, so the hot loop never runs an encoder.
 */

export type MqttVersion = 4 | 5;

export const PACKET = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const;

/** Variable Byte Integer (MQTT 5 §1.5.5, 3.1.1 §2.2.3): 7 bits per byte, continuation bit 0x80. */
export function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function frame(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), encodeVarint(body.length), body]);
}

export interface ConnectOptions {
  clientId: string;
  version: MqttVersion;
  keepaliveSec: number;
  cleanStart: boolean;
}

export function connectPacket(o: ConnectOptions): Buffer {
  const flags = o.cleanStart ? 0x02 : 0x00;
  const head = Buffer.concat([
    utf8('MQTT'),
    Buffer.from([o.version, flags, o.keepaliveSec >> 8, o.keepaliveSec & 0xff]),
  ]);
  const props = o.version === 5 ? Buffer.from([0]) : Buffer.alloc(0); // v5: empty property block
  return frame(PACKET.CONNECT << 4, Buffer.concat([head, props, utf8(o.clientId)]));
}

/** SUBSCRIBE for one filter; fixed header flags must be 0b0010 [MQTT-3.8.1-1]. */
export function subscribePacket(packetId: number, filter: string, qos: number, version: MqttVersion): Buffer {
  const id = Buffer.from([packetId >> 8, packetId & 0xff]);
  const props = version === 5 ? Buffer.from([0]) : Buffer.alloc(0);
  return frame((PACKET.SUBSCRIBE << 4) | 0x02, Buffer.concat([id, props, utf8(filter), Buffer.from([qos])]));
}

/**
 * A PUBLISH template. For QoS > 0 the packet id sits at `idOffset`; the sender patches it per copy.
 * The payload starts at `payloadOffset`, so a latency sender can stamp a timestamp into its copy.
 */
export interface PublishTemplate {
  bytes: Buffer;
  idOffset: number;
  payloadOffset: number;
}

export function publishTemplate(topic: string, payload: Buffer, qos: number, version: MqttVersion): PublishTemplate {
  const t = utf8(topic);
  const id = qos > 0 ? Buffer.alloc(2) : Buffer.alloc(0);
  const props = version === 5 ? Buffer.from([0]) : Buffer.alloc(0);
  const body = Buffer.concat([t, id, props, payload]);
  const bytes = frame((PACKET.PUBLISH << 4) | (qos << 1), body);
  const headerLen = bytes.length - body.length;
  return {
    bytes,
    idOffset: qos > 0 ? headerLen + t.length : -1,
    payloadOffset: headerLen + t.length + id.length + props.length,
  };
}

/** PUBACK / PUBREC / PUBCOMP (fixed flags 0) and PUBREL (flags 0b0010 [MQTT-3.6.1-1]), success, no properties. */
export function ackPacket(type: number, packetId: number): Buffer {
  const flags = type === PACKET.PUBREL ? 0x02 : 0;
  return Buffer.from([(type << 4) | flags, 2, packetId >> 8, packetId & 0xff]);
}

export const PINGREQ = Buffer.from([PACKET.PINGREQ << 4, 0]);
export const DISCONNECT = Buffer.from([PACKET.DISCONNECT << 4, 0]);
export const CONNACK_OK_V4 = Buffer.from([PACKET.CONNACK << 4, 2, 0, 0]);
export const CONNACK_OK_V5 = Buffer.from([PACKET.CONNACK << 4, 3, 0, 0, 0]);

/** Expand a topic pattern: `%i` → client index, `%c` → client id (emqtt-bench conventions). */
export function expandTopic(pattern: string, index: number, clientId: string): string {
  return pattern.replaceAll('%i', String(index)).replaceAll('%c', clientId);
}
