import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { propertyBlock } from '../../src/bridge/fast-publish.js';
import { encodePublish } from '../../src/broker/publish-codec.js';
import type { PublishProperties } from '../../src/envelope.js';

const topic = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((t) => !/[#+\u0000]/.test(t));
const properties: fc.Arbitrary<PublishProperties | undefined> = fc.option(
  fc.record(
    {
      userProperties: fc.option(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
        { nil: undefined },
      ),
      messageExpiryInterval: fc.option(fc.integer({ min: 1, max: 0xffffffff }), { nil: undefined }),
      contentType: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
      responseTopic: fc.option(fc.constant('reply/to'), { nil: undefined }),
      correlationData: fc.option(
        fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
        { nil: undefined },
      ),
      payloadFormatIndicator: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

describe('bridge drain PUBLISH encoding', () => {
  it('is byte-for-byte what mqtt-packet generates (v3.1.1 and v5 with properties)', () => {
    fc.assert(
      fc.property(
        topic,
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(1, 2),
        fc.boolean(),
        fc.integer({ min: 1, max: 65535 }),
        properties,
        fc.boolean(),
        (t, payload, qos, retain, id, props, v5) => {
          const p = props ? strip(props) : undefined;
          const packet = {
            cmd: 'publish',
            topic: t,
            payload: Buffer.from(payload),
            qos,
            retain,
            dup: false,
            messageId: id,
            ...(v5 && p ? { properties: p } : {}),
          } as mqttPacket.IPublishPacket;
          const expected = mqttPacket.generate(packet, { protocolVersion: v5 ? 5 : 4 });
          const block = v5 ? propertyBlock(p) : undefined;
          if (expected.length === 0) {
            expect(block).toBeUndefined(); // refused (e.g. empty userProperties): the client.publish() path
            return;
          }
          if (v5) expect(block).toBeDefined();
          expect(
            encodePublish(t, Buffer.from(payload), qos, retain, false, id, v5 ? block : undefined).equals(expected),
          ).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encodes a properties object once (cached by identity)', () => {
    const p: PublishProperties = { userProperties: { 'protohub-hop': 'edge1/cloud' } };
    expect(propertyBlock(p)).toBe(propertyBlock(p));
  });
});
