/**
 * The whole hub started from a config that configures a ZeroMQ and an NNG gateway — in-process (`Hub`) and as a
 * child `protohub start` — carrying messages both ways with real peers: python3-zmq PUSH/PULL and nanocat
 * PUSH/PULL. Also checks the retained `$hub/gateways/<id>/status` follows the instance's health (a ZeroMQ peer
 * connecting raises `peers` without any state change).
 */
import { afterEach, expect, it } from 'vitest';
import type { HubConfigInput } from '../../src/config/schema.js';
import { closeAllClients, collect, connectV5, eventually, subscribe, type MqttClient } from '../support/clients.js';
import { spawnConfig, spawnHub, startHub } from '../support/hub.js';
import { freePort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { nanocat, type LinePeer } from '../component/nng-peer-helper.js';
import { PyZmqPeer } from '../component/zeromq-peer-helper.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  closeAllClients();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gatewaysConfig() {
  const [zUp, zDown, nUp, nDown] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const tcp = (p: number) => `tcp://127.0.0.1:${p}`;
  const input: HubConfigInput = {
    gateways: {
      zeromq: {
        z: { sockets: { up: { type: 'pull', bind: [tcp(zUp)] }, down: { type: 'push', bind: [tcp(zDown)] } } },
      },
      nng: {
        n: { sockets: { up: { type: 'pull', listen: [tcp(nUp)] }, down: { type: 'push', listen: [tcp(nDown)] } } },
      },
    } as HubConfigInput['gateways'],
  };
  return { input, zUp: tcp(zUp), zDown: tcp(zDown), nUp: tcp(nUp), nDown: tcp(nDown) };
}

/** Publish until the peer saw it: a PUSH bound with no peer yet may hold the first copy until one connects. */
async function publishUntil(app: MqttClient, topic: string, payload: string, seen: () => boolean, what: string) {
  await eventually(
    () => {
      if (seen()) return true;
      app.publish(topic, payload, { qos: 1 });
      return false;
    },
    what,
    20_000,
  );
}

async function carriesBothWays(url: string): Promise<void> {
  const app = await connectV5(url);
  const statuses: Array<{ id: string; state: string; peers: number }> = [];
  // before SUBSCRIBE: the retained statuses can arrive in the same read as the SUBACK
  app.on('message', (topic, payload) => {
    if (topic.startsWith('$hub/gateways/')) statuses.push(JSON.parse(payload.toString()));
  });
  await subscribe(app, ['zmq/z/up/#', 'nng/n/up/#', '$hub/gateways/#']);
  return runPeers(app, statuses);
}

let ports: Awaited<ReturnType<typeof gatewaysConfig>>;

async function runPeers(app: MqttClient, statuses: Array<{ id: string; state: string; peers: number }>) {
  // uplink, ZeroMQ: [topic, bytes] from a python PUSH → zmq/z/up/<topic>, bytes unchanged
  const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
  const zUplink = collect(app, 1, { filter: (m) => m.topic.startsWith('zmq/'), timeoutMs: 20_000 });
  const zPush = await PyZmqPeer.start('push', 'connect', ports.zUp);
  cleanups.push(() => zPush.kill());
  zPush.send(['line/1/temp', bytes]);
  const [zm] = await zUplink;
  expect(zm.topic).toBe('zmq/z/up/line/1/temp');
  expect(zm.payload.equals(bytes)).toBe(true);

  // uplink, NNG: "<topic> <payload>" from a nanocat PUSH → nng/n/up/<topic>
  const nUplink = collect(app, 1, { filter: (m) => m.topic.startsWith('nng/'), timeoutMs: 20_000 });
  const nPush = nanocat(['--push', '--connect', ports.nUp, '--data', 'line/2/temp 21.5', '-i', '0.2']);
  cleanups.push(() => nPush.kill());
  const [nm] = await nUplink;
  expect([nm.topic, nm.payload.toString()]).toEqual(['nng/n/up/line/2/temp', '21.5']);

  // downlink, ZeroMQ: zmq/z/down/<t> → [t, bytes] at a python PULL
  const zPull = await PyZmqPeer.start('pull', 'connect', ports.zDown);
  cleanups.push(() => zPull.kill());
  await publishUntil(app, 'zmq/z/down/valve/1', 'open', () => zPull.received.length > 0, 'ZeroMQ downlink');
  expect(zPull.received[0].map((f) => f.toString())).toEqual(['valve/1', 'open']);

  // downlink, NNG: nng/n/down/<t> → "<t> <payload>" at a nanocat PULL
  const nPull: LinePeer = nanocat(['--pull', '--connect', ports.nDown]);
  cleanups.push(() => nPull.kill());
  await publishUntil(app, 'nng/n/down/valve/2', 'close', () => nPull.lines.includes('valve/2 close'), 'NNG downlink');

  // the retained status followed health: running, and the ZeroMQ peers counted without a state change
  await eventually(
    () => statuses.some((s) => s.id === 'zeromq.z' && s.state === 'running' && s.peers >= 1),
    'a $hub/gateways/zeromq.z/status with peers ≥ 1',
    20_000,
  );
  expect(
    statuses.filter((s) => s.id === 'nng.n').map((s) => s.state),
    JSON.stringify(statuses),
  ).toContain('running');
}

describeWithPeers(['pyzmq', 'nanocat'], 'hub with ZeroMQ and NNG gateways from its config', () => {
  it('in-process Hub: messages both ways through both gateways', async () => {
    ports = await gatewaysConfig();
    const h = await startHub(ports.input);
    cleanups.push(() => h.stop());
    const health = h.hub.status().components as { gateways: Array<{ id: string; state: string }> };
    expect(health.gateways.map((g) => [g.id, g.state])).toEqual([
      ['zeromq.z', 'running'],
      ['nng.n', 'running'],
    ]);
    await carriesBothWays(h.url);
  }, 90_000);

  it('`protohub start` child process: messages both ways through both gateways', async () => {
    ports = await gatewaysConfig();
    const h = await spawnHub(spawnConfig(ports.input), { readyTimeoutMs: 60_000 });
    cleanups.push(() => h.stop());
    const { port } = h.address('tcp');
    await carriesBothWays(`mqtt://127.0.0.1:${port}`);
  }, 120_000);
});
