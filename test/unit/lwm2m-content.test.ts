/**
 * LwM2M content formats against the examples of OMA-TS-LightweightM2M_Core-V1_1-20180710-A §7.4 (TLV §7.4.3,
 * SenML JSON §7.4.4, SenML CBOR §7.4.5) and TS 1.0.2 §6.4.4 (LwM2M JSON); fast-check: round trips and garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent, Format } from '../../gateways/lwm2m/content.js';
import { Lwm2mError } from '../../gateways/lwm2m/errors.js';
import { decodeLwm2mCbor } from '../../gateways/lwm2m/lwm2m-cbor.js';
import { decodeLwm2mJson } from '../../gateways/lwm2m/lwm2m-json.js';
import { parsePath } from '../../gateways/lwm2m/path.js';
import { decodeSenmlCbor, decodeSenmlJson, encodeSenmlCbor, encodeSenmlJson } from '../../gateways/lwm2m/senml.js';
import { decodeTlv, encodeTlv, splitTlv } from '../../gateways/lwm2m/tlv.js';
import { TS_DEVICE_RECORDS as DEVICE_RECORDS } from '../support/lwm2m-vectors.js';
import { untyped, type Lwm2mRecord, type ResourceType, type TypeResolver } from '../../gateways/lwm2m/values.js';

/** Object 3 resource types (TS 1.1 Core Appendix E.4). */
const DEVICE: Record<number, ResourceType> = {
  0: 'String',
  1: 'String',
  2: 'String',
  3: 'String',
  4: 'None',
  5: 'None',
  6: 'Integer',
  7: 'Integer',
  8: 'Integer',
  9: 'Integer',
  10: 'Integer',
  11: 'Integer',
  13: 'Time',
  14: 'String',
  15: 'String',
  16: 'String',
};
const typeOf: TypeResolver = (oid, rid) =>
  oid === 3 ? DEVICE[rid] : oid === 3303 && rid === 5700 ? 'Float' : undefined;

// TS 1.1 Core §7.4.3.2 "Single Object Instance Request Example", Read /3/0 in TLV.
const DEVICE_TLV = Buffer.from(
  'c800144f70656e204d6f62696c6520416c6c69616e6365' +
    'c801164c69676874776569676874204d324d20436c69656e74' +
    'c80209333435303030313233' +
    'c303312e30' +
    '86064100014101' +
    '05' +
    '88070842000ed842011388' +
    '870841007d42010384' +
    'c10964' +
    'c10a0f' +
    '830b410000' +
    'c40d5182428f' +
    'c60e2b30323a3030' +
    'c11055',
  'hex',
);

const isLwm2mError = (err: unknown): boolean => err instanceof Lwm2mError && /^PH_LWM2M_/.test(err.code);

describe('TLV (11542)', () => {
  it('decodes the Device object instance example of TS 1.1 §7.4.3.2', () => {
    expect(decodeTlv(DEVICE_TLV, parsePath('/3/0'), typeOf)).toEqual(DEVICE_RECORDS);
  });

  it('encodes the example byte for byte', () => {
    expect(encodeTlv(DEVICE_RECORDS, parsePath('/3/0'), typeOf).toString('hex')).toBe(DEVICE_TLV.toString('hex'));
  });

  it('wraps object-level payloads in Object Instance entries and reads them back', () => {
    const recs = [
      { path: '/3303/0/5700', value: 21.5 },
      { path: '/3303/1/5700', value: -4.25 },
    ];
    const buf = encodeTlv(recs, parsePath('/3303'), typeOf);
    expect(splitTlv(buf).map((e) => [e.kind, e.id])).toEqual([
      [0, 0],
      [0, 1],
    ]);
    expect(decodeTlv(buf, parsePath('/3303'), typeOf)).toEqual(recs);
  });

  it('uses 16-bit identifiers and 24-bit lengths when needed', () => {
    const big = Buffer.alloc(70000, 7);
    const buf = encodeTlv([{ path: '/3303/0/5700', value: 1.5 }], parsePath('/3303/0'), typeOf);
    expect(buf[0]! & 0x20).toBe(0x20);
    const fw = encodeTlv([{ path: '/5/0/0', value: big }], parsePath('/5/0'), untyped);
    expect((fw[0]! >> 3) & 3).toBe(3);
    expect(decodeTlv(fw, parsePath('/5/0'), untyped)).toEqual([{ path: '/5/0/0', value: big }]);
  });

  it('rejects lying lengths and ill-sized values with PH_LWM2M_TLV', () => {
    expect(() => decodeTlv(Buffer.from('c8001441', 'hex'), parsePath('/3/0'), typeOf)).toThrow(/claims 20 bytes/);
    expect(() => decodeTlv(Buffer.from('c309010203', 'hex'), parsePath('/3/0'), typeOf)).toThrow(/Integer value of 3/);
    expect(() => decodeTlv(Buffer.from('c8', 'hex'), parsePath('/3/0'), typeOf)).toThrow(Lwm2mError);
  });

  it('never throws anything but a PH_LWM2M error on garbage (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('/3', '/3/0', '/3/0/7', '/3303/0'), (bytes, p) => {
        try {
          decodeTlv(Buffer.from(bytes), parsePath(p), typeOf);
        } catch (err) {
          expect(isLwm2mError(err)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SenML JSON (110) and SenML CBOR (112)', () => {
  // TS 1.1 Core §7.4.4, Read /3/0 in SenML JSON (base name on the first record, names relative to it).
  const SENML = JSON.stringify([
    { bn: '/3/0/', n: '0', vs: 'Open Mobile Alliance' },
    { n: '1', vs: 'Lightweight M2M Client' },
    { n: '2', vs: '345000123' },
    { n: '3', vs: '1.0' },
    { n: '6/0', v: 1 },
    { n: '6/1', v: 5 },
    { n: '7/0', v: 3800 },
    { n: '7/1', v: 5000 },
    { n: '8/0', v: 125 },
    { n: '8/1', v: 900 },
    { n: '9', v: 100 },
    { n: '10', v: 15 },
    { n: '11/0', v: 0 },
    { n: '13', v: 1367491215 },
    { n: '14', vs: '+02:00' },
    { n: '16', vs: 'U' },
  ]);

  it('decodes the Device example of TS 1.1 §7.4.4', () => {
    expect(decodeSenmlJson(Buffer.from(SENML), typeOf)).toEqual(DEVICE_RECORDS);
  });

  it('round-trips the example through JSON and CBOR', () => {
    for (const f of [Format.SenmlJson, Format.SenmlCbor]) {
      const buf = encodeContent(f, DEVICE_RECORDS, parsePath('/3/0'), typeOf);
      expect(decodeContent(f, buf, parsePath('/3/0'), typeOf)).toEqual(DEVICE_RECORDS);
    }
  });

  it('carries Objlnk as vlo and Opaque as vd', () => {
    const recs: Lwm2mRecord[] = [
      { path: '/8300/0/7100', value: { objectId: 3303, instanceId: 0 } },
      { path: '/5/0/0', value: Buffer.from([0, 1, 2, 255]) },
    ];
    const json = JSON.parse(encodeContent(Format.SenmlJson, recs, parsePath('/'.concat('8300')), untyped).toString());
    expect(json[0].vlo).toBe('3303:0');
    expect(json[1].vd).toBe('AAEC_w');
    expect(decodeSenmlCbor(encodeSenmlCbor(recs, untyped), untyped)).toEqual(recs);
  });

  it('rejects names that are not resource paths and values of the wrong type', () => {
    expect(() => decodeSenmlJson(Buffer.from('[{"n":"/3","v":1}]'), typeOf)).toThrow(/does not name a resource/);
    expect(() => decodeSenmlJson(Buffer.from('[{"n":"/3/0/9","vs":"x"}]'), typeOf)).toThrow(/Integer/);
    expect(() => decodeSenmlJson(Buffer.from('{"n":1}'), typeOf)).toThrow(/not an array/);
    expect(() => decodeSenmlCbor(Buffer.from([0x9f]), typeOf)).toThrow(Lwm2mError);
  });

  it('never throws anything but a PH_LWM2M error on garbage (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.json(), (bytes, json) => {
        for (const run of [
          () => decodeSenmlCbor(Buffer.from(bytes), typeOf),
          () => decodeSenmlJson(Buffer.from(bytes), typeOf),
          () => decodeSenmlJson(Buffer.from(json), typeOf),
          () => decodeLwm2mJson(Buffer.from(json), typeOf),
        ]) {
          try {
            run();
          } catch (err) {
            expect(isLwm2mError(err)).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
  it('round-trips any records under an instance, with times, through SenML JSON and CBOR (property)', () => {
    const value = fc.oneof(
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
      fc.boolean(),
      fc.string(),
      fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
      fc.record({ objectId: fc.nat(65535), instanceId: fc.nat(65535) }),
    );
    const record = fc
      .tuple(fc.nat(65535), fc.option(fc.nat(65535)), value, fc.option(fc.integer({ min: 0, max: 2 ** 31 })))
      .map(([rid, ri, v, t]): Lwm2mRecord => ({
        path: ri === null ? `/9/0/${rid}` : `/9/0/${rid}/${ri}`,
        value: v,
        ...(t === null ? {} : { time: t }),
      }));
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.boolean(), (recs, withBase) => {
        const base = withBase ? parsePath('/9/0') : parsePath('/9');
        expect(decodeSenmlJson(encodeSenmlJson(recs, untyped, base), untyped)).toEqual(recs);
        expect(decodeSenmlCbor(encodeSenmlCbor(recs, untyped, base), untyped)).toEqual(recs);
      }),
      { numRuns: 300 },
    );
  });
});

describe('LwM2M JSON (11543)', () => {
  // the Device example of TS 1.0.2 §6.4.4 is decoded from its literal text in lwm2m-spec-vectors.test.ts
  it('round-trips booleans, Objlnk and Opaque', () => {
    const recs: Lwm2mRecord[] = [
      { path: '/3306/0/5850', value: true },
      { path: '/8300/0/7100', value: { objectId: 3303, instanceId: 0 } },
      { path: '/8300/0/7101', value: Buffer.from([0, 1, 254, 255]) },
    ];
    // LwM2M JSON carries Opaque as a base64 string (`sv`): only the declared type makes it bytes again
    const t: TypeResolver = (_o, r) => (r === 7101 ? 'Opaque' : undefined);
    const buf = encodeContent(Format.Json, recs, parsePath('/3306'), t);
    expect(decodeContent(Format.Json, buf, parsePath('/3306'), t)).toEqual(recs);
  });
});

describe('LwM2M CBOR (11544)', () => {
  it('decodes nested maps with an array key for several levels (TS 1.2 Core §7.4.6)', () => {
    // {[3, 0]: {0: "ACME", 9: 87, 7: {0: 3800, 1: 5000}, 13: 1(1367491215)}}
    const hex =
      'a18203' + '00' + 'a4' + '00644143' + '4d45' + '091857' + '07a200190ed8011913' + '88' + '0dc11a5182428f';
    expect(decodeLwm2mCbor(Buffer.from(hex, 'hex'), typeOf)).toEqual([
      { path: '/3/0/0', value: 'ACME' },
      { path: '/3/0/9', value: 87 },
      { path: '/3/0/7/0', value: 3800 },
      { path: '/3/0/7/1', value: 5000 },
      { path: '/3/0/13', value: 1367491215 },
    ]);
  });

  it('round-trips the Device example and rejects shallow or too deep values', () => {
    const buf = encodeContent(Format.Cbor, DEVICE_RECORDS, parsePath('/3/0'), typeOf);
    expect(decodeContent(Format.Cbor, buf, parsePath('/3/0'), typeOf)).toEqual(DEVICE_RECORDS);
    expect(() => decodeLwm2mCbor(Buffer.from('a103a10001', 'hex'), typeOf)).toThrow(/not under a resource/);
    expect(() => decodeLwm2mCbor(Buffer.from('a185030000000001', 'hex'), typeOf)).toThrow(/deeper/);
    expect(() => decodeLwm2mCbor(Buffer.from('a1616101', 'hex'), typeOf)).toThrow(/not a path id/);
  });

  it('never throws anything but a PH_LWM2M error on garbage (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeLwm2mCbor(Buffer.from(bytes), typeOf);
        } catch (err) {
          expect(isLwm2mError(err)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('text/plain (0) and opaque (42)', () => {
  it('reads a single resource by its declared type (TS 1.1 §7.4.1)', () => {
    expect(decodeContent(Format.Text, Buffer.from('21.5'), parsePath('/3303/0/5700'), typeOf)).toEqual([
      { path: '/3303/0/5700', value: 21.5 },
    ]);
    expect(decodeContent(Format.Text, Buffer.from('Open Mobile Alliance'), parsePath('/3/0/0'), typeOf)).toEqual([
      { path: '/3/0/0', value: 'Open Mobile Alliance' },
    ]);
    expect(() => decodeContent(Format.Text, Buffer.from('abc'), parsePath('/3/0/9'), typeOf)).toThrow(/Integer/);
  });

  it('refuses a single value for an instance path and unknown formats', () => {
    expect(() => decodeContent(Format.Text, Buffer.from('1'), parsePath('/3/0'), typeOf)).toThrow(/single value/);
    expect(() => decodeContent(9999, Buffer.from('1'), parsePath('/3/0/1'), typeOf)).toThrow(/9999/);
  });

  it('round-trips typed values through text, TLV, SenML JSON/CBOR (property)', () => {
    const value = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => ['Integer', v] as const),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ['Float', Object.is(v, -0) ? 0 : v] as const),
      fc.boolean().map((v) => ['Boolean', v] as const),
      fc.string().map((v) => ['String', v] as const),
    );
    fc.assert(
      fc.property(value, ([type, v]) => {
        const t: TypeResolver = () => type;
        const recs = [{ path: '/9/0/1', value: v }];
        for (const f of [Format.Text, Format.Tlv, Format.SenmlJson, Format.SenmlCbor, Format.Json, Format.Cbor]) {
          const buf = encodeContent(f, recs, parsePath('/9/0/1'), t);
          expect(decodeContent(f, buf, parsePath('/9/0/1'), t)).toEqual(recs);
        }
      }),
      { numRuns: 300 },
    );
  });
});
