import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertPayload } from '../../src/codecs/convert.js';
import { CodecRegistry, defaultCodecs } from '../../src/codecs/registry.js';
import type { Codec } from '../../src/codecs/types.js';
import { CodecError } from '../../src/errors.js';

const codecs = defaultCodecs();
const c = (name: string): Codec => {
  const codec = codecs.get(name);
  if (!codec) throw new Error(`no codec ${name}`);
  return codec;
};
const convert = (from: string, to: string, payload: Buffer | string): Buffer =>
  convertPayload(typeof payload === 'string' ? Buffer.from(payload) : payload, c(from), c(to));

describe('codec registry', () => {
  it('finds codecs by media type (case and parameters ignored) and by alias', () => {
    expect(codecs.get('application/json')).toBe(c('json'));
    expect(codecs.get(' Application/JSON; charset=utf-8')).toBe(c('json'));
    expect(codecs.get('text/plain')).toBe(c('text'));
    expect(codecs.get('application/octet-stream')).toBe(c('raw'));
    expect(codecs.get('application/cbor')).toBe(c('cbor'));
    expect(codecs.get('application/senml+json')).toBeUndefined();
    expect(codecs.names()).toEqual(['raw', 'text', 'json', 'cbor']);
  });

  it('is extensible and refuses a name that is taken', () => {
    const registry = new CodecRegistry();
    const upper: Codec = {
      mediaType: 'text/x-upper',
      aliases: ['upper'],
      decode: (b) => b.toString().toUpperCase(),
      encode: (v) => Buffer.from(String(v)),
    };
    registry.register(upper);
    expect(registry.get('UPPER')).toBe(upper);
    expect(() => registry.register({ ...upper, mediaType: 'text/x-other' })).toThrow(
      expect.objectContaining({ code: 'PH_CODEC_DUPLICATE' }),
    );
  });
});

describe('payload conversion', () => {
  it('raw→raw returns the very same Buffer', () => {
    const payload = Buffer.from([0xff, 0x00, 0x80]);
    expect(convertPayload(payload, c('raw'), c('raw'))).toBe(payload);
  });

  it('same codec on both sides validates and keeps the bytes (no reformatting)', () => {
    const pretty = Buffer.from('{ "a" : 1 }');
    expect(convertPayload(pretty, c('json'), c('json'))).toBe(pretty);
    expect(() => convert('json', 'json', '{oops')).toThrow(CodecError);
    expect(() => convert('text', 'text', Buffer.from([0xc3]))).toThrow(CodecError);
  });

  it('text ⇄ JSON: text is a string; a JSON string becomes bare text', () => {
    expect(convert('text', 'json', '21.5').toString()).toBe('"21.5"');
    expect(convert('json', 'text', '"on"').toString()).toBe('on');
    expect(convert('json', 'text', '{"a": 1}').toString()).toBe('{"a":1}');
    expect(convert('json', 'raw', '21.5').toString()).toBe('21.5');
  });

  it('bytes → JSON is a base64 string; bytes → CBOR a byte string', () => {
    expect(convert('raw', 'json', Buffer.from([0xde, 0xad])).toString()).toBe('"3q0="');
    expect(convert('raw', 'cbor', Buffer.from([0xde, 0xad])).toString('hex')).toBe('42dead');
  });

  it('JSON ⇄ CBOR preserves JSON values', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"')),
        (v) => {
          const json = Buffer.from(JSON.stringify(v));
          const back = convert('cbor', 'json', convert('json', 'cbor', json));
          expect(JSON.parse(back.toString())).toEqual(JSON.parse(json.toString()));
        },
      ),
    );
  });

  it('CBOR 64-bit integers reach JSON exactly (number when safe, else decimal string)', () => {
    expect(convert('cbor', 'json', Buffer.from('1b0000000100000000', 'hex')).toString()).toBe('4294967296');
    expect(convert('cbor', 'json', Buffer.from('1bffffffffffffffff', 'hex')).toString()).toBe('"18446744073709551615"');
  });

  it('any conversion of any bytes either succeeds or throws CodecError', () => {
    const names = ['raw', 'text', 'json', 'cbor'];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.constantFrom(...names),
        fc.uint8Array({ maxLength: 48 }),
        (from, to, bytes) => {
          try {
            expect(Buffer.isBuffer(convert(from, to, Buffer.from(bytes)))).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(CodecError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
