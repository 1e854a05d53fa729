/**
 * application/cbor (RFC 8949) via cborg: plain interoperable CBOR (maps decode to objects, byte strings to
 * Buffers, no tags of its own). Decoding must consume the whole payload: trailing bytes are malformed
 * (RFC 8949 §5.3.1 "not well-formed"), not silently ignored.
 *
 * cborg rather than cbor-x: cbor-x pulls in platform-specific optional native packages that a restricted
 * registry may not serve, which breaks `npm ci`; cborg is pure JavaScript with no dependencies.
 */
import { decode, encode } from 'cborg';
import { asCodecError } from './bytes.js';
import type { Codec } from './types.js';

const MEDIA_TYPE = 'application/cbor';

/** Byte strings inside decoded values become Buffers, as everywhere else in the hub. */
function toBuffers(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(toBuffers);
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = toBuffers(x);
  }
  return v;
}

export const cborCodec: Codec = {
  mediaType: MEDIA_TYPE,
  aliases: ['cbor'],
  decode(bytes: Buffer): unknown {
    // cborg rejects trailing data and bounds declared lengths by the input size
    return asCodecError('PH_CODEC_DECODE', MEDIA_TYPE, () =>
      toBuffers(decode(bytes, { rejectDuplicateMapKeys: true })),
    );
  },
  encode(value: unknown): Buffer {
    return asCodecError('PH_CODEC_ENCODE', MEDIA_TYPE, () => {
      const out = encode(value);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    });
  },
};
