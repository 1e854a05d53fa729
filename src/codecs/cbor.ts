/**
 * application/cbor (RFC 8949) via cbor-x, configured for plain interoperable CBOR: no cbor-x record extension,
 * maps decode to objects, byte strings are untagged, map headers are minimal. Decoding must consume the whole
 * payload: trailing bytes are malformed (RFC 8949 §5.3.1 "not well-formed"), not silently ignored.
 */
import { Decoder, Encoder, type Options } from 'cbor-x';
import { asCodecError } from './bytes.js';
import type { Codec } from './types.js';

const MEDIA_TYPE = 'application/cbor';

// useTag259ForMaps is honoured by cbor-x 1.6 but missing from its typings: JS Maps become plain CBOR maps.
const encoderOptions: Options & { useTag259ForMaps: boolean } = {
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  tagUint8Array: false,
  useTag259ForMaps: false,
};
const encoder = new Encoder(encoderOptions);
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

export const cborCodec: Codec = {
  mediaType: MEDIA_TYPE,
  aliases: ['cbor'],
  decode(bytes: Buffer): unknown {
    // cbor-x itself rejects trailing data ("end of buffer not reached") and bounds declared lengths.
    return asCodecError('PH_CODEC_DECODE', MEDIA_TYPE, () => decoder.decode(bytes) as unknown);
  },
  encode(value: unknown): Buffer {
    return asCodecError('PH_CODEC_ENCODE', MEDIA_TYPE, () => {
      const out = encoder.encode(value);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    });
  },
};
