/**
 * Issue 4, connection variants: MQTT 3.1.1 upstream (mosquitto), a ws:// upstream (a second protohub with a
 * WebSocket listener — this mosquitto build has no websockets), QoS 0 without and with `cache.qos0`, and two
 * bridges running at once.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { freePort } from '../support/net.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { eventually, startHub, stopAllHubs } from '../support/hub.js';
import { closeAllClients, collect, connectV5, subscribe } from '../support/clients.js';
import { removeTempDirs } from '../support/tmp.js';
import type { HubConfigInput } from '../../src/config/schema.js';
import { bridgeInput, publishMany } from './bridge-harness.js';

const mosquittos: MosquittoInstance[] = [];
afterEach(async () => {
  closeAllClients();
  await stopAllHubs();
  await Promise.all(mosquittos.splice(0).map((m) => m.stop()));
});
afterAll(removeTempDirs);

type Status = { name: string; state: string; backlog: number };
const bridges = (hub: { status(): Record<string, unknown> }) =>
  (hub.status().components as { bridges: Status[] }).bridges;

describeWithPeers(['mosquitto'], 'bridge connection variants', () => {
  it('MQTT 3.1.1 (proto_ver v4): forwards go up and commands come down', async () => {
    const mosq = await startMosquitto();
    mosquittos.push(mosq);
    const cloud = await connectV5(mosq.url, { clientId: 'cloud-app' });
    await subscribe(cloud, 'edge/edge1/#');
    const { hub, url } = await startHub(bridgeInput([mosq.url], { proto_ver: 'v4' }));
    await eventually(() => bridges(hub)[0].state === 'connected', 'connected with v3.1.1');
    const up = collect(cloud, 1);
    await publishMany(url, 1, 1);
    const got = (await up)[0];
    expect([got.topic, got.payload.toString()]).toEqual(['edge/edge1/sensors/s/1', '1']);
    expect(got.packet.properties?.userProperties).toBeUndefined(); // no hop marker on v3.1.1

    const local = await connectV5(url, { clientId: 'plc' });
    await subscribe(local, 'cmd/#');
    const down = collect(local, 1);
    await eventually(async () => {
      await cloud.publishAsync('cloud/edge1/cmd/stop', 'now', { qos: 1 });
      return (await hub.metrics.value('protohub_bridge_received_total', { bridge: 'cloud' })) > 0;
    }, 'a command came down');
    expect((await down)[0].topic).toBe('cmd/stop');
  });

  it('ws:// upstream', async () => {
    const upstream = await startHub({
      listeners: { tcp: { default: { bind: '127.0.0.1:0' } }, ws: { default: { bind: '127.0.0.1:0', path: '/mqtt' } } },
    });
    const wsUrl = `ws://127.0.0.1:${upstream.hub.address('ws').port}/mqtt`;
    const cloud = await connectV5(upstream.url, { clientId: 'cloud-app' });
    await subscribe(cloud, 'edge/edge1/#');
    const { hub, url } = await startHub(bridgeInput([wsUrl]));
    await eventually(() => bridges(hub)[0].state === 'connected', 'connected over WebSocket');
    const up = collect(cloud, 3);
    await publishMany(url, 0, 3);
    expect((await up).map((m) => m.payload.toString())).toEqual(['0', '1', '2']);
  });

  it('QoS 0 while offline: dropped and counted by default, cached with cache.qos0 = true', async () => {
    const port = await freePort();
    const a = await startHub(
      bridgeInput([`mqtt://127.0.0.1:${port}`], { forwards: [{ local: 'sensors/#', remote: '{topic}' }] }),
    );
    const b = await startHub({
      ...bridgeInput([`mqtt://127.0.0.1:${port}`], {
        forwards: [{ local: 'sensors/#', remote: '{topic}' }],
        cache: { qos0: true },
      }),
    });
    for (const h of [a, b]) {
      const c = await connectV5(h.url);
      for (let i = 0; i < 5; i++) await c.publishAsync('sensors/q0', String(i), { qos: 0 });
      await c.publishAsync('sensors/q1', 'fence', { qos: 1 }); // QoS 1 after them: once it is cached, they were handled
    }
    await eventually(() => bridges(a.hub)[0].backlog === 1 && bridges(b.hub)[0].backlog === 6, 'QoS 1 fences cached');
    expect(
      await a.hub.metrics.value('protohub_bridge_dropped_total', { bridge: 'cloud', reason: 'qos0_offline' }),
    ).toBe(5);
    expect(await b.hub.metrics.value('protohub_bridge_dropped_total', { bridge: 'cloud' })).toBe(0);
  });

  it('an unreachable upstream: backoff with the next attempt time, the error and the state metric', async () => {
    const port = await freePort();
    const { hub } = await startHub(
      bridgeInput([`mqtt://127.0.0.1:${port}`], { reconnect: { initial: '5s', max: '5s' } }),
    );
    type Full = Status & { nextAttemptAt?: string; lastError?: string; server?: string };
    const st = () => (hub.status().components as { bridges: Full[] }).bridges[0];
    await eventually(() => st().state === 'backoff', 'in backoff');
    expect(st()).toMatchObject({
      server: `mqtt://127.0.0.1:${port}`,
      lastError: expect.stringContaining('ECONNREFUSED'),
    });
    expect(Date.parse(st().nextAttemptAt!)).toBeGreaterThan(Date.now());
    expect(await hub.metrics.value('protohub_bridge_state', { bridge: 'cloud' })).toBe(3);
  });

  it('two bridges run at once, each with its own routes and cache', async () => {
    const [m1, m2] = await Promise.all([startMosquitto(), startMosquitto()]);
    mosquittos.push(m1, m2);
    const input = bridgeInput([m1.url]) as { bridges: { mqtt: Record<string, unknown> } };
    input.bridges.mqtt.backup = {
      servers: [m2.url],
      clientid: 'protohub-edge1-backup',
      forwards: [{ local: 'sensors/#', remote: 'backup/{topic}', qos: 1 }],
      reconnect: { initial: '50ms' },
    };
    const [c1, c2] = await Promise.all([connectV5(m1.url), connectV5(m2.url)]);
    await subscribe(c1, '#');
    await subscribe(c2, '#');
    const { hub, url } = await startHub(input as HubConfigInput);
    await eventually(() => bridges(hub).every((b) => b.state === 'connected'), 'both connected');
    const got1 = collect(c1, 1, { filter: (m) => m.topic.startsWith('edge/') });
    const got2 = collect(c2, 1, { filter: (m) => m.topic.startsWith('backup/') });
    await publishMany(url, 5, 1);
    expect((await got1)[0].topic).toBe('edge/edge1/sensors/s/5');
    expect((await got2)[0].topic).toBe('backup/sensors/s/5');
    expect(
      bridges(hub)
        .map((b) => b.name)
        .sort(),
    ).toEqual(['backup', 'cloud']);
  });
});
