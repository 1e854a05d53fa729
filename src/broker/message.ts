/**
 * Messages inside the broker core. A BrokerMessage is created once per inbound PUBLISH and shared (never copied)
 * by every session it is routed to; per-session delivery state lives in a Pending.
 */
import type { Envelope, Origin, PublishProperties, QoS } from '../envelope.js';
import type { StoredMessage } from '../store/types.js';
import type { Acceptance } from './acceptance.js';

export interface BrokerMessage extends StoredMessage {
  origin?: Origin;
  /**
   * Encoded PUBLISH packets without per-client parts, shared by every subscriber that gets the same variant
   * (see outbound.ts). Indexed by wireKey(); QoS > 0 variants get their packet id patched into a copy.
   */
  wire?: Array<Buffer | undefined>;
}

/** Index into BrokerMessage.wire of a variant: protocol (v5 or not), QoS, RETAIN, DUP. */
export function wireKey(v5: boolean, qos: number, retain: boolean, dup: boolean): number {
  return (v5 ? 1 : 0) | (qos << 1) | (retain ? 8 : 0) | (dup ? 16 : 0);
}

/** A message owed to one session. */
export interface Pending {
  msg: BrokerMessage;
  /** Delivery QoS: min(published, granted). */
  qos: QoS;
  /** RETAIN flag to deliver with ([MQTT-3.3.1-8], [MQTT-3.3.1-12], [MQTT-3.3.1-13]). */
  retain: boolean;
  subIds?: number[];
  /** Store sequence number when the session is persistent and qos >= 1. */
  seq?: number;
  packetId?: number;
  state: 'queued' | 'publish' | 'pubrel';
  /** Shared subscription group key, so the message can go to another member if this session goes away. */
  share?: string;
  /** Sent at least once on an earlier connection: resend with DUP. */
  dup?: boolean;
  /**
   * Held while the message lives only in memory for a durable consumer (no store row): the publisher's
   * acknowledgement waits for its release (acceptance.ts).
   */
  accept?: Acceptance;
}

export function messageFromEnvelope(env: Envelope, now = Date.now()): BrokerMessage {
  const props = env.properties;
  const receivedAt = env.receivedAt ?? now;
  return {
    topic: env.topic,
    payload: env.payload,
    qos: env.qos,
    retain: env.retain,
    properties: props && Object.keys(props).length > 0 ? { ...props } : undefined,
    expiresAt: expiresAt(props, receivedAt),
    receivedAt,
    origin: env.origin,
  };
}

export function envelopeFromMessage(msg: BrokerMessage, qos: QoS, retain: boolean, now = Date.now()): Envelope {
  return {
    topic: msg.topic,
    payload: msg.payload,
    qos,
    retain,
    properties: propertiesForDelivery(msg, now),
    origin: msg.origin,
    receivedAt: msg.receivedAt,
  };
}

/** Epoch ms after which a message must not be delivered: [MQTT-3.3.2-5] counted from when the server received it. */
export function expiresAt(props: Readonly<PublishProperties> | undefined, receivedAt: number): number | undefined {
  return props?.messageExpiryInterval !== undefined ? receivedAt + props.messageExpiryInterval * 1000 : undefined;
}

/** True when the message's expiry interval has passed ([MQTT-3.3.2-5]). */
export function isExpired(msg: StoredMessage, now: number): boolean {
  return msg.expiresAt !== undefined && msg.expiresAt <= now;
}

/**
 * Publish properties as forwarded to a subscriber: unchanged except the Message Expiry Interval, which is
 * the time left ([MQTT-3.3.2-6]).
 */
export function propertiesForDelivery(msg: StoredMessage, now: number): PublishProperties | undefined {
  const p = msg.properties;
  if (!p) return undefined;
  if (msg.expiresAt === undefined) return p;
  return { ...p, messageExpiryInterval: Math.max(1, Math.ceil((msg.expiresAt - now) / 1000)) };
}

export function payloadBytes(msg: StoredMessage): number {
  return msg.payload.length + msg.topic.length;
}
