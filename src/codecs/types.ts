/**
 * A payload codec: bytes of one media type ⇄ a JavaScript value. Mapping rules convert a payload by decoding it
 * with the source-side codec and encoding the value with the target-side codec, so every codec's `encode` must
 * accept the values the other codecs' `decode` produce (Buffer, string, JSON-like values, CBOR values).
 */
export interface Codec {
  /** Canonical media type, lower case, without parameters (e.g. "application/json"). */
  readonly mediaType: string;
  /** Short names accepted in mapping files (e.g. "json"). */
  readonly aliases: readonly string[];
  /** Throws CodecError (PH_CODEC_DECODE) on malformed input, never another error. */
  decode(bytes: Buffer): unknown;
  /** Throws CodecError (PH_CODEC_ENCODE) when the value cannot be represented, never another error. */
  encode(value: unknown): Buffer;
}
