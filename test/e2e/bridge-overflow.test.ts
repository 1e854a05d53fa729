/**
 * Issue 4, overflow: with cache.max_messages = 1000, 5,000 messages during an outage leave the newest
 * (drop_oldest) or oldest (drop_new) 1,000, the drop counter says 4,000, and exactly those 1,000 arrive.
 */
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { freePort } from '../support/net.js';
import { startMosquitto } from '../support/mosquitto.js';
import { eventually, startHub, stopAllHubs } from '../support/hub.js';
import { closeAllClients } from '../support/clients.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { bridgeInput, publishMany, range, upstreamWithCollector } from './bridge-harness.js';

afterAll(async () => {
  closeAllClients();
  await stopAllHubs();
  removeTempDirs();
});

describeWithPeers(['mosquitto'], 'bridge cache overflow', () => {
  it.each([
    ['drop_oldest', range(4000, 1000)],
    ['drop_new', range(0, 1000)],
  ])('%s: 5,000 into a 1,000-message cache drops 4,000 and delivers the rest in order', async (overflow, expected) => {
    const port = await freePort();
    const dir = tempDir('protohub-mosq-');
    const prep = await upstreamWithCollector('edge/edge1/#', { port, dir });
    prep.collector.close();
    await prep.mosq.stop();

    const { hub, url } = await startHub(
      bridgeInput([`mqtt://127.0.0.1:${port}`], { cache: { max_messages: 1000, overflow } }),
      {},
    );
    await publishMany(url, 0, 5000);
    const dropped = () => hub.metrics.value('protohub_bridge_dropped_total', { bridge: 'cloud', reason: 'overflow' });
    await eventually(async () => (await dropped()) >= 4000, 'overflow drops counted', 30_000);
    expect(await dropped()).toBe(4000);
    expect((hub.status().components as { bridges: Array<{ backlog: number }> }).bridges[0].backlog).toBe(1000);

    const mosq = await startMosquitto({ port, dir, persistence: true });
    await prep.collector.reconnect(mosq.url);
    await prep.collector.waitCount(1000);
    await eventually(
      async () => (await hub.metrics.value('protohub_bridge_acked_total', { bridge: 'cloud' })) === 1000,
      'all 1000 acknowledged',
    );
    expect(prep.collector.messages.map((m) => Number(m.payload))).toEqual(expected);
    await mosq.stop();
  });
});
