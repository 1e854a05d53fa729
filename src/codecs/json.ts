/**
 * application/json (RFC 8259). Decoding is strict (UTF-8, one JSON text); encoding is compact JSON.
 * Values other codecs produce are mapped so nothing is silently mangled: bytes become a base64 string, bigints a
 * number when exactly representable and a decimal string otherwise, Map an object, Set and typed arrays arrays.
 * NaN and ±Infinity have no JSON form (RFC 8259 §6) and are an encode error rather than a silent `null`.
 */
import { CodecError } from '../errors.js';
import { asBuffer, asCodecError, decodeUtf8 } from './bytes.js';
import type { Codec } from './types.js';

const MEDIA_TYPE = 'application/json';

function toJsonValue(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the value before toJSON ran: Buffer.toJSON would otherwise turn bytes into {type,data}.
  const raw = (this as Record<string, unknown>)[key];
  const bytes = asBuffer(raw);
  if (bytes) return bytes.toString('base64');
  if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw.toString();
  if (typeof raw === 'number' && !Number.isFinite(raw)) {
    throw new CodecError('PH_CODEC_ENCODE', `${MEDIA_TYPE}: ${raw} has no JSON representation (RFC 8259 §6)`);
  }
  if (raw instanceof Map) return Object.fromEntries([...raw].map(([k, v]) => [String(k), v]));
  if (raw instanceof Set) return [...raw];
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return Array.from(raw as unknown as ArrayLike<number>);
  return value;
}

/** Compact JSON text of a value, with the conversions above. Throws CodecError(PH_CODEC_ENCODE). */
export function stringifyJson(value: unknown): string {
  return asCodecError('PH_CODEC_ENCODE', MEDIA_TYPE, () => {
    const text = JSON.stringify(value, toJsonValue);
    if (text === undefined)
      throw new CodecError('PH_CODEC_ENCODE', `${MEDIA_TYPE}: ${typeof value} has no JSON representation`);
    return text;
  });
}

export const jsonCodec: Codec = {
  mediaType: MEDIA_TYPE,
  aliases: ['json'],
  decode(bytes: Buffer): unknown {
    const text = decodeUtf8(bytes, MEDIA_TYPE);
    return asCodecError('PH_CODEC_DECODE', MEDIA_TYPE, () => JSON.parse(text) as unknown);
  },
  encode(value: unknown): Buffer {
    return Buffer.from(stringifyJson(value), 'utf8');
  },
};
