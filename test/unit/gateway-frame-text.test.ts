import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { delimiter, topicText } from '../../src/gateway/frame-text.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const reference = (bytes: Uint8Array): string | undefined => {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
};

describe('gateway frame text', () => {
  it('topicText agrees with a strict TextDecoder on any bytes (ASCII fast path included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(topicText(Buffer.from(bytes))).toBe(reference(bytes));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(topicText(Buffer.from(text))).toBe(reference(Buffer.from(text)));
      }),
    );
  });

  it('topicText refuses invalid UTF-8 and reads multi-byte text', () => {
    expect(topicText(Buffer.from([0xc3, 0x28]))).toBeUndefined();
    expect(topicText(Buffer.from('température/ä'))).toBe('température/ä');
    expect(topicText(Buffer.alloc(0))).toBe('');
  });

  it('delimiter finds one-byte and multi-byte delimiters like Buffer.indexOf(string) and knows their byte length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom(' ', '|', '::', 'é', '→'), (text, d) => {
        const body = Buffer.from(text);
        expect(delimiter(d).indexIn(body)).toBe(body.indexOf(d));
        expect(delimiter(d).length).toBe(Buffer.byteLength(d));
      }),
    );
    expect(delimiter(' ')).toBe(delimiter(' ')); // compiled once
  });
});
