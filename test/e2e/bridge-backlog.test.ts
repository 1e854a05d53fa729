/**
 * Issue 4, durable cache: 10,000 QoS 1 messages published while the upstream is down all arrive once the
 * upstream starts, in order, none twice, drained through the in-flight window (the rate is logged, not gated).
 */
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { freePort } from '../support/net.js';
import { startMosquitto } from '../support/mosquitto.js';
import { eventually, startHub, stopAllHubs } from '../support/hub.js';
import { closeAllClients } from '../support/clients.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { arrivalReport, bridgeInput, publishMany, range, upstreamWithCollector } from './bridge-harness.js';

afterAll(async () => {
  closeAllClients();
  await stopAllHubs();
  removeTempDirs();
});

describeWithPeers(['mosquitto'], 'bridge backlog across an upstream outage', () => {
  it('10,000 messages queued while the upstream is down drain in order, once each', async () => {
    const N = 10_000;
    const port = await freePort();
    const mosqDir = tempDir('protohub-mosq-');
    // the collector's persistent session must exist upstream before the bridge ever connects
    const first = await upstreamWithCollector('edge/edge1/#', { port, dir: mosqDir });
    first.collector.close();
    await first.mosq.stop();

    const { hub, url } = await startHub(bridgeInput([`mqtt://127.0.0.1:${port}`]), {});
    await publishMany(url, 0, N);
    const status = () => (hub.status().components as { bridges: Array<{ backlog: number; state: string }> }).bridges[0];
    await eventually(() => status().backlog === N, `backlog of ${N} (now ${status().backlog})`, 30_000);
    expect(status().state).not.toBe('connected');

    const mosq = await startMosquitto({ port, dir: mosqDir, persistence: true });
    const started = Date.now();
    await eventually(() => status().backlog === 0, 'backlog drained', 60_000);
    const drainMs = Date.now() - started;
    await first.collector.reconnect(mosq.url);
    await first.collector.waitCount(N);
    const report = arrivalReport(
      first.collector.messages.map((m) => m.payload),
      range(0, N),
    );
    expect(report.missing).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.firstArrivalsInOrder).toBe(true);
    expect(first.collector.messages[0].topic).toBe('edge/edge1/sensors/s/0');
    expect(await hub.metrics.value('protohub_bridge_acked_total', { bridge: 'cloud' })).toBe(N);
    console.log(
      `bridge drain: ${N} msgs in ${drainMs} ms = ${Math.round(N / (drainMs / 1000))} msg/s (max_inflight 32)`,
    );
    await mosq.stop();
  });
});
