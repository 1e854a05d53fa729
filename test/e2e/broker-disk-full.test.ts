/**
 * A publisher flood while the store is full. The disk is simulated by store.max_size (SQLite max_page_count
 * on the hub's own connection: writes beyond fail with SQLITE_FULL, as on a full disk), which works without
 * root or a mount. Nothing PUBACKed may be lost: every acknowledged message reaches the persistent subscriber
 * when it comes back; the hub keeps serving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { AckingSubscriber, BurstPublisher, closeFlowPeers } from './flow-peers.js';

afterEach(async () => {
  closeFlowPeers();
  await stopAllHubs();
  removeTempDirs();
});

describe('publisher flood while the disk is full', () => {
  it('acknowledged messages all reach the subscriber; the rest is never PUBACKed; the hub keeps serving', async () => {
    const h = await startHub({ store: { type: 'sqlite', dir: tempDir(), max_size: '256KB' } });
    const first = await AckingSubscriber.connect(h.port, 'df-sub', 'df/t', { autoAck: true, clean: false });
    first.socket.destroy();
    const broker = h.hub.broker as Broker;
    await new Promise<void>((r) => {
      const poll = () => (broker.sessions.get('df-sub')?.sink ? setTimeout(poll, 10) : r());
      poll();
    });
    const N = 5000; // ~1.2 MB of payload into a 256 KB database
    const pub = await BurstPublisher.connect(h.port, 'df-pub');
    const closed = new Promise<void>((r) => pub.socket.once('close', () => r()));
    pub.burst('df/t', 'f', N, 200);
    await closed; // the store refused a write: disconnected without PUBACK for what was not durable
    expect(pub.acked).toBeGreaterThan(0);
    expect(pub.acked).toBeLessThan(N);
    expect(
      await h.hub.metrics.value('protohub_connections_refused_total', {
        listener: 'tcp:default',
        reason: 'store_error',
      }),
    ).toBeGreaterThan(0);
    // the queue holds no more than the store could take
    expect(broker.sessions.get('df-sub')?.queueLength).toBeLessThan(N);

    const sub = await AckingSubscriber.connect(h.port, 'df-sub', 'df/t', { autoAck: true, clean: false });
    const wanted = [...pub.ackedIds].map((id) => `f:${id - 1}`);
    const pad = ':' + 'x'.repeat(200);
    await sub.until(
      () => wanted.every((w) => sub.payloads.has(w + pad)),
      60_000,
      () => `${wanted.filter((w) => sub.payloads.has(w + pad)).length} of ${wanted.length} acknowledged messages`,
    );
    // with the queue drained there is room again: a new publisher is acknowledged
    const again = await BurstPublisher.connect(h.port, 'df-pub-2');
    again.burst('df/t', 'g', 10);
    await again.acks(10, 30_000);
  }, 120_000);
});
