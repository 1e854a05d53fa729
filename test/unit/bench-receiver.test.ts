/**
 * The bench tool's frame walker and counting receiver against frames built by mqtt-packet (an independent
 * encoder), split at arbitrary chunk boundaries: counts, ack bytes and latency reads must not depend on where
 * TCP happened to cut the stream.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { FrameWalker } from '../../src/bench/frame-walker.js';
import { CountingReceiver } from '../../src/bench/receiver.js';
import { LatencyRecorder, percentile } from '../../src/bench/latency-recorder.js';
import { ackPacket, PACKET, publishTemplate, encodeVarint } from '../../src/bench/packets.js';
import { ProtocolError } from '../../src/errors.js';

interface Pub {
  qos: 0 | 1 | 2;
  id: number;
  topic: string;
  payload: Buffer;
}

const pubArb = fc.record({
  qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  id: fc.integer({ min: 1, max: 65535 }),
  topic: fc.stringMatching(/^[a-z0-9/]{1,40}$/),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

function encode(p: Pub, version: 4 | 5): Buffer {
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic: p.topic,
      payload: p.payload,
      qos: p.qos,
      dup: false,
      retain: false,
      messageId: p.qos > 0 ? p.id : undefined,
      protocolVersion: version,
      ...(version === 5 ? { properties: { userProperties: { k: 'v' } } } : {}),
    } as mqttPacket.IPublishPacket,
    { protocolVersion: version },
  );
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

function feed(version: 4 | 5, chunks: Buffer[], latency: LatencyRecorder | null = null) {
  const r = new CountingReceiver(version, latency);
  const w = new FrameWalker(r);
  const acks: Buffer[] = [];
  for (const c of chunks) {
    w.push(c);
    const a = r.takeAcks();
    if (a) acks.push(a);
  }
  return { r, w, acks: Buffer.concat(acks) };
}

describe('bench counting receiver', () => {
  it('counts every PUBLISH and acks QoS 1/2 with the right ids, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(pubArb, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom<4 | 5>(4, 5),
        (pubs, cuts, version) => {
          const stream = Buffer.concat(pubs.map((p) => encode(p, version)));
          const { r, w, acks } = feed(version, splitAt(stream, cuts));
          expect(r.publishes).toBe(pubs.length);
          expect(w.pendingBytes).toBe(0);
          const expected = pubs
            .filter((p) => p.qos > 0)
            .map((p) => ackPacket(p.qos === 1 ? PACKET.PUBACK : PACKET.PUBREC, p.id));
          expect(acks.equals(Buffer.concat(expected))).toBe(true);
        },
      ),
    );
  });

  it('answers PUBREL with PUBCOMP, PUBREC with PUBREL (flags 0b0010), and counts PUBACK/PUBCOMP as completed', () => {
    const stream = Buffer.concat([
      ackPacket(PACKET.PUBACK, 7),
      ackPacket(PACKET.PUBREC, 8),
      ackPacket(PACKET.PUBCOMP, 8),
      ackPacket(PACKET.PUBREL, 9),
    ]);
    const { r, acks } = feed(4, splitAt(stream, [1, 5, 9]));
    expect(r.completed).toBe(2);
    expect([...acks]).toEqual([0x62, 2, 0, 8, 0x70, 2, 0, 9]);
  });

  it('reads the float64 send time from the payload, past v5 properties', () => {
    for (const version of [4, 5] as const) {
      const payload = Buffer.alloc(16);
      payload.writeDoubleLE(performance.timeOrigin + performance.now() - 5); // sent 5 ms ago
      const t = publishTemplate('lat/1', payload, 1, version);
      const latency = new LatencyRecorder(10);
      feed(version, [t.bytes], latency);
      expect(latency.count).toBe(1);
      const [us] = latency.values();
      expect(us).toBeGreaterThanOrEqual(5000);
      expect(us).toBeLessThan(60_000_000);
    }
  });

  it('publishTemplate is what mqtt-packet decodes, with the id where idOffset says', () => {
    fc.assert(
      fc.property(pubArb, fc.constantFrom<4 | 5>(4, 5), (p, version) => {
        const t = publishTemplate(p.topic, p.payload, p.qos, version);
        if (p.qos > 0) t.bytes.writeUInt16BE(p.id, t.idOffset);
        const parser = mqttPacket.parser({ protocolVersion: version });
        const got: mqttPacket.Packet[] = [];
        parser.on('packet', (x) => got.push(x));
        parser.parse(t.bytes);
        expect(got).toHaveLength(1);
        const d = got[0] as mqttPacket.IPublishPacket;
        expect(d.topic).toBe(p.topic);
        expect(Buffer.from(d.payload as Buffer).equals(p.payload)).toBe(true);
        expect(d.qos).toBe(p.qos);
        if (p.qos > 0) expect(d.messageId).toBe(p.id);
        expect(t.bytes.subarray(t.payloadOffset).equals(p.payload)).toBe(true);
      }),
    );
  });

  it('rejects a Remaining Length of more than 4 bytes with PH_BENCH_FRAME_MALFORMED', () => {
    const w = new FrameWalker(new CountingReceiver(4));
    const err = (() => {
      try {
        w.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('PH_BENCH_FRAME_MALFORMED');
  });

  it('rejects frames above the size cap instead of buffering them', () => {
    const w = new FrameWalker(new CountingReceiver(4), 1000);
    expect(() => w.push(Buffer.concat([Buffer.from([0x30]), encodeVarint(5000)]))).toThrow(/exceeds 1000/);
  });

  it('percentile is nearest-rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });
});
