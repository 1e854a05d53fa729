/**
 * Issue 4, restart safety: the hub process is killed with SIGKILL mid-drain and restarted from the same config
 * and store; every one of 10,000 messages arrives and duplicates stay within the in-flight window.
 */
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { freePort } from '../support/net.js';
import { startMosquitto } from '../support/mosquitto.js';
import { spawnConfig, spawnHub, stopAllHubs } from '../support/hub.js';
import { closeAllClients } from '../support/clients.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { arrivalReport, bridgeInput, publishMany, range, upstreamWithCollector } from './bridge-harness.js';

afterAll(async () => {
  closeAllClients();
  await stopAllHubs();
  removeTempDirs();
});

describeWithPeers(['mosquitto'], 'bridge across a hub SIGKILL', () => {
  it('kill -9 mid-drain and restart: all 10,000 arrive, duplicates at most the in-flight window', async () => {
    const N = 10_000;
    const WINDOW = 32;
    const port = await freePort();
    const dir = tempDir('protohub-mosq-');
    const { mosq: prep, collector } = await upstreamWithCollector('edge/edge1/#', { port, dir });
    collector.close();
    await prep.stop();

    const hub = await spawnHub(spawnConfig(bridgeInput([`mqtt://127.0.0.1:${port}`], { max_inflight: WINDOW })));
    const url = `mqtt://127.0.0.1:${hub.address('tcp').port}`;
    await publishMany(url, 0, N); // each PUBACK: durable in the hub's store (broker session or bridge cache)

    const mosq = await startMosquitto({ port, dir, persistence: true });
    await collector.reconnect(mosq.url);
    await collector.waitCount(2000);
    hub.kill('SIGKILL');
    await hub.waitExit();
    const atKill = collector.messages.length;

    const again = await spawnHub(hub.configFile);
    await collector.waitDistinct(N);
    const report = arrivalReport(
      collector.messages.map((m) => m.payload),
      range(0, N),
    );
    console.log(`SIGKILL after ${atKill} of ${N} arrived; duplicates after restart: ${report.duplicates}`);
    expect(atKill).toBeLessThan(N); // the kill really happened mid-drain
    expect(report.missing).toEqual([]);
    expect(report.duplicates).toBeLessThanOrEqual(WINDOW);
    await again.stop();
    await mosq.stop();
  });
});
