/**
 * text/plain; charset=utf-8. Decodes to a string (invalid UTF-8 is a CodecError, never U+FFFD). Encodes strings as
 * UTF-8, bytes as they are once checked to be UTF-8, and any other value as its compact JSON text, so a JSON or
 * CBOR number 21.5 becomes the text `21.5` and a JSON string "on" becomes `on` (no quotes).
 */
import { asBuffer, decodeUtf8 } from './bytes.js';
import { stringifyJson } from './json.js';
import type { Codec } from './types.js';

const MEDIA_TYPE = 'text/plain';

export const textCodec: Codec = {
  mediaType: MEDIA_TYPE,
  aliases: ['text', 'utf8', 'utf-8'],
  decode(bytes: Buffer): string {
    return decodeUtf8(bytes, MEDIA_TYPE);
  },
  encode(value: unknown): Buffer {
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    const bytes = asBuffer(value);
    if (bytes) {
      decodeUtf8(bytes, MEDIA_TYPE);
      return bytes;
    }
    return Buffer.from(stringifyJson(value), 'utf8');
  },
};
