import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Reason, validateMqttString, validateMqttStringBytes } from '../../src/broker/topic/utf8.js';

describe('MQTT UTF-8 strings', () => {
  it('accepts ordinary, supplementary, BOM and U+FFFD text', () => {
    for (const s of ['', 'abc', 'ü€', '😀', '\uFEFFa', '\uFFFD', '\u0001'])
      expect(validateMqttString(s), JSON.stringify(s)).toBeUndefined();
  });
  it('[MQTT-1.5.4-2] rejects U+0000', () => {
    expect(validateMqttString('a\u0000')).toBe(Utf8Reason.nul);
    expect(validateMqttStringBytes(Buffer.from([0x61, 0x00]))).toBe(Utf8Reason.nul);
  });
  it('[MQTT-1.5.4-1] rejects unpaired surrogates in strings', () => {
    for (const s of ['\uD800', '\uDC00', 'a\uD83Db', '\uDE00\uD83D'])
      expect(validateMqttString(s)).toBe(Utf8Reason.surrogate);
  });
  it('[MQTT-1.5.4-1] rejects ill-formed UTF-8 bytes: encoded surrogates, overlongs, truncation, > U+10FFFF', () => {
    for (const bytes of [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xff]]) {
      expect(validateMqttStringBytes(Uint8Array.from(bytes)), bytes.join(',')).toBe(Utf8Reason.illFormed);
    }
    expect(validateMqttStringBytes(Buffer.from('€😀', 'utf8'))).toBeUndefined();
  });
  it('[MQTT-1.5.4] strings are limited to 65535 bytes', () => {
    expect(validateMqttString('€'.repeat(21845))).toBeUndefined();
    expect(validateMqttString('€'.repeat(21846))).toBe(Utf8Reason.tooLong);
    expect(validateMqttStringBytes(new Uint8Array(65536).fill(0x61))).toBe(Utf8Reason.tooLong);
  });
  it('string and byte checks agree for every well-formed string', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        (s) => validateMqttString(s) === validateMqttStringBytes(Buffer.from(s, 'utf8')),
      ),
    );
  });
  it('what mqtt-packet hands us (Buffer#toString of any bytes) never holds a lone surrogate', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 32 }),
        (bytes) => validateMqttString(Buffer.from(bytes).toString('utf8')) !== Utf8Reason.surrogate,
      ),
    );
  });
});
