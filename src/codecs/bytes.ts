/**
 * Helpers shared by the built-in codecs: zero-copy byte views and strict UTF-8.
 */
import { CodecError } from '../errors.js';

/** A Buffer view over any Uint8Array without copying; undefined for non-byte values. */
export function asBuffer(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: keep a leading BOM so text round-trips byte for byte.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode UTF-8 or throw CodecError(PH_CODEC_DECODE) naming the media type. */
export function decodeUtf8(bytes: Buffer, mediaType: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (err) {
    throw new CodecError('PH_CODEC_DECODE', `${mediaType}: payload is not valid UTF-8`, { cause: err });
  }
}

/** Wrap any throw of `fn` into a CodecError with the given code, keeping CodecErrors as they are. */
export function asCodecError<T>(code: 'PH_CODEC_DECODE' | 'PH_CODEC_ENCODE', mediaType: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CodecError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new CodecError(code, `${mediaType}: ${why}`, { cause: err });
  }
}
