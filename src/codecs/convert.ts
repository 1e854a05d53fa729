/**
 * Payload conversion between two codecs: decode with the source codec, encode with the target codec.
 */
import type { Codec } from './types.js';

/**
 * Converts `payload` from `from` to `to`. With the same codec on both sides the payload is only validated
 * (decoded) and returned unchanged, so a rule never reformats data it does not convert; raw→raw returns the same
 * Buffer without even decoding. Throws CodecError (PH_CODEC_DECODE / PH_CODEC_ENCODE).
 */
export function convertPayload(payload: Buffer, from: Codec, to: Codec): Buffer {
  if (from === to) {
    from.decode(payload);
    return payload;
  }
  return to.encode(from.decode(payload));
}
