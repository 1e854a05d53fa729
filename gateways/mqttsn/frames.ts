/**
 * MQTT-SN 1.2 frames as plain data: one discriminated union member per message type (MQTT-SN 1.2 §5.4), the
 * flags byte (§5.3.4), return codes (§5.3.10) and the forwarder encapsulation (§5.5). The codec (codec.ts)
 * turns these into bytes and back; the state machine (client.ts) works only on these.
 */

/** MQTT-SN 1.2 §5.2.2: MsgType values. */
export const MsgType = {
  ADVERTISE: 0x00,
  SEARCHGW: 0x01,
  GWINFO: 0x02,
  CONNECT: 0x04,
  CONNACK: 0x05,
  WILLTOPICREQ: 0x06,
  WILLTOPIC: 0x07,
  WILLMSGREQ: 0x08,
  WILLMSG: 0x09,
  REGISTER: 0x0a,
  REGACK: 0x0b,
  PUBLISH: 0x0c,
  PUBACK: 0x0d,
  PUBCOMP: 0x0e,
  PUBREC: 0x0f,
  PUBREL: 0x10,
  SUBSCRIBE: 0x12,
  SUBACK: 0x13,
  UNSUBSCRIBE: 0x14,
  UNSUBACK: 0x15,
  PINGREQ: 0x16,
  PINGRESP: 0x17,
  DISCONNECT: 0x18,
  WILLTOPICUPD: 0x1a,
  WILLTOPICRESP: 0x1b,
  WILLMSGUPD: 0x1c,
  WILLMSGRESP: 0x1d,
  ENCAPSULATED: 0xfe,
} as const;
export type MsgTypeName = keyof typeof MsgType;

/** MQTT-SN 1.2 §5.3.10: ReturnCode values (0x04-0xFF are reserved). */
export const ReturnCode = { ACCEPTED: 0, CONGESTION: 1, INVALID_TOPIC_ID: 2, NOT_SUPPORTED: 3 } as const;
export type ReturnCode = 0 | 1 | 2 | 3;

/** MQTT-SN 1.2 §5.3.4: QoS -1 is encoded as 0b11 ("QoS level 3" in some implementations). */
export type SnQoS = -1 | 0 | 1 | 2;

/** MQTT-SN 1.2 §5.3.4 TopicIdType: 0 normal topic id (or topic name in SUBSCRIBE), 1 predefined id, 2 short name. */
export const TopicIdType = { NORMAL: 0, PREDEFINED: 1, SHORT: 2 } as const;
export type TopicIdType = 0 | 1 | 2;

/** MQTT-SN 1.2 §5.3.4: every bit of the flags byte; each message uses the ones its format names. */
export interface Flags {
  readonly dup: boolean;
  readonly qos: SnQoS;
  readonly retain: boolean;
  readonly will: boolean;
  readonly cleanSession: boolean;
  readonly topicIdType: TopicIdType;
}

export type Frame =
  | { readonly type: 'ADVERTISE'; readonly gwId: number; readonly duration: number }
  | { readonly type: 'SEARCHGW'; readonly radius: number }
  /** gwAdd is present only when a client answers on behalf of a gateway (§5.4.3). */
  | { readonly type: 'GWINFO'; readonly gwId: number; readonly gwAdd?: Buffer }
  | {
      readonly type: 'CONNECT';
      readonly flags: Flags;
      readonly protocolId: number;
      readonly duration: number;
      readonly clientId: string;
    }
  | { readonly type: 'CONNACK'; readonly returnCode: ReturnCode }
  | { readonly type: 'WILLTOPICREQ' }
  /** Without flags and topic it is the "empty WILLTOPIC" that deletes the will (§5.4.7). */
  | { readonly type: 'WILLTOPIC'; readonly flags?: Flags; readonly topic?: string }
  | { readonly type: 'WILLMSGREQ' }
  | { readonly type: 'WILLMSG'; readonly message: Buffer }
  | { readonly type: 'REGISTER'; readonly topicId: number; readonly msgId: number; readonly topic: string }
  | { readonly type: 'REGACK'; readonly topicId: number; readonly msgId: number; readonly returnCode: ReturnCode }
  | {
      readonly type: 'PUBLISH';
      readonly flags: Flags;
      /** Normal or predefined id; for a short topic name the two bytes of the name (see shortName()). */
      readonly topicId: number;
      readonly msgId: number;
      readonly data: Buffer;
    }
  | { readonly type: 'PUBACK'; readonly topicId: number; readonly msgId: number; readonly returnCode: ReturnCode }
  | { readonly type: 'PUBREC' | 'PUBREL' | 'PUBCOMP'; readonly msgId: number }
  /** topic for TopicIdType normal (a name, wildcards allowed), topicId for predefined and short (§5.4.15). */
  | {
      readonly type: 'SUBSCRIBE' | 'UNSUBSCRIBE';
      readonly flags: Flags;
      readonly msgId: number;
      readonly topic?: string;
      readonly topicId?: number;
    }
  | {
      readonly type: 'SUBACK';
      readonly flags: Flags;
      readonly topicId: number;
      readonly msgId: number;
      readonly returnCode: ReturnCode;
    }
  | { readonly type: 'UNSUBACK'; readonly msgId: number }
  /** clientId only from a sleeping client waking up (§6.14). */
  | { readonly type: 'PINGREQ'; readonly clientId?: string }
  | { readonly type: 'PINGRESP' }
  /** duration (seconds) only from a client going to sleep (§6.14). */
  | { readonly type: 'DISCONNECT'; readonly duration?: number }
  | { readonly type: 'WILLTOPICUPD'; readonly flags?: Flags; readonly topic?: string }
  | { readonly type: 'WILLMSGUPD'; readonly message: Buffer }
  | { readonly type: 'WILLTOPICRESP' | 'WILLMSGRESP'; readonly returnCode: ReturnCode }
  /** §5.5: a forwarder wraps a client's message with the client's wireless node id. */
  | { readonly type: 'ENCAPSULATED'; readonly radius: number; readonly nodeId: Buffer; readonly inner: Frame };

type MemberOf<F, T> = F extends { type: infer U } ? (T extends U ? F : never) : never;
/** The union member(s) carrying message type T (also for members shared by several types, e.g. PUBREC). */
export type FrameOf<T extends Frame['type']> = MemberOf<Frame, T>;

/** A short topic name (§3 "short topic names", two characters) as the 16-bit value carried in TopicId. */
export function shortTopicId(name: string): number | undefined {
  const b = Buffer.from(name, 'latin1');
  if (b.length !== 2 || name.length !== 2 || /[^\x20-\x7e]/.test(name)) return undefined;
  return b.readUInt16BE(0);
}

export function shortName(topicId: number): string {
  return String.fromCharCode((topicId >> 8) & 0xff, topicId & 0xff);
}
