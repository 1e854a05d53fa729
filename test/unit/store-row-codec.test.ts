import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PublishProperties } from '../../src/envelope.js';
import {
  decodeProperties,
  decodeSubscriptionIds,
  encodeProperties,
  encodeSubscriptionIds,
  messageFromColumns,
  messageValues,
  toQoS,
} from '../../src/store/row-codec.js';

const properties: fc.Arbitrary<PublishProperties> = fc.record(
  {
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: fc.nat({ max: 0xffffffff }),
    contentType: fc.string({ unit: 'grapheme' }),
    responseTopic: fc.string(),
    correlationData: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    userProperties: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 4 }))),
  },
  { requiredKeys: [] },
);

describe('store row codec', () => {
  it('MQTT 5 properties round-trip through CBOR, Correlation Data as a Buffer', () => {
    fc.assert(
      fc.property(properties, (p) => {
        const back = decodeProperties(encodeProperties(p));
        expect(back).toEqual(p);
        if (p.correlationData) expect(Buffer.isBuffer(back?.correlationData)).toBe(true);
      }),
    );
  });

  it('undefined properties are NULL and undefined keys are dropped', () => {
    expect(encodeProperties(undefined)).toBeNull();
    expect(decodeProperties(null)).toBeUndefined();
    expect(Object.keys(decodeProperties(encodeProperties({ contentType: undefined, responseTopic: 'r' }))!)).toEqual([
      'responseTopic',
    ]);
  });

  it('garbage property blobs either decode to a map or throw, never return a non-object', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        let out: unknown;
        try {
          out = decodeProperties(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          return;
        }
        expect(typeof out === 'object' && out !== null && !Array.isArray(out)).toBe(true);
      }),
    );
    expect(() => decodeProperties(Buffer.alloc(0))).toThrow();
    expect(() => decodeProperties(Buffer.from([0x83, 1, 2, 3]))).toThrow(TypeError); // a CBOR array
  });

  it('subscription ids round-trip as JSON and reject non-integer arrays', () => {
    fc.assert(
      fc.property(fc.option(fc.array(fc.integer({ min: 1, max: 268_435_455 })), { nil: undefined }), (ids) => {
        expect(decodeSubscriptionIds(encodeSubscriptionIds(ids))).toEqual(ids);
      }),
    );
    expect(() => decodeSubscriptionIds('[1.5]')).toThrow(TypeError);
    expect(() => decodeSubscriptionIds('{"a":1}')).toThrow(TypeError);
    expect(() => decodeSubscriptionIds('nope')).toThrow(SyntaxError);
  });

  it('message columns round-trip and QoS outside 0..2 is rejected', () => {
    const m = {
      topic: 't',
      payload: Buffer.from('p'),
      qos: 2 as const,
      retain: true,
      receivedAt: 5,
      expiresAt: 9,
      properties: { contentType: 'c' },
    };
    const [topic, payload, msg_qos, retain, props, expires_at, received_at] = messageValues(m);
    expect(messageFromColumns({ topic, payload, msg_qos, retain, props, expires_at, received_at })).toEqual(m);
    expect(() => toQoS(3)).toThrow(TypeError);
  });
});
