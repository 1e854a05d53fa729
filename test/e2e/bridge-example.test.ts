/**
 * config/examples/bridge.conf as shipped, with only ports and the store directory moved (tests never take
 * fixed ports): sensors go up under edge/edge1/, commands come down as cmd/..., status is visible on both sides.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.js';
import { Hub } from '../../src/hub.js';
import { describeWithPeers } from '../support/peers.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { eventually } from '../support/hub.js';
import { closeAllClients, collect, connectV5, subscribe } from '../support/clients.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { TcpProxy } from './bridge-proxy.js';

const mosquittos: MosquittoInstance[] = [];
const hubs: Hub[] = [];
afterEach(async () => {
  closeAllClients();
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
  await Promise.all(mosquittos.splice(0).map((m) => m.stop()));
});
afterAll(removeTempDirs);

type Status = { state: string; server?: string };

async function exampleHub(servers: string[]): Promise<Hub> {
  const { config } = loadConfig(fileURLToPath(new URL('../../config/examples/bridge.conf', import.meta.url)), {
    env: {},
    overrides: {
      'listeners.tcp.default.bind': '127.0.0.1:0',
      'http.enable': false,
      'store.dir': tempDir('protohub-store-'),
      'bridges.mqtt.cloud.servers': servers,
      'bridges.mqtt.cloud.reconnect.initial': '50ms',
    },
  });
  const hub = new Hub(config);
  hubs.push(hub);
  await hub.start();
  return hub;
}

describeWithPeers(['mosquitto'], 'config/examples/bridge.conf', () => {
  it('forwards sensors/# to edge/edge1/{topic} and brings cloud/edge1/cmd/# down as cmd/...', async () => {
    const [a, b] = await Promise.all([startMosquitto(), startMosquitto()]);
    mosquittos.push(a, b);
    const cloud = await connectV5(a.url, { clientId: 'cloud-app' });
    await subscribe(cloud, 'edge/edge1/#');
    const hub = await exampleHub([a.url, b.url]);
    const status = () => (hub.status().components as { bridges: Status[] }).bridges[0];
    await eventually(() => status().state === 'connected', 'bridge connected');
    const local = await connectV5(`mqtt://127.0.0.1:${hub.address('tcp').port}`, { clientId: 'plc' });
    await subscribe(local, 'cmd/#');

    const up = collect(cloud, 1, { filter: (m) => m.topic.startsWith('edge/edge1/sensors/') });
    await local.publishAsync('sensors/line1/temp', '21.5', { qos: 1 });
    expect((await up).map((m) => [m.topic, m.payload.toString(), m.packet.qos])).toEqual([
      ['edge/edge1/sensors/line1/temp', '21.5', 1],
    ]);

    const down = collect(local, 1);
    await eventually(async () => {
      await cloud.publishAsync('cloud/edge1/cmd/valve/7', 'open', { qos: 1 });
      return (await hub.metrics.value('protohub_bridge_received_total', { bridge: 'cloud' })) > 0;
    }, 'a command came down');
    expect((await down).map((m) => [m.topic, m.payload.toString()])[0]).toEqual(['cmd/valve/7', 'open']);
  });

  it('publishes status: retained online upstream, a will saying offline when the hub vanishes, $hub/bridges/cloud/status locally', async () => {
    const a = await startMosquitto();
    mosquittos.push(a);
    const proxy = await TcpProxy.start(a.port);
    const hub = await exampleHub([`mqtt://127.0.0.1:${proxy.port}`]);
    const status = () => (hub.status().components as { bridges: Status[] }).bridges[0];
    await eventually(() => status().state === 'connected', 'bridge connected');
    expect(await hub.metrics.value('protohub_bridge_state', { bridge: 'cloud' })).toBe(2);

    const observer = await connectV5(a.url, { clientId: 'observer' });
    const online = collect(observer, 1);
    await subscribe(observer, 'edge/edge1/status');
    const first = (await online)[0];
    expect(first.packet.retain).toBe(true);
    expect(JSON.parse(first.payload.toString())).toEqual({ node: 'edge1', bridge: 'cloud', online: true });

    const local = await connectV5(`mqtt://127.0.0.1:${hub.address('tcp').port}`, { clientId: 'ops' });
    const hubStatus = collect(local, 1);
    await subscribe(local, '$hub/bridges/cloud/status');
    expect(JSON.parse((await hubStatus)[0].payload.toString())).toMatchObject({
      name: 'cloud',
      state: 'connected',
      backlog: 0,
    });

    const offline = collect(observer, 1);
    await proxy.kill(); // the link drops without DISCONNECT: mosquitto publishes our will
    expect(JSON.parse((await offline)[0].payload.toString())).toEqual({
      node: 'edge1',
      bridge: 'cloud',
      online: false,
    });
    await eventually(() => status().state !== 'connected', 'bridge noticed');
  });
});
