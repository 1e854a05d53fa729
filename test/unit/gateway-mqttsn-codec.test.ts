import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, tryDecode } from '../../gateways/mqttsn/codec.js';
import { MqttSnFrameError } from '../../gateways/mqttsn/errors.js';
import { MsgType, shortName, shortTopicId, type Flags, type Frame } from '../../gateways/mqttsn/frames.js';

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const rc = fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const);
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const bytes = (max = 64) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const flagsArb: fc.Arbitrary<Flags> = fc.record({
  dup: fc.boolean(),
  qos: fc.constantFrom(-1 as const, 0 as const, 1 as const, 2 as const),
  retain: fc.boolean(),
  will: fc.boolean(),
  cleanSession: fc.boolean(),
  topicIdType: fc.constantFrom(0 as const, 1 as const, 2 as const),
});

const plain: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant('ADVERTISE' as const), gwId: u8, duration: u16 }),
  fc.record({ type: fc.constant('SEARCHGW' as const), radius: u8 }),
  fc.record({ type: fc.constant('GWINFO' as const), gwId: u8 }),
  fc.record({ type: fc.constant('GWINFO' as const), gwId: u8, gwAdd: bytes(16).filter((b) => b.length > 0) }),
  fc.record({ type: fc.constant('CONNECT' as const), flags: flagsArb, protocolId: u8, duration: u16, clientId: text }),
  fc.record({
    type: fc.constantFrom('CONNACK' as const, 'WILLTOPICRESP' as const, 'WILLMSGRESP' as const),
    returnCode: rc,
  }),
  fc.record({
    type: fc.constantFrom('WILLTOPICREQ' as const, 'WILLMSGREQ' as const, 'PINGRESP' as const, 'PINGREQ' as const),
  }),
  fc.record({ type: fc.constantFrom('WILLTOPIC' as const, 'WILLTOPICUPD' as const) }),
  fc.record({ type: fc.constantFrom('WILLTOPIC' as const, 'WILLTOPICUPD' as const), flags: flagsArb, topic: text }),
  fc.record({ type: fc.constantFrom('WILLMSG' as const, 'WILLMSGUPD' as const), message: bytes() }),
  fc.record({ type: fc.constant('REGISTER' as const), topicId: u16, msgId: u16, topic: text }),
  fc.record({ type: fc.constantFrom('REGACK' as const, 'PUBACK' as const), topicId: u16, msgId: u16, returnCode: rc }),
  fc.record({ type: fc.constant('PUBLISH' as const), flags: flagsArb, topicId: u16, msgId: u16, data: bytes(600) }),
  fc.record({
    type: fc.constantFrom('PUBREC' as const, 'PUBREL' as const, 'PUBCOMP' as const, 'UNSUBACK' as const),
    msgId: u16,
  }),
  fc
    .record({
      type: fc.constantFrom('SUBSCRIBE' as const, 'UNSUBSCRIBE' as const),
      flags: flagsArb,
      msgId: u16,
      topic: text,
      topicId: u16,
    })
    .map(({ topic, topicId, ...f }) => (f.flags.topicIdType === 0 ? { ...f, topic } : { ...f, topicId })),
  fc.record({ type: fc.constant('SUBACK' as const), flags: flagsArb, topicId: u16, msgId: u16, returnCode: rc }),
  fc.record({ type: fc.constant('PINGREQ' as const), clientId: text.filter((s) => s.length > 0) }),
  fc.record({ type: fc.constant('DISCONNECT' as const) }),
  fc.record({ type: fc.constant('DISCONNECT' as const), duration: u16 }),
);
const anyFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: plain },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('ENCAPSULATED' as const),
      radius: fc.integer({ min: 0, max: 3 }),
      nodeId: bytes(8),
      inner: plain,
    }),
  },
);

describe('MQTT-SN codec', () => {
  it('round-trips every message type, in both length forms', () => {
    fc.assert(
      fc.property(anyFrame, (f) => {
        expect(decode(encode(f))).toEqual(f);
      }),
      { numRuns: 3000 },
    );
  });

  it('uses the 3-octet length form above 255 octets (MQTT-SN 1.2 §5.2.1)', () => {
    const small = encode({ type: 'WILLMSG', message: Buffer.alloc(253) });
    expect(small[0]).toBe(255);
    const big = encode({ type: 'WILLMSG', message: Buffer.alloc(254) });
    expect([big[0], big.readUInt16BE(1), big[3]]).toEqual([0x01, 258, MsgType.WILLMSG]);
    // a 3-octet length form is accepted for a small message too
    expect(decode(Buffer.from([0x01, 0x00, 0x04, MsgType.PINGRESP]))).toEqual({ type: 'PINGRESP' });
  });

  it('encodes the spec example bytes of a QoS 1 PUBLISH with a short topic name', () => {
    const f: Frame = {
      type: 'PUBLISH',
      flags: { dup: false, qos: 1, retain: true, will: false, cleanSession: false, topicIdType: 2 },
      topicId: shortTopicId('ab')!,
      msgId: 7,
      data: Buffer.from('hi'),
    };
    expect([...encode(f)]).toEqual([9, 0x0c, 0b0011_0010, 0x61, 0x62, 0, 7, 0x68, 0x69]);
    expect(shortName(shortTopicId('ab')!)).toBe('ab');
  });

  it('QoS -1 is flags 0b11 in bits 6-5 (MQTT-SN 1.2 §5.3.4)', () => {
    const f = encode({
      type: 'PUBLISH',
      flags: { dup: false, qos: -1, retain: false, will: false, cleanSession: false, topicIdType: 1 },
      topicId: 1,
      msgId: 0,
      data: Buffer.alloc(0),
    });
    expect(f[2]).toBe(0b0110_0001);
  });

  it('arbitrary bytes decode to a frame or a typed MqttSnFrameError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
        try {
          const frame = decode(a);
          expect(typeof frame.type).toBe('string');
        } catch (e) {
          expect(e).toBeInstanceOf(MqttSnFrameError);
          expect((e as MqttSnFrameError).code).toBe('PH_MQTTSN_FRAME');
          expect((e as MqttSnFrameError).reason).toMatch(/^[a-z][a-z0-9_]*$/);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('a wrong length field or a truncated datagram is a typed error', () => {
    fc.assert(
      fc.property(
        plain.filter((f) => encode(f).length > 2 && encode(f).length <= 255),
        fc.integer({ min: 1, max: 250 }),
        (f, cut) => {
          const b = encode(f);
          const truncated = b.subarray(0, Math.max(1, b.length - cut));
          const r = tryDecode(truncated);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(['truncated', 'length_mismatch']).toContain(r.error.reason);
          const longer = Buffer.from(b);
          longer[0] = b.length - 1 < 2 ? 2 : b.length - 1;
          const r2 = tryDecode(longer);
          expect(r2.ok).toBe(false);
        },
      ),
    );
  });

  it('names each kind of garbage', () => {
    const reason = (b: number[]) => {
      const r = tryDecode(Buffer.from(b));
      return r.ok ? 'ok' : r.error.reason;
    };
    expect(reason([])).toBe('empty');
    expect(reason([3, 0x03, 0])).toBe('unknown_type');
    expect(reason([3, 0x05, 9])).toBe('bad_return_code');
    expect(reason([7, 0x0c, 0x03, 0, 1, 0, 1])).toBe('bad_flags');
    expect(reason([6, 0x04, 0x04, 1, 0, 10])).toBe('ok');
    expect(reason([7, 0x04, 0x04, 1, 0, 10, 0xff])).toBe('invalid_utf8');
    expect(reason([3, 0x17, 0])).toBe('bad_field_length');
    expect(reason([3, 0xfe, 0, 3, 0xfe, 0, 2, 0x17])).toBe('nested_encapsulation');
    expect(reason([9, 0x0c])).toBe('truncated');
  });
});

describe('the example session of docs/gateways/mqttsn.md', () => {
  it('every frame in it is what the codec writes', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/gateways/mqttsn.md', import.meta.url), 'utf8');
    const lines = [...doc.matchAll(/^(?:client → gw|gw → client) {2}((?:[0-9a-f]{2} )+[0-9a-f]{2})/gm)].map(
      (m) => m[1]!,
    );
    expect(lines.length).toBeGreaterThan(10);
    for (const hex of lines) {
      const bytes = Buffer.from(hex.replace(/ /g, ''), 'hex');
      // lines may be cut with "..." in the doc; full ones must round-trip byte for byte
      if (bytes.length === bytes[0]) expect(encode(decode(bytes))).toEqual(bytes);
      else expect(bytes.length).toBeLessThan(bytes[0]!);
    }
  });
});
