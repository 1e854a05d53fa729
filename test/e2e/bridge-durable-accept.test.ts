/**
 * Issue 14, the bridge's live path: with the SQLite cache, the cache row is the one durable copy of a forward
 * (the broker writes no session row for the bridge) and the publisher's PUBACK waits for the cache commit.
 * Proven with a SIGKILL right after the last PUBACK (upstream down the whole time), the store's write counter,
 * the overflow policy (a dropped forward is still acknowledged) and a reload that restarts the bridge mid-stream.
 */
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { HubConfigInput } from '../../src/config/schema.js';
import { Hub } from '../../src/hub.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { BridgeStatus } from '../../src/bridge/manager.js';
import { describeWithPeers } from '../support/peers.js';
import { freePort } from '../support/net.js';
import { startMosquitto } from '../support/mosquitto.js';
import { eventually, merge, spawnConfig, spawnHub, startHub, stopAllHubs } from '../support/hub.js';
import { closeAllClients } from '../support/clients.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { arrivalReport, bridgeInput, publishMany, range, upstreamWithCollector } from './bridge-harness.js';

const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
});
afterAll(async () => {
  closeAllClients();
  await stopAllHubs();
  removeTempDirs();
});

const backlog = (hub: Hub) => (hub.status().components as { bridges: BridgeStatus[] }).bridges[0]?.backlog ?? -1;

/** Mosquitto's persistence dir with the collector's session in it, mosquitto itself stopped (the upstream is down). */
async function upstreamDown(port: number) {
  const dir = tempDir('protohub-mosq-');
  const { mosq, collector } = await upstreamWithCollector('edge/edge1/#', { port, dir });
  collector.close();
  await mosq.stop();
  return {
    collector,
    up: async () => {
      const m = await startMosquitto({ port, dir, persistence: true });
      await collector.reconnect(m.url);
      return m;
    },
  };
}

describeWithPeers(['mosquitto'], 'bridge: the cache commit is the PUBACK point', () => {
  it('SIGKILL right after the last PUBACK, upstream down throughout: after a restart all N arrive, once each', async () => {
    const N = 3000;
    const port = await freePort();
    const upstream = await upstreamDown(port);
    const hub = await spawnHub(spawnConfig(bridgeInput([`mqtt://127.0.0.1:${port}`])));
    await publishMany(`mqtt://127.0.0.1:${hub.address('tcp').port}`, 0, N); // every PUBACK received
    hub.kill('SIGKILL');
    await hub.waitExit();

    const again = await spawnHub(hub.configFile);
    const mosq = await upstream.up();
    await upstream.collector.waitDistinct(N);
    const report = arrivalReport(
      upstream.collector.messages.map((m) => m.payload),
      range(0, N),
    );
    expect(report.missing).toEqual([]);
    expect(report.duplicates).toBe(0); // nothing was in flight upstream when it died
    await again.stop();
    await mosq.stop();
  });

  it('a forward costs the broker store no writes: 1,000 PUBACKed messages, all in the bridge cache', async () => {
    const port = await freePort(); // nothing listens
    const { hub, url } = await startHub(
      merge(bridgeInput([`mqtt://127.0.0.1:${port}`]), { store: { type: 'sqlite', dir: tempDir('protohub-store-') } }),
    );
    const writes = () => hub.metrics.value('protohub_store_writes_total');
    const before = await writes();
    await publishMany(url, 0, 1000);
    expect(backlog(hub)).toBe(1000); // PUBACKed means cached
    // before issue 14: three per message (session row inserted, marked in flight, deleted) besides the cache's
    expect((await writes()) - before).toBeLessThan(20);
  });

  it.each(['drop_oldest', 'drop_new'])(
    '%s on the SQLite cache: every message is PUBACKed, the overflow counted',
    async (overflow) => {
      const port = await freePort();
      const { hub, url } = await startHub(
        merge(bridgeInput([`mqtt://127.0.0.1:${port}`], { cache: { max_messages: 100, overflow } }), {
          store: { type: 'sqlite', dir: tempDir('protohub-store-') },
        }),
      );
      await publishMany(url, 0, 1000); // resolves only if no dropped message holds its PUBACK back
      expect(await hub.metrics.value('protohub_bridge_dropped_total', { bridge: 'cloud', reason: 'overflow' })).toBe(
        900,
      );
      expect(backlog(hub)).toBe(100);
    },
  );

  it('upgrade: forwards an older version left in the broker session rows reach the upstream first, then the rows are gone', async () => {
    const port = await freePort();
    const upstream = await upstreamDown(port);
    const dir = tempDir('protohub-store-');
    // what a hub before issue 14 leaves behind: the bridge's persistent session with queued rows, one in flight
    const old = new SqliteStore({ dir, synchronous: 'normal' });
    old.open();
    const clientId = '$hub/bridge/cloud';
    old.saveSession({
      clientId,
      protocolVersion: 5,
      expiryInterval: 0xffffffff,
      subscriptions: [{ filter: 'sensors/#', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 0 }],
    });
    for (let i = 0; i < 50; i++) {
      const seq = old.enqueue(
        clientId,
        {
          topic: `sensors/s/${i % 10}`,
          payload: Buffer.from(String(i)),
          qos: 1,
          retain: false,
          receivedAt: Date.now(),
        },
        1,
      );
      if (i === 0) old.markInflight(clientId, seq, 1, 'publish');
    }
    old.close();

    const { hub, url } = await startHub(
      merge(bridgeInput([`mqtt://127.0.0.1:${port}`]), { store: { type: 'sqlite', dir } }),
    );
    await eventually(() => backlog(hub) === 50, 'the old rows moved into the cache');
    await publishMany(url, 50, 50); // live traffic after them
    const mosq = await upstream.up();
    await upstream.collector.waitDistinct(100);
    const arrived = upstream.collector.messages.map((m) => Number(m.payload));
    expect(arrived.slice(0, 50)).toEqual(range(0, 50)); // the old ones first, in order
    expect(arrivalReport(arrived.map(String), range(0, 100)).missing).toEqual([]);
    await hub.stop();
    const after = new SqliteStore({ dir, synchronous: 'normal' });
    after.open();
    expect(after.countMessages(clientId)).toBe(0);
    after.close();
    await mosq.stop();
  });

  it('a reload that restarts the bridge mid-stream loses nothing PUBACKed', async () => {
    const N = 2000;
    const port = await freePort();
    const upstream = await upstreamDown(port);
    const dir = tempDir('protohub-store-');
    let keepalive = '60s';
    const load = () => {
      const input = merge(bridgeInput([`mqtt://127.0.0.1:${port}`], { keepalive }), {
        listeners: { tcp: { default: { bind: '127.0.0.1:0' } } },
        store: { type: 'sqlite', dir },
        http: { enable: false },
      }) as HubConfigInput;
      const { config, sources } = parseConfigText(JSON.stringify(input), join(dir, 'main.conf'));
      return { config, resolveFile: (p: readonly (string | number)[], n: string) => sources.resolveFile(p, n) };
    };
    const hub = new Hub(load().config, { loadConfig: load, reloadMinIntervalMs: 0 });
    hubs.push(hub);
    await hub.start();
    const url = `mqtt://127.0.0.1:${hub.address('tcp').port}`;
    const publishing = publishMany(url, 0, N);
    await eventually(() => backlog(hub) >= N / 4, 'a quarter cached');
    keepalive = '30s';
    const r = await hub.reload();
    expect(r.changes).toEqual([{ component: 'bridge', id: 'cloud', action: 'restarted', ok: true }]);
    await publishing;
    await eventually(() => backlog(hub) === N, `all ${N} cached (backlog ${backlog(hub)})`);

    const mosq = await upstream.up();
    await upstream.collector.waitDistinct(N);
    expect(
      arrivalReport(
        upstream.collector.messages.map((m) => m.payload),
        range(0, N),
      ).missing,
    ).toEqual([]);
    await mosq.stop();
  });
});
