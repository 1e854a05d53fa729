/**
 * Flow control from QoS 1 subscribers back to publishers (docs/broker.md "Flow control"): a connected session
 * whose queue passes mqtt.queue_high_watermark stops the broker reading its publishers; one that acknowledges
 * nothing for mqtt.stall_timeout is stalled and only then its queue limit drops (counted, logged once).
 * Raw-socket MQTT 3.1.1 peers write whole bursts, so only the broker can slow them.
 */
import { pino } from 'pino';
import { firstValueFrom, filter, take } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { envelope } from '../../src/envelope.js';
import { connectTestDevice } from '../support/devices.js';
import { startHub, stopAllHubs, eventually } from '../support/hub.js';
import { AckingSubscriber, BurstPublisher, closeFlowPeers } from './flow-peers.js';

afterEach(async () => {
  closeFlowPeers();
  await stopAllHubs();
});

function captureLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe('QoS 1 back-pressure at default settings', () => {
  it('10 bursting publishers → one v3.1.1 subscriber acking at once: every PUBACKed message arrives, none dropped', async () => {
    const h = await startHub(); // default mqtt: max_inflight 32, max_mqueue_len 10,000
    const sub = await AckingSubscriber.connect(h.port, 'fc-sub', 'fc/+', { autoAck: true });
    const PER = 3000; // 30,000 in all: three times the default queue limit
    const pubs = await Promise.all(Array.from({ length: 10 }, (_, i) => BurstPublisher.connect(h.port, `fc-pub-${i}`)));
    pubs.forEach((p, i) => p.burst(`fc/${i}`, `p${i}`, PER));
    await Promise.all(pubs.map((p) => p.acks(PER, 120_000)));
    await sub.distinct(10 * PER, 120_000);
    expect(sub.payloads.size).toBe(10 * PER);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total', { reason: 'queue_full' })).toBe(0);
    expect(await h.hub.metrics.value('protohub_subscriber_stalls_total')).toBe(0);
  }, 180_000);

  it('a subscriber that disconnects mid-window releases the publishers; its persistent session gets everything', async () => {
    const h = await startHub({ mqtt: { queue_high_watermark: 100 } });
    // persistent session, acking nothing: the window fills, the queue passes the watermark, the publisher waits
    const sub = await AckingSubscriber.connect(h.port, 'fc-mid', 'fc/mid', { autoAck: false, clean: false });
    const pub = await BurstPublisher.connect(h.port, 'fc-mid-pub');
    const N = 2000;
    pub.burst('fc/mid', 'm', N);
    await sub.until(
      () => sub.received >= 32,
      30_000,
      () => `${sub.received} of the first window`,
    );
    sub.socket.destroy(); // gone mid-window, nothing acknowledged
    await pub.acks(N, 60_000); // offline: the session no longer holds the publisher back
    const back = await AckingSubscriber.connect(h.port, 'fc-mid', 'fc/mid', { autoAck: true, clean: false });
    await back.distinct(N, 60_000);
    expect(back.payloads.size).toBe(N);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
  }, 120_000);
});

describe('a subscriber that stops reading', () => {
  it('holds its publishers while its socket and queue are full; nothing dropped once it reads again', async () => {
    const h = await startHub({ mqtt: { outbound_buffer: '16KB', stall_timeout: '120s' } });
    const sub = await AckingSubscriber.connect(h.port, 'fc-deaf', 'fc/deaf', { autoAck: true });
    sub.socket.pause(); // stops reading: the kernel buffers fill, then the hub's socket buffer, then the queue
    const pub = await BurstPublisher.connect(h.port, 'fc-deaf-pub');
    const N = 20_000; // twice the default queue limit
    pub.burst('fc/deaf', 'r', N, 200);
    const session = () => (h.hub.broker as Broker).sessions.get('fc-deaf');
    await eventually(() => (session()?.queueLength ?? 0) > 1000, 'queue past the high watermark', 60_000);
    expect(session()?.queueLength).toBeLessThan(10_000); // held under the queue limit, not dropped
    expect(pub.acked).toBeLessThan(N);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
    sub.socket.resume();
    await pub.acks(N, 120_000);
    await sub.distinct(N, 120_000);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
    expect(await h.hub.metrics.value('protohub_subscriber_stalls_total')).toBe(0);
  }, 240_000);
});

describe('a subscriber that stops acknowledging', () => {
  it('holds its publishers until mqtt.stall_timeout, then is stalled once: its queue limit drops the overflow, counted', async () => {
    const { logger, lines } = captureLogger();
    const h = await startHub(
      { mqtt: { stall_timeout: '3s', queue_high_watermark: 100, max_mqueue_len: 500 } },
      { logger },
    );
    const sub = await AckingSubscriber.connect(h.port, 'fc-dead', 'fc/dead', { autoAck: false });
    const pub = await BurstPublisher.connect(h.port, 'fc-dead-pub');
    const N = 2000;
    pub.burst('fc/dead', 'd', N);
    await sub.until(
      () => sub.received >= 32,
      30_000,
      () => `${sub.received} of the first window`,
    );
    // while not stalled, nothing is dropped and the publisher is held (not all of its burst is acknowledged)
    const acked = pub.acked;
    const dropped = await h.hub.metrics.value('protohub_messages_dropped_total');
    if ((await h.hub.metrics.value('protohub_subscriber_stalls_total')) === 0) {
      expect(dropped).toBe(0);
      expect(acked).toBeLessThan(N);
    }
    // stalled: the publisher is released; the queue keeps its 500 newest, the rest is dropped and counted
    await pub.acks(N, 60_000);
    expect(await h.hub.metrics.value('protohub_subscriber_stalls_total')).toBe(1);
    expect(sub.received).toBe(32); // the window is still unacknowledged
    expect(await h.hub.metrics.value('protohub_messages_dropped_total', { reason: 'queue_full' })).toBe(N - 32 - 500);
    expect(lines.filter((l) => String(l.msg).startsWith('subscriber stalled'))).toHaveLength(1);
    // acknowledging again ends the episode: the queue drains
    sub.autoAck = true;
    sub.ackAll();
    await sub.until(
      () => sub.received >= 32 + 500,
      30_000,
      () => `${sub.received} of ${32 + 500}`,
    );
    expect(sub.payloads.has(`d:${N - 1}`)).toBe(true);
  }, 120_000);
});

describe('in-process sessions take part', () => {
  it('an in-process subscriber acknowledging slowly holds network publishers back instead of dropping', async () => {
    const h = await startHub({ mqtt: { queue_high_watermark: 50, max_mqueue_len: 200 } });
    const N = 3000;
    let n = 0;
    const got = firstValueFrom(
      h.hub.broker
        .session$({ clientId: '$hub/fc-slow', subscriptions: [{ filter: 'fc/in', qos: 1 }], receiveMaximum: 4 })
        .pipe(
          filter((d) => {
            setImmediate(() => d.ack()); // a consumer a turn behind
            return ++n >= N;
          }),
          take(1),
        ),
    );
    const pub = await BurstPublisher.connect(h.port, 'fc-in-pub');
    pub.burst('fc/in', 'i', N);
    await pub.acks(N, 120_000);
    await got;
    expect(n).toBe(N);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
  }, 180_000);

  it('an in-process publisher waits (its QoS 1 promise) while a subscriber queue is over the watermark', async () => {
    const h = await startHub({ mqtt: { queue_high_watermark: 20, max_mqueue_len: 100, stall_timeout: '60s' } });
    const sub = await AckingSubscriber.connect(h.port, 'fc-ip-sub', 'fc/ip', { autoAck: false });
    const publish = (i: number) => h.hub.broker.publish(envelope('fc/ip', `x:${i}`, { qos: 1 }));
    // 32 in flight + 21 queued: the 53rd passes the watermark and its promise waits
    for (let i = 0; i < 52; i++) await publish(i);
    let settled = false;
    const held = publish(52).then(() => (settled = true));
    await sub.until(
      () => sub.received >= 32,
      30_000,
      () => `${sub.received} of 32`,
    );
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    sub.autoAck = true;
    sub.ackAll(); // the queue drains under the low watermark: the publisher goes on
    await held;
    await sub.distinct(53, 30_000);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
    await eventually(async () => (await h.hub.metrics.value('protohub_queued_messages')) === 0, 'queue drained');
  }, 60_000);

  it('a device (MQTT-SN, CoAP) waits for its QoS 1 accept while a subscriber queue is over the watermark', async () => {
    const h = await startHub({ mqtt: { queue_high_watermark: 20, max_mqueue_len: 100, stall_timeout: '60s' } });
    const sub = await AckingSubscriber.connect(h.port, 'fc-dev-sub', 'fc/dev', { autoAck: false });
    const dev = await connectTestDevice(h.hub.broker, { clientId: 'fc-dev' });
    const publish = (i: number) =>
      dev.session.publish({ topic: 'fc/dev', payload: Buffer.from(`x:${i}`), qos: 1, retain: false });
    // 32 in flight + 21 queued: the 53rd passes the watermark and its accept (the device's PUBACK) waits
    for (let i = 0; i < 52; i++) await publish(i);
    let settled = false;
    const held = publish(52).then(() => (settled = true));
    await sub.until(
      () => sub.received >= 32,
      30_000,
      () => `${sub.received} of 32`,
    );
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    sub.autoAck = true;
    sub.ackAll(); // the queue drains under the low watermark: the device's accept comes
    await held;
    await sub.distinct(53, 30_000);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
  }, 60_000);
});
