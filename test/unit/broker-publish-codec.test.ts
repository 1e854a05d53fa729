/**
 * The broker's fast PUBLISH codec must agree byte for byte with mqtt-packet (the reference codec) and turn
 * truncated frames into 'malformed', never an exception.
 */
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  decodePublish,
  EMPTY_PROPERTIES,
  encodePublish,
  type InboundPublish,
  type TopicMemo,
} from '../../src/broker/publish-codec.js';

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

  it('keeps the frame as the outbound encoding when it is exactly ours (DUP 0), the payload a view into it', () => {
    fc.assert(
      fc.property(publishArb, (p) => {
        const frame = reference(p);
        const d = decodePublish(frame, p.v5 ? 5 : 4) as InboundPublish;
        if (p.dup) {
          expect(d.wire).toBeUndefined();
          return;
        }
        expect(d.wire?.equals(frame)).toBe(true);
        expect(d.wire?.buffer).toBe((d.payload as Buffer).buffer); // one copy, not two
        expect(d.wire).not.toBe(frame); // a copy: the socket chunk is not pinned
        frame.fill(0); // the socket's buffer is reused: the message keeps its bytes
        expect(d.payload).toEqual(p.payload);
      }),
      { numRuns: 300 },
    );
  });

  it('a longer-than-needed Remaining Length is accepted but not reused as our encoding', () => {
    // remaining length 6 encoded in two bytes (0x86 0x00): legal to read, not what encodePublish writes
    const d = decodePublish(Buffer.from([0x30, 0x86, 0x00, 0x00, 0x01, 0x61, 0x78, 0x79, 0x7a]), 4) as InboundPublish;
    expect(d).toMatchObject({ topic: 'a', payload: Buffer.from('xyz') });
    expect(d.wire).toBeUndefined();
  });

  it('a topic memo changes nothing: the same results as decoding without it, over any sequence of frames', () => {
    const long = 'x'.repeat(70);
    const topicArb = fc.constantFrom('a/b', 'a/c', 'ä/b', 'a/bb', '\u{1F600}', `${long}/a`, `${long}/b`);
    const frameArb = fc.oneof(
      {
        weight: 9,
        arbitrary: publishArb.chain((p) =>
          topicArb.map((topic) => ({ frame: reference({ ...p, topic }), v: p.v5 ? 5 : 4 })),
        ),
      },
      // ill-formed UTF-8 with the same length as a memoised topic ([MQTT-1.5.4-1])
      {
        weight: 1,
        arbitrary: fc.constant({ frame: Buffer.from([0x30, 0x07, 0x00, 0x03, 0x61, 0x2f, 0xff, 0x78, 0x79]), v: 4 }),
      },
    );
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 30 }), (frames) => {
        const memo: TopicMemo = { bytes: undefined, topic: '' };
        for (const { frame, v } of frames) expect(decodePublish(frame, v, memo)).toEqual(decodePublish(frame, v));
      }),
      { numRuns: 300 },
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
