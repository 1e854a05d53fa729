/**
 * Offline queues paged from SQLite (docs/store.md "Offline queues"): a persistent session keeps at most
 * mqtt.mqueue_memory_window queued messages in memory, the rest stays in the store and is read back as the
 * head drains; the offline limit (max_offline_mqueue_len) is far above the online one. Asserted on the
 * in-memory window size, not on RSS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { envelope } from '../../src/envelope.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { tempDir, removeTempDirs } from '../support/tmp.js';
import type { Broker } from '../../src/broker/broker.js';
import type { Session } from '../../src/broker/session.js';
import { AckingSubscriber, closeFlowPeers } from './flow-peers.js';

afterEach(async () => {
  closeFlowPeers();
  await stopAllHubs();
  removeTempDirs();
});

const N = 50_000;
const WINDOW = 500;

function config(dir: string) {
  return {
    store: { type: 'sqlite' as const, dir },
    mqtt: { max_mqueue_len: 1000, max_offline_mqueue_len: 200_000, mqueue_memory_window: WINDOW },
  };
}

describe('offline queue paged from the SQLite store', () => {
  it(`${N} messages for an offline session: ${WINDOW} in memory, all delivered in order after a restart`, async () => {
    const dir = tempDir();
    let h = await startHub(config(dir));
    const first = await AckingSubscriber.connect(h.port, 'pg-sub', 'pg/t', { autoAck: true, clean: false });
    first.socket.destroy();
    const session = () => (h.hub.broker as Broker).sessions.get('pg-sub') as Session;
    await new Promise<void>((r) => {
      const poll = () => (session().sink ? setTimeout(poll, 10) : r());
      poll();
    });
    // far above the online limit (1,000): the offline limit applies, the store holds what memory does not
    const acks: Array<Promise<void>> = [];
    for (let i = 0; i < N; i++) acks.push(h.hub.broker.publish(envelope('pg/t', String(i), { qos: 1 })));
    await Promise.all(acks);
    expect(session().queueLength).toBe(N);
    expect(session().queueInMemory).toBe(WINDOW);
    expect(await h.hub.metrics.value('protohub_queued_messages')).toBe(N);

    // after a restart only the first page is read back
    await h.stop();
    h = await startHub(config(dir));
    expect(session().queueLength).toBe(N);
    expect(session().queueInMemory).toBeLessThanOrEqual(WINDOW);

    const sub = await AckingSubscriber.connect(h.port, 'pg-sub', 'pg/t', { autoAck: true, clean: false });
    const order: number[] = [];
    let peak = 0;
    await sub.until(
      () => {
        peak = Math.max(peak, session().queueInMemory);
        return sub.payloads.size >= N;
      },
      120_000,
      () => `${sub.payloads.size} of ${N}`,
    );
    for (const p of sub.payloads) order.push(Number(p));
    expect(order).toEqual(Array.from({ length: N }, (_, i) => i)); // [MQTT-4.6.0-6] in order, none missing
    expect(peak).toBeLessThanOrEqual(WINDOW);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total')).toBe(0);
  }, 240_000);

  it('the offline limit drops the oldest beyond max_offline_mqueue_len, paged rows included', async () => {
    const dir = tempDir();
    const h = await startHub({
      store: { type: 'sqlite', dir },
      mqtt: { max_mqueue_len: 10, max_offline_mqueue_len: 300, mqueue_memory_window: 50 },
    });
    const first = await AckingSubscriber.connect(h.port, 'pg-lim', 'pg/l', { autoAck: true, clean: false });
    first.socket.destroy();
    const session = () => (h.hub.broker as Broker).sessions.get('pg-lim') as Session;
    await new Promise<void>((r) => {
      const poll = () => (session().sink ? setTimeout(poll, 10) : r());
      poll();
    });
    for (let i = 0; i < 1000; i++) await h.hub.broker.publish(envelope('pg/l', String(i), { qos: 1 }));
    expect(session().queueLength).toBe(300);
    expect(session().queueInMemory).toBeLessThanOrEqual(50);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total', { reason: 'queue_full' })).toBe(700);
    const sub = await AckingSubscriber.connect(h.port, 'pg-lim', 'pg/l', { autoAck: true, clean: false });
    await sub.distinct(300, 60_000);
    expect([...sub.payloads].map(Number)).toEqual(Array.from({ length: 300 }, (_, i) => 700 + i));
  }, 120_000);
});
