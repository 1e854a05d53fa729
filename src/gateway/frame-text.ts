/**
 * Byte helpers shared by the gateway frame codecs, on every received message's path: the topic part of a frame
 * as strict UTF-8 text, and where a delimiter splits a body. The common case (an ASCII topic, a one-byte
 * delimiter) avoids TextDecoder and string-to-bytes conversions, which were a fifth of the NNG gateway's CPU.
 */
import { isAscii } from 'node:buffer';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8 (a leading BOM is dropped). */
export function topicText(bytes: Buffer): string | undefined {
  if (isAscii(bytes)) return bytes.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Finds `delimiter` in bodies; `length` is its size in bytes (what to skip after the match). */
export interface Delimiter {
  readonly length: number;
  indexIn(body: Buffer): number;
}

const compiled = new Map<string, Delimiter>();

/** The Delimiter for a configured text, compiled once (delimiters come from config: a handful per process). */
export function delimiter(text: string): Delimiter {
  let d = compiled.get(text);
  if (!d) {
    if (compiled.size >= 256) compiled.clear();
    d = compile(text);
    compiled.set(text, d);
  }
  return d;
}

function compile(text: string): Delimiter {
  const bytes = Buffer.from(text);
  if (bytes.length === 1) {
    const byte = bytes[0];
    return { length: 1, indexIn: (body) => body.indexOf(byte) };
  }
  return { length: bytes.length, indexIn: (body) => body.indexOf(bytes) };
}
