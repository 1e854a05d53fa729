/**
 * Conversions between store objects and SQLite row values. MQTT 5 properties are CBOR so binary fields
 * (Correlation Data) round-trip as bytes, not as base64 or a JSON array of numbers.
 */
import { decode as cborDecode, encode as cborEncode } from 'cborg';
import type { PublishProperties, QoS } from '../envelope.js';
import type { StoredMessage } from './types.js';

export function encodeProperties(props: PublishProperties | undefined): Buffer | null {
  if (props === undefined) return null;
  const defined: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (v !== undefined) defined[k] = v;
  const out = cborEncode(defined);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * CBOR maps (decoded as Maps) → plain objects with every key as an own property, so a user property named
 * `__proto__` survives instead of being swallowed by the object's prototype setter.
 */
function plain(v: unknown): unknown {
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v)
      Object.defineProperty(out, String(k), { value: plain(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export function decodeProperties(blob: Buffer | null): PublishProperties | undefined {
  if (blob === null) return undefined;
  const value: unknown = plain(cborDecode(blob, { useMaps: true }));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('properties blob is not a CBOR map');
  }
  const props = value as PublishProperties;
  const cd: unknown = props.correlationData;
  // CBOR byte strings decode as Uint8Array; the rest of the hub expects Buffer.
  if (cd instanceof Uint8Array && !Buffer.isBuffer(cd)) props.correlationData = Buffer.from(cd);
  return props;
}

export function encodeSubscriptionIds(ids: number[] | undefined): string | null {
  return ids === undefined ? null : JSON.stringify(ids);
}

export function decodeSubscriptionIds(text: string | null): number[] | undefined {
  if (text === null) return undefined;
  const ids: unknown = JSON.parse(text);
  if (!Array.isArray(ids) || !ids.every((n) => Number.isInteger(n)))
    throw new TypeError('sub_ids is not an integer array');
  return ids as number[];
}

export function toQoS(n: number): QoS {
  if (n === 0 || n === 1 || n === 2) return n;
  throw new TypeError(`qos ${n} out of range`);
}

/** Columns a message contributes to session_messages and retained rows. */
export interface MessageColumns {
  topic: string;
  payload: Buffer;
  msg_qos: number;
  retain: number;
  props: Buffer | null;
  expires_at: number | null;
  received_at: number;
}

export function messageColumns(m: StoredMessage): MessageColumns {
  return {
    topic: m.topic,
    payload: m.payload,
    msg_qos: m.qos,
    retain: m.retain ? 1 : 0,
    props: encodeProperties(m.properties),
    expires_at: m.expiresAt ?? null,
    received_at: m.receivedAt,
  };
}

/** The same columns in table order (topic … received_at), for positional binding. */
export type MessageValues = [string, Buffer, number, number, Buffer | null, number | null, number];

export function messageValues(m: StoredMessage): MessageValues {
  return [
    m.topic,
    m.payload,
    m.qos,
    m.retain ? 1 : 0,
    encodeProperties(m.properties),
    m.expiresAt ?? null,
    m.receivedAt,
  ];
}

export function messageFromColumns(row: MessageColumns): StoredMessage {
  const message: StoredMessage = {
    topic: row.topic,
    payload: row.payload,
    qos: toQoS(row.msg_qos),
    retain: row.retain === 1,
    receivedAt: row.received_at,
  };
  const properties = decodeProperties(row.props);
  if (properties !== undefined) message.properties = properties;
  if (row.expires_at !== null) message.expiresAt = row.expires_at;
  return message;
}
