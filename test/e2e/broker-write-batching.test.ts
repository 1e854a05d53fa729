/**
 * Write batching (src/broker/write-batching.ts): packets to a client are collected per event-loop iteration and
 * leave as one buffer (copied together up to 64 KB, larger batches in chunks, a big packet on its own). What
 * must hold whatever the batching: every byte arrives, each publisher's messages in order ([MQTT-4.6.0-6] for
 * one topic), packets never interleaved or cut, with payloads of every size from 0 bytes to past the chunk size.
 */
import mqttPacket from 'mqtt-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { connectBareSocket } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';

afterAll(() => stopAllHubs());

const PUBLISHERS = 3;
const PER_PUBLISHER = 150;

/** Payload sizes cycling through empty, small, around the 64 KB chunk size and well past it. */
function sizeOf(seq: number): number {
  const sizes = [0, 1, 16, 300, 4_000, 65_530, 65_536, 70_000, 16, 200_000, 5];
  return sizes[seq % sizes.length];
}

/** Deterministic content: publisher, sequence number, then a byte pattern that depends on both. */
function payloadOf(pub: number, seq: number): Buffer {
  const size = sizeOf(seq);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (pub * 31 + seq * 7 + i) & 0xff;
  if (size >= 8) {
    b.writeUInt32BE(pub, 0);
    b.writeUInt32BE(seq, 4);
  }
  return b;
}

describe('write batching', () => {
  it('bursts from several publishers reach one subscriber whole and in order, payloads of 0 B to 200 KB', async () => {
    // room for the whole burst: this test is about batching, not back-pressure (broker-backpressure.test.ts)
    const h = await startHub({ mqtt: { outbound_buffer: '64MB' } });
    const sub = await connectBareSocket(h.port, 'wb-sub');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const received: mqttPacket.IPublishPacket[] = [];
    const total = PUBLISHERS * PER_PUBLISHER;
    let subacked!: () => void;
    const suback = new Promise<void>((r) => (subacked = r));
    let allArrived!: () => void;
    const all = new Promise<void>((r) => (allArrived = r));
    const errors: Error[] = [];
    parser.on('error', (e) => errors.push(e));
    parser.on('packet', (p: mqttPacket.Packet) => {
      if (p.cmd === 'suback') subacked();
      if (p.cmd !== 'publish') return;
      received.push(p);
      if (received.length === total) allArrived();
    });
    sub.on('data', (d: Buffer) => parser.parse(d));
    sub.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'wb/+', qos: 0 }] }));
    await suback;

    const pubs = await Promise.all(
      Array.from({ length: PUBLISHERS }, (_, i) => connectBareSocket(h.port, `wb-pub-${i}`)),
    );
    // each publisher's whole burst in one write, all three at once: the hub reads them in the same poll phases
    const bursts = pubs.map((_, pub) =>
      Buffer.concat(
        Array.from({ length: PER_PUBLISHER }, (_, seq) =>
          mqttPacket.generate({
            cmd: 'publish',
            topic: `wb/${pub}`,
            payload: payloadOf(pub, seq),
            qos: 0,
            retain: false,
            dup: false,
          }),
        ),
      ),
    );
    pubs.forEach((s, i) => s.write(bursts[i]));
    // bounded, so a lost or cut packet fails with the counts instead of the test timeout
    await Promise.race([all, new Promise((r) => setTimeout(r, 40_000))]);
    expect(received.length).toBe(total);

    expect(errors).toEqual([]);
    const next = new Array<number>(PUBLISHERS).fill(0);
    for (const p of received) {
      const pub = Number(p.topic.split('/')[1]);
      const seq = next[pub]++;
      expect(Buffer.compare(p.payload as Buffer, payloadOf(pub, seq)), `publisher ${pub} message ${seq}`).toBe(0);
    }
    expect(next).toEqual(new Array<number>(PUBLISHERS).fill(PER_PUBLISHER));
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
    for (const s of [sub, ...pubs]) s.destroy();
  });
});
