/**
 * Back-pressure through the broker: a publisher faster than its subscriber is slowed to the subscriber's pace
 * (the broker stops reading it while the subscriber's socket is over mqtt.outbound_buffer) instead of the
 * broker dropping QoS 0 or buffering without bound. A subscriber that stops reading altogether is covered in
 * broker-robustness (drops counted, memory bounded).
 */
import mqttPacket from 'mqtt-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { connectBareSocket } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';

afterAll(() => stopAllHubs());

const N = 20_000;
const PAYLOAD = Buffer.alloc(1024, 0x61);
const PUBLISH = mqttPacket.generate({
  cmd: 'publish',
  topic: 'bp/t',
  payload: PAYLOAD,
  qos: 0,
  retain: false,
  dup: false,
});

describe('back-pressure from a slow subscriber to a fast publisher', () => {
  it('[MQTT-4.5.0] QoS 0: every message arrives, none dropped, although the subscriber reads slower than the publisher writes', async () => {
    const h = await startHub({ mqtt: { outbound_buffer: '64KB' } });
    const sub = await connectBareSocket(h.port, 'bp-sub');
    await new Promise<void>((resolve) => {
      sub.once('data', () => resolve()); // SUBACK
      sub.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bp/t', qos: 0 }] }));
    });
    let bytes = 0;
    const all = new Promise<void>((resolve) => {
      sub.on('data', (d: Buffer) => {
        bytes += d.length;
        if (bytes >= N * PUBLISH.length) resolve();
        // the peer's behaviour under test: a reader that takes a break after every chunk
        sub.pause();
        setTimeout(() => sub.resume(), 2);
      });
    });
    const pub = await connectBareSocket(h.port, 'bp-pub');
    const batch = Buffer.concat(Array.from({ length: 100 }, () => PUBLISH));
    let sent = 0;
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (sent < N) {
          sent += 100;
          if (!pub.write(batch)) return void pub.once('drain', pump);
        }
        resolve();
      };
      pump();
    });
    await all;
    expect(bytes).toBe(N * PUBLISH.length);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
    pub.destroy();
    sub.destroy();
  });
});
