/**
 * The broker's fast PUBLISH codec must agree byte for byte with mqtt-packet (the reference codec) and turn
 * truncated frames into 'malformed', never an exception.
 */
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { decodePublish, EMPTY_PROPERTIES, encodePublish } from '../../src/broker/publish-codec.js';

const publishArb = fc
  .record({
    topic: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((t) => !t.includes('\u0000')),
    payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    qos: fc.constantFrom(0, 1, 2),
    retain: fc.boolean(),
    dup: fc.boolean(),
    messageId: fc.integer({ min: 1, max: 65535 }),
    v5: fc.boolean(),
  })
  .map((p) => ({ ...p, dup: p.dup && p.qos > 0 })); // [MQTT-3.3.1-2] DUP only with QoS > 0

type Pub = typeof publishArb extends fc.Arbitrary<infer T> ? T : never;

function reference(p: Pub): Buffer {
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic: p.topic,
      payload: p.payload,
      qos: p.qos as 0 | 1 | 2,
      retain: p.retain,
      dup: p.dup,
      messageId: p.qos > 0 ? p.messageId : undefined,
    },
    { protocolVersion: p.v5 ? 5 : 4 },
  );
}

describe('fast PUBLISH codec', () => {
  it('[MQTT-3.3.1] encodes exactly what mqtt-packet encodes', () => {
    fc.assert(
      fc.property(publishArb, (p) => {
        const ours = encodePublish(
          p.topic,
          p.payload,
          p.qos,
          p.retain,
          p.dup,
          p.qos > 0 ? p.messageId : undefined,
          p.v5 ? EMPTY_PROPERTIES : undefined,
        );
        expect(ours.equals(reference(p))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes what mqtt-packet encodes', () => {
    fc.assert(
      fc.property(publishArb, (p) => {
        const d = decodePublish(reference(p), p.v5 ? 5 : 4);
        expect(d).not.toBe('malformed');
        expect(d).toMatchObject({
          topic: p.topic,
          qos: p.qos,
          retain: p.retain,
          dup: p.dup,
          messageId: p.qos > 0 ? p.messageId : undefined,
        });
        expect((d as mqttPacket.IPublishPacket).payload).toEqual(p.payload);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves v5 PUBLISH with properties to mqtt-packet', () => {
    const frame = mqttPacket.generate(
      {
        cmd: 'publish',
        topic: 't',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        dup: false,
        messageId: 3,
        properties: { contentType: 'text/plain' },
      },
      { protocolVersion: 5 },
    );
    expect(decodePublish(frame, 5)).toBeUndefined();
  });

  it('[MQTT-3.3.1-2] DUP on QoS 0 and [MQTT-1.5.4-1] ill-formed UTF-8 topics are malformed', () => {
    expect(decodePublish(Buffer.from([0x38, 0x06, 0x00, 0x01, 0x61, 0x78]), 4)).toBe('malformed');
    expect(decodePublish(Buffer.from([0x30, 0x06, 0x00, 0x01, 0xff, 0x78]), 4)).toBe('malformed');
  });

  it('[MQTT-3.3.1-4] QoS 3 and truncated frames are malformed, never a throw', () => {
    expect(decodePublish(Buffer.from([0x36, 0x03, 0x00, 0x01, 0x61]), 4)).toBe('malformed');
    fc.assert(
      fc.property(publishArb, fc.nat(), (p, cut) => {
        const full = reference(p);
        const truncated = full.subarray(0, 1 + (cut % full.length));
        // a short frame may still decode to a shorter payload; what matters is a typed answer, never a throw
        const r = decodePublish(truncated, p.v5 ? 5 : 4);
        expect(r === 'malformed' || r === undefined || (typeof r === 'object' && r.cmd === 'publish')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
