/**
 * The content-format examples of the OMA specifications, decoded and encoded both ways with the shipped object
 * definitions: OMA-TS-LightweightM2M_Core-V1_1-20180710-A §7.4.4 (SenML JSON, Tables 7.4.4-2 … 7.4.4-8), §7.4.5
 * (the SenML CBOR hex of Read /3/0), §7.4.3 (TLV) and OMA-TS-LightweightM2M-V1_0 §6.4.4 (LwM2M JSON, 11543).
 * Then the SenML fields of RFC 8428 §4 that LwM2M devices send: base name/time/value, vb, vs, vd, vlo, bver and
 * must-understand fields.
 */
import { encode as cborEncode } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent, Format } from '../../gateways/lwm2m/content.js';
import { Lwm2mError } from '../../gateways/lwm2m/errors.js';
import { decodeLwm2mJson, encodeLwm2mJson } from '../../gateways/lwm2m/lwm2m-json.js';
import { ObjectRegistry } from '../../gateways/lwm2m/objects.js';
import { parsePath } from '../../gateways/lwm2m/path.js';
import { decodeSenmlCbor, decodeSenmlJson, encodeSenmlCbor, encodeSenmlJson } from '../../gateways/lwm2m/senml.js';
import { decodeTlv, encodeTlv } from '../../gateways/lwm2m/tlv.js';
import type { Lwm2mRecord, TypeResolver } from '../../gateways/lwm2m/values.js';
import { TS_DEVICE_RECORDS as DEVICE } from '../support/lwm2m-vectors.js';

const objects = ObjectRegistry.load();
const typeOf = objects.typeOf;
const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const at = parsePath;

describe('SenML CBOR (112), TS 1.1 Core §7.4.5', () => {
  // The hex dump the TS prints for Read /3/0 (the Table 7.4.4-2 records in CBOR, labels -2 bn, 0 n, 2 v, 3 vs).
  const DEVICE_CBOR = hex(`
    90 a3 21 65 2f 33 2f 30 2f 00 61 30 03 74 4f 70 65 6e 20 4d 6f 62 69 6c 65 20 41 6c 6c 69 61 6e 63 65
    a2 00 61 31 03 76 4c 69 67 68 74 77 65 69 67 68 74 20 4d 32 4d 20 43 6c 69 65 6e 74
    a2 00 61 32 03 69 33 34 35 30 30 30 31 32 33 a2 00 61 33 03 63 31 2e 30
    a2 00 63 36 2f 30 02 01 a2 00 63 36 2f 31 02 05 a2 00 63 37 2f 30 02 19 0e d8 a2 00 63 37 2f 31 02 19 13 88
    a2 00 63 38 2f 30 02 18 7d a2 00 63 38 2f 31 02 19 03 84 a2 00 61 39 02 18 64 a2 00 62 31 30 02 0f
    a2 00 64 31 31 2f 30 02 00 a2 00 62 31 33 02 1a 51 82 42 8f a2 00 62 31 34 03 66 2b 30 32 3a 30 30
    a2 00 62 31 36 03 61 55`);

  it('decodes the Read /3/0 hex of the TS', () => {
    expect(decodeSenmlCbor(DEVICE_CBOR, typeOf)).toEqual(DEVICE);
    expect(decodeContent(Format.SenmlCbor, DEVICE_CBOR, at('/3/0'), typeOf)).toEqual(DEVICE);
  });

  it('encodes the Device instance to the same bytes (bn on the first record, relative names)', () => {
    expect(encodeSenmlCbor(DEVICE, typeOf, at('/3/0')).toString('hex')).toBe(DEVICE_CBOR.toString('hex'));
  });

  it('decodes the timestamped notification of Table 7.4.4-3 in CBOR (bn, bt once, relative t)', () => {
    // [{-2:"/72/", -3:25462634, 0:"1/2", 2:22.4, 6:-5}, {0:"1/2", 2:22.9, 6:-30}, {0:"1/2", 2:24.1, 6:-50}]
    const bytes = hex(`83
      a5 21 64 2f 37 32 2f 22 1a 01 84 87 6a 00 63 31 2f 32 02 fb 40 36 66 66 66 66 66 66 06 24
      a3 00 63 31 2f 32 02 fb 40 36 e6 66 66 66 66 66 06 38 1d
      a3 00 63 31 2f 32 02 fb 40 38 19 99 99 99 99 9a 06 38 31`);
    const expected = [
      { path: '/72/1/2', value: 22.4, time: 25462634 - 5 },
      { path: '/72/1/2', value: 22.9, time: 25462634 - 30 },
      { path: '/72/1/2', value: 24.1, time: 25462634 - 50 },
    ];
    expect(decodeSenmlCbor(bytes, typeOf)).toEqual(expected);
    expect(decodeSenmlCbor(encodeSenmlCbor(expected, typeOf, at('/72')), typeOf)).toEqual(expected);
  });

  it('encodes a single resource with its whole path as bn and no name (Table 7.4.4-5)', () => {
    const bytes = hex('81 a2 21 66 2f 33 2f 30 2f 30 03 74 4f70656e204d6f62696c6520416c6c69616e6365');
    const recs = [{ path: '/3/0/0', value: 'Open Mobile Alliance' }];
    expect(decodeSenmlCbor(bytes, typeOf)).toEqual(recs);
    expect(encodeSenmlCbor(recs, typeOf, at('/3/0/0')).toString('hex')).toBe(bytes.toString('hex'));
  });
});

describe('SenML JSON (110), TS 1.1 Core §7.4.4', () => {
  const text = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));

  // Table 7.4.4-2: Read /3/0
  const DEVICE_JSON =
    '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"1","vs":"Lightweight M2M Client"},' +
    '{"n":"2","vs":"345000123"},{"n":"3","vs":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},' +
    '{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},' +
    '{"n":"11/0","v":0},{"n":"13","v":1367491215},{"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}]';

  it('decodes and encodes the Read /3/0 example (Table 7.4.4-2) byte for byte', () => {
    expect(decodeSenmlJson(Buffer.from(DEVICE_JSON), typeOf)).toEqual(DEVICE);
    expect(encodeSenmlJson(DEVICE, typeOf, at('/3/0')).toString()).toBe(DEVICE_JSON);
  });

  it('decodes historical values with a base time (Table 7.4.4-3)', () => {
    const doc = [
      { bn: '/72/', bt: 25462634, n: '1/2', v: 22.4, t: -5 },
      { n: '1/2', v: 22.9, t: -30 },
      { n: '1/2', v: 24.1, t: -50 },
    ];
    expect(decodeSenmlJson(text(doc), typeOf)).toEqual([
      { path: '/72/1/2', value: 22.4, time: 25462629 },
      { path: '/72/1/2', value: 22.9, time: 25462604 },
      { path: '/72/1/2', value: 24.1, time: 25462584 },
    ]);
  });

  it('decodes object links in vlo under the root base name (Table 7.4.4-4)', () => {
    const doc = [
      { bn: '/', n: '65/0/0/0', vlo: '66:0' },
      { n: '65/0/0/1', vlo: '66:1' },
      { n: '65/0/1', vs: '8613800755500' },
      { n: '65/0/2', v: 1 },
      { n: '66/0/0', vs: 'myService1' },
      { n: '66/0/1', vs: 'Internet.15.234' },
      { n: '66/0/2', vlo: '67:0' },
      { n: '66/1/0', vs: 'myService2' },
      { n: '66/1/1', vs: 'Internet.15.235' },
      { n: '66/1/2', vlo: '65535:65535' },
      { n: '67/0/0', vs: '85.76.76.84' },
      { n: '67/0/1', vs: '85.76.255.255' },
    ];
    const recs = decodeSenmlJson(text(doc), typeOf);
    expect(recs.slice(0, 4)).toEqual([
      { path: '/65/0/0/0', value: { objectId: 66, instanceId: 0 } },
      { path: '/65/0/0/1', value: { objectId: 66, instanceId: 1 } },
      { path: '/65/0/1', value: '8613800755500' },
      { path: '/65/0/2', value: 1 },
    ]);
    expect(recs[9]).toEqual({ path: '/66/1/2', value: { objectId: 65535, instanceId: 65535 } });
    // without a common request path every name is absolute; the links survive both ways
    const again = JSON.parse(encodeSenmlJson(recs, typeOf).toString()) as Array<Record<string, unknown>>;
    expect(again[0]).toEqual({ n: '/65/0/0/0', vlo: '66:0' });
    expect(decodeSenmlJson(text(again), typeOf)).toEqual(recs);
  });

  it('reads a single resource named by bn alone (Table 7.4.4-5)', () => {
    const doc = '[{"bn":"/3/0/0","vs":"Open Mobile Alliance"}]';
    const recs = [{ path: '/3/0/0', value: 'Open Mobile Alliance' }];
    expect(decodeSenmlJson(Buffer.from(doc), typeOf)).toEqual(recs);
    expect(encodeSenmlJson(recs, typeOf, at('/3/0/0')).toString()).toBe(doc);
  });

  it('decodes and encodes a Read-Composite response with absolute names (Table 7.4.4-7)', () => {
    const doc = '[{"n":"/3/0/0","vs":"Open Mobile Alliance"},{"n":"/3/0/9","v":95},{"n":"/1/0/1","v":86400}]';
    const recs = [
      { path: '/3/0/0', value: 'Open Mobile Alliance' },
      { path: '/3/0/9', value: 95 },
      { path: '/1/0/1', value: 86400 },
    ];
    expect(decodeSenmlJson(Buffer.from(doc), typeOf)).toEqual(recs);
    expect(encodeSenmlJson(recs, typeOf).toString()).toBe(doc);
  });

  it('decodes and encodes the Write-Composite booleans vb (Table 7.4.4-8), in JSON and CBOR', () => {
    const doc =
      '[{"n":"/3311/0/5850","vb":false},{"n":"/3311/1/5850","vb":false},' +
      '{"n":"/3311/2/5851","v":20},{"n":"/3308/0/5900","v":18}]';
    const recs = [
      { path: '/3311/0/5850', value: false },
      { path: '/3311/1/5850', value: false },
      { path: '/3311/2/5851', value: 20 },
      { path: '/3308/0/5900', value: 18 },
    ];
    expect(decodeSenmlJson(Buffer.from(doc), typeOf)).toEqual(recs);
    expect(encodeSenmlJson(recs, typeOf).toString()).toBe(doc);
    // CBOR: label 4 carries the boolean (0xf4 false)
    const cbor = encodeSenmlCbor(recs, typeOf);
    expect(cbor.subarray(0, 18).toString('hex')).toBe('84a2006c2f333331312f302f3538353004f4');
    expect(decodeSenmlCbor(cbor, typeOf)).toEqual(recs);
  });
});

describe('SenML fields of RFC 8428 §4', () => {
  const json = (doc: unknown): Lwm2mRecord[] => decodeSenmlJson(Buffer.from(JSON.stringify(doc)), typeOf);

  it('vb true/false, vs, vd (base64url, padded or not) and vlo decode to their LwM2M types', () => {
    expect(
      json([
        { bn: '/3311/0/', n: '5850', vb: true },
        { n: '5750', vs: 'hall' },
        { bn: '/5/0/', n: '0', vd: 'AAEC_w' },
        { n: '0', vd: 'AAEC_w==' },
      ]),
    ).toEqual([
      { path: '/3311/0/5850', value: true },
      { path: '/3311/0/5750', value: 'hall' },
      { path: '/5/0/0', value: Buffer.from([0, 1, 2, 255]) },
      { path: '/5/0/0', value: Buffer.from([0, 1, 2, 255]) },
    ]);
    expect(() => json([{ n: '/5/0/0', vd: 'not base64!' }])).toThrow(/base64url/);
    expect(() => json([{ n: '/3311/0/5850', vb: 'true' }])).toThrow(/"vb" must be a boolean/);
    expect(() => json([{ n: '/3311/0/5850', vs: 'yes' }])).toThrow(/Boolean/);
    expect(() => json([{ n: '/1/0/0', vlo: '3-0' }])).toThrow(/Objlnk/);
  });

  it('applies base name, base time and base value to later records until replaced (§4.5, §4.6)', () => {
    expect(
      json([
        { bn: '/3303/0/', bt: 1000, bv: 20, n: '5700', v: 1.5 },
        { n: '5601', v: -2, t: 5 },
        { bn: '/3303/1/', bv: 0, bt: 2000, n: '5700', v: 7 },
      ]),
    ).toEqual([
      { path: '/3303/0/5700', value: 21.5, time: 1000 },
      { path: '/3303/0/5601', value: 18, time: 1005 },
      { path: '/3303/1/5700', value: 7, time: 2000 },
    ]);
  });

  it('refuses a newer version and must-understand fields it does not know (§4.4), skips the rest', () => {
    expect(() => json([{ bver: 11, n: '/3/0/9', v: 1 }])).toThrow(/version 11/);
    expect(() => json([{ n: '/3/0/9', v: 1, exp_: 5 }])).toThrow(/must-understand field "exp_"/);
    expect(json([{ bver: 10, bu: 'Cel', n: '/3303/0/5700', u: 'Cel', v: 1, ut: 60 }])).toEqual([
      { path: '/3303/0/5700', value: 1 },
    ]);
  });

  it('reads CBOR labels for the same fields, and a decimal-fraction time (tag 4)', () => {
    // [{-2:"/3303/0/", -3:4([-2, 27315]), -5:10, 0:"5700", 2:1.5}] (half-float 1.5), written by hand:
    const bytes = hex('81 a5 21 68 2f 33 33 30 33 2f 30 2f 22 c4 82 21 19 6a b3 24 0a 00 64 35 37 30 30 02 f9 3e 00');
    expect(decodeSenmlCbor(bytes, typeOf)).toEqual([{ path: '/3303/0/5700', value: 11.5, time: 273.15 }]);
    // vd as a byte string, vlo under its text label
    const m = hex('82 a2 00 66 2f 35 2f 30 2f 30 08 42 01 ff a2 00 66 2f 31 2f 30 2f 30 63 76 6c 6f 63 33 3a 30');
    expect(decodeSenmlCbor(m, () => undefined)).toEqual([
      { path: '/5/0/0', value: Buffer.from([1, 255]) },
      { path: '/1/0/0', value: { objectId: 3, instanceId: 0 } },
    ]);
    expect(() => decodeSenmlCbor(hex('81 a2 00 66 2f 35 2f 30 2f 30 08 62 41 41'), typeOf)).toThrow(/byte string/);
  });

  it('round-trips times through both encodings', () => {
    const recs = [
      { path: '/3303/0/5700', value: 20.5, time: 1700000000 },
      { path: '/3303/0/5700', value: 21, time: 1700000060 },
    ];
    for (const f of [Format.SenmlJson, Format.SenmlCbor, Format.Json])
      expect(decodeContent(f, encodeContent(f, recs, at('/3303/0'), typeOf), at('/3303/0'), typeOf)).toEqual(recs);
  });
  it('answers records with any SenML fields of any JSON type with records or a PH_LWM2M_SENML error (fuzz)', () => {
    const key = fc.constantFrom('bn', 'bt', 'bv', 'bver', 'bu', 'n', 'u', 'v', 'vs', 'vb', 'vd', 'vlo', 't', 's', 'x_');
    const val = fc.oneof(
      fc.constantFrom('/3/0/', '/3303/0/5700', '0', '9', '3:0', 'AAEC_w', '', '/'),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.string(),
    );
    const pack = fc.array(fc.dictionary(key, val, { maxKeys: 5 }), { maxLength: 6 });
    const labels: Record<string, number | string> = { bn: -2, bt: -3, bv: -5, bver: -1, bu: -4, n: 0, u: 1, v: 2 };
    Object.assign(labels, { vs: 3, vb: 4, vd: 8, vlo: 'vlo', t: 6, s: 5, x_: 'x_' });
    fc.assert(
      fc.property(pack, (records) => {
        const asCbor = records.map((r) => new Map(Object.entries(r).map(([k, v]) => [labels[k], v])));
        for (const run of [
          () => decodeSenmlJson(Buffer.from(JSON.stringify(records)), typeOf),
          () => decodeSenmlCbor(Buffer.from(cborEncode(asCbor)), typeOf),
        ]) {
          try {
            for (const r of run()) expect(r.path).toMatch(/^(\/\d+){3,4}$/);
          } catch (err) {
            expect(err).toBeInstanceOf(Lwm2mError);
            expect((err as Lwm2mError).code).toBe('PH_LWM2M_SENML');
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('LwM2M JSON (11543), TS 1.0 §6.4.4', () => {
  // The Read /3/0 example of TS 1.0 §6.4.4 (Table 17 fields: bn, e, n, v, sv)
  const DEVICE_JSON =
    '{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"1","sv":"Lightweight M2M Client"},' +
    '{"n":"2","sv":"345000123"},{"n":"3","sv":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},' +
    '{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},' +
    '{"n":"11/0","v":0},{"n":"13","v":1367491215},{"n":"14","sv":"+02:00"},{"n":"16","sv":"U"}]}';

  it('decodes and encodes the Device example byte for byte', () => {
    expect(decodeLwm2mJson(Buffer.from(DEVICE_JSON), typeOf)).toEqual(DEVICE);
    expect(encodeLwm2mJson(DEVICE, typeOf, at('/3/0')).toString()).toBe(DEVICE_JSON);
  });

  it('decodes the historical temperature notification: names relative to the request URI, bt + t', () => {
    const doc =
      '{"e":[{"n":"1/2","v":22.4,"t":-5},{"n":"1/2","v":22.9,"t":-30},{"n":"1/2","v":24.1,"t":-50}],"bt":25462634}';
    expect(decodeContent(Format.Json, Buffer.from(doc), at('/72'), typeOf)).toEqual([
      { path: '/72/1/2', value: 22.4, time: 25462629 },
      { path: '/72/1/2', value: 22.9, time: 25462604 },
      { path: '/72/1/2', value: 24.1, time: 25462584 },
    ]);
  });

  it('carries Boolean in bv, Objlnk in ov, Opaque base64 in sv', () => {
    const typed: TypeResolver = (o, r) => (o === 5 && r === 0 ? 'Opaque' : typeOf(o, r));
    const doc = '{"bn":"/","e":[{"n":"3311/0/5850","bv":true},{"n":"65/0/0/0","ov":"66:0"},{"n":"5/0/0","sv":"AAH/"}]}';
    const recs = [
      { path: '/3311/0/5850', value: true },
      { path: '/65/0/0/0', value: { objectId: 66, instanceId: 0 } },
      { path: '/5/0/0', value: Buffer.from([0, 1, 255]) },
    ];
    expect(decodeLwm2mJson(Buffer.from(doc), typed)).toEqual(recs);
    expect(encodeLwm2mJson(recs, typed).toString()).toBe(doc);
    expect(() => decodeLwm2mJson(Buffer.from('{"e":[{"n":"/3311/0/5850","bv":1}]}'), typeOf)).toThrow(/boolean/);
  });
});

describe('TLV (11542), the other examples of TS 1.1 Core §7.4.3', () => {
  // objects 65 and 66 of the example (the same as SenML Table 7.4.4-4): 65/0 Objlnk (multiple), 65/1 String,
  // 65/2 Integer; 66/0 and 66/1 String, 66/2 Objlnk
  const example: TypeResolver = (o, r) =>
    o === 65
      ? (['Objlnk', 'String', 'Integer'] as const)[r]
      : o === 66
        ? (['String', 'String', 'Objlnk'] as const)[r]
        : typeOf(o, r);

  it('Read /1: the Server object instance, wrapped in an Object Instance TLV', () => {
    const bytes = hex('08 00 0f  c1 00 01  c4 01 00 01 51 80  c1 06 01  c1 07 55');
    const recs = [
      { path: '/1/0/0', value: 1 },
      { path: '/1/0/1', value: 86400 },
      { path: '/1/0/6', value: true },
      { path: '/1/0/7', value: 'U' },
    ];
    expect(decodeTlv(bytes, at('/1'), typeOf)).toEqual(recs);
    expect(encodeTlv(recs, at('/1'), typeOf).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('Read /65/0: a multiple Objlnk resource, a String, a 32-bit Integer', () => {
    const bytes = hex(
      '88 00 0c 44 00 00 42 00 00 44 01 00 42 00 01  c8 01 0d 38 36 31 33 38 30 30 37 35 35 35 30 30  c4 02 12 34 56 78',
    );
    const recs = [
      { path: '/65/0/0/0', value: { objectId: 66, instanceId: 0 } },
      { path: '/65/0/0/1', value: { objectId: 66, instanceId: 1 } },
      { path: '/65/0/1', value: '8613800755500' },
      { path: '/65/0/2', value: 0x12345678 },
    ];
    expect(decodeTlv(bytes, at('/65/0'), example)).toEqual(recs);
    expect(encodeTlv(recs, at('/65/0'), example).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('Read /66: two instances, the second linking to no instance (65535:65535)', () => {
    const bytes = hex(`
      08 00 26 c8 00 0b 6d 79 53 65 72 76 69 63 65 20 31 c8 01 0f 49 6e 74 65 72 6e 65 74 2e 31 35 2e 32 33 34
               c4 02 00 43 00 00
      08 01 26 c8 00 0b 6d 79 53 65 72 76 69 63 65 20 32 c8 01 0f 49 6e 74 65 72 6e 65 74 2e 31 35 2e 32 33 35
               c4 02 ff ff ff ff`);
    const recs = [
      { path: '/66/0/0', value: 'myService 1' },
      { path: '/66/0/1', value: 'Internet.15.234' },
      { path: '/66/0/2', value: { objectId: 67, instanceId: 0 } },
      { path: '/66/1/0', value: 'myService 2' },
      { path: '/66/1/1', value: 'Internet.15.235' },
      { path: '/66/1/2', value: { objectId: 65535, instanceId: 65535 } },
    ];
    expect(decodeTlv(bytes, at('/66'), example)).toEqual(recs);
    expect(encodeTlv(recs, at('/66'), example).toString('hex')).toBe(bytes.toString('hex'));
  });
});
