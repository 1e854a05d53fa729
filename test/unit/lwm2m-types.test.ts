/**
 * The resource types and formats the format tests left out: Opaque (42), Unsigned, Time, Objlnk and Corelnk in
 * every multi-value format, the pre-registration numbers 1541–1544, and TLV whose lengths lie (structures built
 * valid, then corrupted). Values must round-trip exactly; garbage must be a typed PH_LWM2M error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent, Format } from '../../gateways/lwm2m/content.js';
import { Lwm2mError } from '../../gateways/lwm2m/errors.js';
import { parsePath } from '../../gateways/lwm2m/path.js';
import { decodeTlv, encodeTlv } from '../../gateways/lwm2m/tlv.js';
import {
  coerce,
  toJsonValue,
  type Lwm2mRecord,
  type Lwm2mValue,
  type ResourceType,
  type TypeResolver,
} from '../../gateways/lwm2m/values.js';

const MULTI = [Format.Tlv, Format.SenmlJson, Format.SenmlCbor, Format.Json, Format.Cbor];

const typed = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((b) => ['Opaque', Buffer.from(b)] as const),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((v) => ['Unsigned', v] as const),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((v) => ['Time', v] as const),
  fc
    .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
    .map(([o, i]) => ['Objlnk', { objectId: o, instanceId: i }] as const),
  fc
    .array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 3 })
    .map((ids) => ['Corelnk', ids.map((id) => `</${id}>`).join(',')] as const),
);

describe('Opaque, Unsigned, Time, Objlnk, Corelnk', () => {
  it('round-trip through TLV, SenML JSON/CBOR, LwM2M JSON and LwM2M CBOR on an instance (property)', () => {
    fc.assert(
      fc.property(fc.array(typed, { minLength: 1, maxLength: 5 }), (values) => {
        const types = new Map<number, ResourceType>();
        const recs: Lwm2mRecord[] = values.map(([type, value], i) => {
          types.set(i, type);
          return { path: `/9/0/${i}`, value: value as Lwm2mValue };
        });
        const t: TypeResolver = (_o, r) => types.get(r);
        for (const f of MULTI) {
          const buf = encodeContent(f, recs, parsePath('/9/0'), t);
          expect(decodeContent(f, buf, parsePath('/9/0'), t), `format ${f}`).toEqual(recs);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('opaque (42) carries the bytes of one resource unchanged, both ways', () => {
    const t: TypeResolver = () => 'Opaque';
    const bytes = Buffer.from([0, 255, 1, 0x80, 10]);
    const path = parsePath('/5/0/0');
    expect(encodeContent(Format.Opaque, [{ path: '/5/0/0', value: bytes }], path, t)).toEqual(bytes);
    expect(decodeContent(Format.Opaque, bytes, path, t)).toEqual([{ path: '/5/0/0', value: bytes }]);
    expect(decodeContent(Format.Opaque, Buffer.alloc(0), path, t)).toEqual([
      { path: '/5/0/0', value: Buffer.alloc(0) },
    ]);
  });

  it('text/plain reads Unsigned, Time, Objlnk and Corelnk by their declared type (TS 1.1 §7.4.1)', () => {
    const one = (type: ResourceType, text: string) =>
      decodeContent(Format.Text, Buffer.from(text), parsePath('/9/0/1'), () => type)[0]!.value;
    expect(one('Unsigned', '4294967295')).toBe(4294967295);
    expect(one('Time', '1367491215')).toBe(1367491215);
    expect(one('Objlnk', '3303:12')).toEqual({ objectId: 3303, instanceId: 12 });
    expect(one('Corelnk', '</3/0>,</1/0>')).toBe('</3/0>,</1/0>');
  });
});

describe('pre-registration content formats 1541–1544', () => {
  const t: TypeResolver = (o, r) => (o === 3 && r === 0 ? 'String' : o === 3 && r === 9 ? 'Integer' : 'Opaque');
  const recs: Lwm2mRecord[] = [
    { path: '/3/0/0', value: 'ACME' },
    { path: '/3/0/9', value: 87 },
  ];
  it('decode exactly like text, TLV, LwM2M JSON and opaque', () => {
    const pairs: [number, number, Buffer, string][] = [
      [Format.LegacyText, Format.Text, Buffer.from('87'), '/3/0/9'],
      [Format.LegacyTlv, Format.Tlv, encodeContent(Format.Tlv, recs, parsePath('/3/0'), t), '/3/0'],
      [Format.LegacyJson, Format.Json, encodeContent(Format.Json, recs, parsePath('/3/0'), t), '/3/0'],
      [Format.LegacyOpaque, Format.Opaque, Buffer.from([1, 2, 3]), '/3/0/5'],
    ];
    for (const [legacy, modern, buf, p] of pairs) {
      const got = decodeContent(legacy, buf, parsePath(p), t);
      expect(got.length, `format ${legacy}`).toBeGreaterThan(0);
      expect(got).toEqual(decodeContent(modern, buf, parsePath(p), t));
    }
    expect(
      decodeContent(Format.LegacyTlv, encodeContent(Format.Tlv, recs, parsePath('/3/0'), t), parsePath('/3/0'), t),
    ).toEqual(recs);
  });

  it('are never encoded (the server sends the registered numbers)', () => {
    for (const f of [Format.LegacyText, Format.LegacyTlv, Format.LegacyJson, Format.LegacyOpaque])
      expect(() => encodeContent(f, recs, parsePath('/3/0'), t)).toThrow(Lwm2mError);
  });
});

describe('TLV with lying lengths (TS 1.1 §7.4.3)', () => {
  it('valid TLV with any byte changed decodes or fails with a PH_LWM2M error, never anything else', () => {
    const rec = fc.record({
      rid: fc.integer({ min: 0, max: 300 }),
      value: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(rec, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (rs, at, byte, truncate) => {
          const seen = new Set<number>();
          const recs = rs
            .filter((r) => !seen.has(r.rid) && seen.add(r.rid))
            .map((r) => ({ path: `/9/0/${r.rid}`, value: Buffer.from(r.value) }));
          const buf = Buffer.from(encodeTlv(recs, parsePath('/9/0'), () => 'Opaque'));
          expect(decodeTlv(buf, parsePath('/9/0'), () => 'Opaque')).toEqual(recs);
          const i = at % buf.length;
          const bad = truncate ? buf.subarray(0, i) : Buffer.from(buf);
          if (!truncate) bad[i] = byte;
          try {
            decodeTlv(bad, parsePath('/9/0'), () => 'Opaque');
          } catch (err) {
            expect(err).toBeInstanceOf(Lwm2mError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a length field larger than the bytes that follow is refused', () => {
    const buf = Buffer.from(
      encodeTlv([{ path: '/9/0/1', value: Buffer.from('abcdefghij') }], parsePath('/9/0'), () => 'Opaque'),
    );
    // 10 bytes do not fit the 3-bit length: type byte 0b11_0_01_000, id, 8-bit length, value
    expect(buf.subarray(0, 3)).toEqual(Buffer.from([0b1100_1000, 1, 10]));
    const lying = Buffer.from(buf);
    lying[2] = 200;
    expect(() => decodeTlv(lying, parsePath('/9/0'), () => 'Opaque')).toThrow(Lwm2mError);
  });
});

describe('64-bit integers from text', () => {
  it('stay exact beyond 2^53 and are refused outside the 64-bit range (TS 1.1 Core Appendix C)', () => {
    expect(coerce('Integer', '9007199254740993')).toBe(9007199254740993n);
    expect(coerce('Integer', '-9223372036854775808')).toBe(-(2n ** 63n));
    expect(coerce('Unsigned', '18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(coerce('Integer', '42')).toBe(42);
    expect(() => coerce('Integer', '9223372036854775808')).toThrow(Lwm2mError);
    expect(() => coerce('Unsigned', '18446744073709551616')).toThrow(Lwm2mError);
    expect(() => coerce('Unsigned', '-1')).toThrow(Lwm2mError);
    const t: TypeResolver = () => 'Integer';
    expect(decodeContent(Format.Text, Buffer.from('9007199254740993'), parsePath('/9/0/1'), t)).toEqual([
      { path: '/9/0/1', value: 9007199254740993n },
    ]);
    expect(toJsonValue(9007199254740993n)).toBe('9007199254740993');
  });
});
