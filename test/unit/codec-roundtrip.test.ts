import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cborCodec } from '../../src/codecs/cbor.js';
import { jsonCodec } from '../../src/codecs/json.js';
import { rawCodec } from '../../src/codecs/raw.js';
import { textCodec } from '../../src/codecs/text.js';
import type { Codec } from '../../src/codecs/types.js';
import { CodecError } from '../../src/errors.js';

/** JSON values as JSON itself would round-trip them (-0 becomes 0). A "__proto__" key cannot round-trip through a plain object, so none. */
const jsonValue = fc
  .jsonValue()
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => !JSON.stringify(v).includes('"__proto__"'));

function onlyCodecErrors(codec: Codec, bytes: Buffer): void {
  try {
    codec.decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe('PH_CODEC_DECODE');
  }
}

describe('JSON codec', () => {
  it('round-trips every JSON value', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        expect(jsonCodec.decode(jsonCodec.encode(v))).toEqual(v);
      }),
    );
  });

  it('encodes compactly', () => {
    expect(jsonCodec.encode({ a: [1, 2], b: 'x' }).toString()).toBe('{"a":[1,2],"b":"x"}');
  });

  it('throws only CodecError on garbage bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => onlyCodecErrors(jsonCodec, Buffer.from(b))));
    expect(() => jsonCodec.decode(Buffer.from('{"a":'))).toThrow(CodecError);
    expect(() => jsonCodec.decode(Buffer.alloc(0))).toThrow(CodecError);
    expect(() => jsonCodec.decode(Buffer.from([0x22, 0xff, 0x22]))).toThrow(/not valid UTF-8/);
  });

  it('maps values other codecs produce instead of mangling them', () => {
    const value = {
      b: Buffer.from('hi'),
      u: new Uint8Array([1, 2]),
      small: 5n,
      big: 2n ** 70n,
      m: new Map([[1, 'x']]),
      s: new Set([1]),
    };
    expect(JSON.parse(jsonCodec.encode(value).toString())).toEqual({
      b: 'aGk=',
      u: 'AQI=',
      small: 5,
      big: '1180591620717411303424',
      m: { 1: 'x' },
      s: [1],
    });
  });

  it('refuses values JSON cannot represent', () => {
    for (const v of [NaN, Infinity, { x: -Infinity }, undefined, () => 1]) {
      expect(() => jsonCodec.encode(v)).toThrow(CodecError);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonCodec.encode(cyclic)).toThrow(expect.objectContaining({ code: 'PH_CODEC_ENCODE' }));
  });
});

describe('CBOR codec', () => {
  it('round-trips every JSON value', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        expect(cborCodec.decode(cborCodec.encode(v))).toEqual(v);
      }),
    );
  });

  it('round-trips byte strings as plain (untagged) CBOR byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const decoded = cborCodec.decode(cborCodec.encode(Buffer.from(b)));
        expect(Buffer.from(decoded as Uint8Array).equals(Buffer.from(b))).toBe(true);
      }),
    );
    // RFC 8949 §3.1: major type 2, length 2; no tag 64 in front.
    expect(cborCodec.encode(new Uint8Array([1, 2])).toString('hex')).toBe('420102');
  });

  it('writes interoperable maps (no library record extensions, no tag 259)', () => {
    expect(cborCodec.encode({ a: 1 }).toString('hex')).toBe('a1616101');
    expect(cborCodec.encode(new Map([['a', 1]])).toString('hex')).toBe('a1616101');
  });

  it('decodes what other encoders write (RFC 8949 Appendix A vectors)', () => {
    const vectors: [string, unknown][] = [
      ['00', 0],
      ['1903e8', 1000],
      ['3903e7', -1000],
      ['f93c00', 1],
      ['f5', true],
      ['f6', null],
      ['6449455446', 'IETF'],
      ['83010203', [1, 2, 3]],
      ['a26161016162820203', { a: 1, b: [2, 3] }],
      ['9f018202039f0405ffff', [1, [2, 3], [4, 5]]],
    ];
    for (const [hex, value] of vectors) expect(cborCodec.decode(Buffer.from(hex, 'hex'))).toEqual(value);
  });

  it('throws only CodecError on garbage, including truncated and trailing data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => onlyCodecErrors(cborCodec, Buffer.from(b))),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(jsonValue, fc.nat(), (v, cut) => {
        const bytes = cborCodec.encode(v);
        onlyCodecErrors(cborCodec, bytes.subarray(0, cut % (bytes.length + 1)));
      }),
    );
    for (const hex of ['', 'ff', '9bffffffffffffffff', '5bffffffffffffffff', 'ba7fffffff', 'd81d00', '0000']) {
      expect(() => cborCodec.decode(Buffer.from(hex, 'hex')), hex).toThrow(CodecError);
    }
  });
});

describe('text codec', () => {
  it('round-trips every string, a leading BOM included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(textCodec.decode(textCodec.encode(s))).toBe(s);
      }),
    );
    expect(textCodec.decode(textCodec.encode('\uFEFFx'))).toBe('\uFEFFx');
  });

  it('rejects invalid UTF-8 with a CodecError, never U+FFFD', () => {
    expect(() => textCodec.decode(Buffer.from([0x61, 0xc3]))).toThrow(
      expect.objectContaining({ code: 'PH_CODEC_DECODE' }),
    );
    expect(() => textCodec.encode(Buffer.from([0xff]))).toThrow(CodecError);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), (b) => onlyCodecErrors(textCodec, Buffer.from(b))));
  });
});

describe('raw codec', () => {
  it('passes bytes through without copying', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        const buf = Buffer.from(b);
        expect(rawCodec.decode(buf)).toBe(buf);
        expect(rawCodec.encode(buf)).toBe(buf);
      }),
    );
  });
});
