/**
 * application/octet-stream: the bytes as they are. Decoding never fails and never copies. Encoding writes bytes
 * unchanged, strings as UTF-8 and any other value as its compact JSON text (a JSON number 21.5 → `21.5`).
 */
import { asBuffer } from './bytes.js';
import { stringifyJson } from './json.js';
import type { Codec } from './types.js';

export const rawCodec: Codec = {
  mediaType: 'application/octet-stream',
  aliases: ['raw', 'bytes', 'binary'],
  decode(bytes: Buffer): Buffer {
    return bytes;
  },
  encode(value: unknown): Buffer {
    const bytes = asBuffer(value);
    if (bytes) return bytes;
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    return Buffer.from(stringifyJson(value), 'utf8');
  },
};
