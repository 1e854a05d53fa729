/**
 * Live reload end to end: a `protohub start` child process, its config file (with an include) rewritten on disk
 * and SIGHUP sent. Real peers: nanocat publishers for two NNG gateways, mosquitto upstreams for two bridges,
 * MQTT.js clients. Through every reload a connected client stays connected and a persistent session keeps its
 * queued QoS 1 messages.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nanocat, type LinePeer } from '../component/nng-peer-helper.js';
import { Collector } from './bridge-harness.js';
import { closeAllClients, collect, connectV5, subscribe, type MqttClient } from '../support/clients.js';
import {
  REPO_ROOT,
  eventually,
  spawnHub,
  stopAllHubs,
  sumMetric,
  type LogLine,
  type SpawnedHub,
} from '../support/hub.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { freePort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

interface Knobs {
  bDial: number;
  coldKeepalive: string;
  rules: string;
  level: string;
  mqttPort: number;
  extra?: string;
}

interface GatewayHealth {
  id: string;
  state: string;
  restarts: number;
  since: number;
}
interface BridgeStatus {
  name: string;
  state: string;
  backlog: number;
}
interface Status {
  components: { gateways: GatewayHealth[]; bridges: BridgeStatus[] };
}

describeWithPeers(['nanocat', 'mosquitto'], 'SIGHUP live reload of a running hub', () => {
  const dir = tempDir('protohub-reload-');
  const mainFile = join(dir, 'main.conf');
  const peers: LinePeer[] = [];
  const ports = {} as Record<'mqtt' | 'http' | 'pa' | 'pb' | 'pb2' | 'cold', number>;
  let knobs: Knobs;
  let up: MosquittoInstance;
  let hub: SpawnedHub;
  let watcher: MqttClient;
  let watcherCloses = 0;
  let reloads = 0;
  const coldDir = tempDir('protohub-mosq-cold-');
  let coldCollector: Collector;

  const write = (k: Knobs) => {
    knobs = k;
    writeFileSync(
      mainFile,
      `include "base.conf"
listeners.tcp.default.bind = "127.0.0.1:${k.mqttPort}"
log.level = ${k.level}
gateways.nng.b {
  mapping = "map-b.conf"
  topic_delimiter = " "
  sockets.s { type = sub, dial = ["tcp://127.0.0.1:${k.bDial}"], subscribe = [""] }
}
bridges.mqtt.cold.keepalive = ${k.coldKeepalive}
authorization.rules = ${k.rules}
${k.extra ?? ''}
`,
    );
  };

  /** Send SIGHUP and wait for the outcome line the signal handler logs. */
  const sighup = async (): Promise<LogLine> => {
    const n = ++reloads;
    hub.kill('SIGHUP');
    let found: LogLine | undefined;
    await eventually(
      () => {
        found = hub.logs().filter((l) => /^reload (applied|unchanged|partial|rejected)$/.test(String(l.msg)))[n - 1];
        return found !== undefined;
      },
      `reload #${n} outcome logged`,
      30_000,
    );
    return found!;
  };

  const status = async (): Promise<Status> =>
    (await (await fetch(`http://127.0.0.1:${ports.http}/api/v1/status`)).json()) as Status;
  const gateway = async (id: string) => (await status()).components.gateways.find((g) => g.id === id)!;
  const bridge = async (name: string) => (await status()).components.bridges.find((b) => b.name === name)!;
  const url = () => `mqtt://127.0.0.1:${ports.mqtt}`;

  beforeAll(async () => {
    for (const k of ['mqtt', 'http', 'pa', 'pb', 'pb2', 'cold'] as const) ports[k] = await freePort();
    up = await startMosquitto();
    // the cold upstream exists only later; prepare its collector session now (see the bridge test)
    const prep = await startMosquitto({ port: ports.cold, dir: coldDir, persistence: true });
    coldCollector = await Collector.connect(prep.url, 'cold/#');
    coldCollector.close();
    await prep.stop();
    writeFileSync(join(dir, 'map-a.conf'), 'uplink = [{ name = a, address = "{t*}", topic = "gw/a/{t*}", qos = 1 }]\n');
    writeFileSync(join(dir, 'map-b.conf'), 'uplink = [{ name = b, address = "{t*}", topic = "gw/b/{t*}", qos = 1 }]\n');
    writeFileSync(
      join(dir, 'base.conf'),
      `node.name = edge1
http.bind = "127.0.0.1:${ports.http}"
log.format = json
store { type = sqlite, dir = "${join(dir, 'data')}" }
gateways.nng.a {
  mapping = "map-a.conf"
  topic_delimiter = " "
  sockets.s { type = sub, dial = ["tcp://127.0.0.1:${ports.pa}"], subscribe = [""] }
}
bridges.mqtt.up {
  servers = ["${up.url}"], clientid = edge-up, reconnect { initial = 50ms, max = 300ms }
  forwards = [{ local = "warm/#", qos = 1 }]
}
bridges.mqtt.cold {
  servers = ["mqtt://127.0.0.1:${ports.cold}"], clientid = edge-cold, reconnect { initial = 50ms, max = 300ms }
  forwards = [{ local = "cold/#", qos = 1 }]
}
`,
    );
    write({ bDial: ports.pb, coldKeepalive: '60s', rules: '[]', level: 'info', mqttPort: ports.mqtt });
    for (const [port, data] of [
      [ports.pa, 'sa/1 from-a'],
      [ports.pb, 'sb/1 from-b'],
      [ports.pb2, 'sb2/1 from-b2'],
    ] as const) {
      peers.push(nanocat(['--pub', '--bind', `tcp://127.0.0.1:${port}`, '--data', data, '-i', '0.1']));
    }
    hub = await spawnHub(mainFile);
    watcher = await connectV5(url(), { clientId: 'watcher' });
    watcher.on('close', () => watcherCloses++);
    await subscribe(watcher, ['gw/#'], { qos: 1 });
    await collect(watcher, 1, { filter: (m) => m.topic === 'gw/a/sa/1', timeoutMs: 30_000 });
    await collect(watcher, 1, { filter: (m) => m.topic === 'gw/b/sb/1', timeoutMs: 30_000 });

    // a persistent session, offline, with 20 QoS 1 messages queued for it
    const keeper = await connectV5(url(), {
      clientId: 'keeper',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    await subscribe(keeper, ['keep/#'], { qos: 1 });
    keeper.end();
    for (let i = 0; i < 20; i++) await watcher.publishAsync(`keep/${i}`, String(i), { qos: 1 });
    // 10 QoS 1 messages wait in the cold bridge's cache: its upstream is not running yet
    for (let i = 0; i < 10; i++) await watcher.publishAsync(`cold/${i}`, String(i), { qos: 1 });
    await eventually(async () => (await bridge('cold')).backlog === 10, 'cold backlog 10', 30_000);
    await watcher.publishAsync('secret/before', 'allowed', { qos: 1 });
  }, 120_000);

  afterAll(async () => {
    closeAllClients();
    await stopAllHubs();
    await Promise.all(peers.map((p) => p.kill()));
    await up?.stop();
    removeTempDirs();
  });

  it('a changed gateway restarts only that instance; the other keeps its supervisor and restart count', async () => {
    const aBefore = await gateway('nng.a');
    const bBefore = await gateway('nng.b');
    write({ ...knobs, bDial: ports.pb2 });
    const moved = collect(watcher, 1, { filter: (m) => m.topic === 'gw/b/sb2/1', timeoutMs: 30_000 });
    const r = await sighup();
    expect(r.status).toBe('applied');
    expect(r.changes).toEqual([{ component: 'gateway', id: 'nng.b', action: 'restarted', ok: true }]);
    await moved; // b now dials the new peer
    const aAfter = await gateway('nng.a');
    expect(aAfter.since).toBe(aBefore.since);
    expect(aAfter.restarts).toBe(aBefore.restarts);
    expect(aAfter.state).toBe('running');
    expect((await gateway('nng.b')).since).toBeGreaterThan(bBefore.since);
  }, 60_000);

  it('a changed mapping file restarts the gateway that uses it', async () => {
    writeFileSync(
      join(dir, 'map-b.conf'),
      'uplink = [{ name = b, address = "{t*}", topic = "gw/b-new/{t*}", qos = 1 }]\n',
    );
    const remapped = collect(watcher, 1, { filter: (m) => m.topic === 'gw/b-new/sb2/1', timeoutMs: 30_000 });
    const r = await sighup();
    expect(r.changes).toEqual([{ component: 'gateway', id: 'nng.b', action: 'restarted', ok: true }]);
    await remapped;
  }, 60_000);

  it('a changed bridge reconnects alone and keeps its cached messages', async () => {
    const upConnects = () =>
      up
        .log()
        .split('\n')
        .filter((l) => / as edge-up\b/.test(l)).length;
    await eventually(async () => (await bridge('up')).state === 'connected', 'bridge up connected', 30_000);
    const before = upConnects();
    expect(before).toBeGreaterThan(0);
    write({ ...knobs, coldKeepalive: '45s' });
    const r = await sighup();
    expect(r.changes).toEqual([{ component: 'bridge', id: 'cold', action: 'restarted', ok: true }]);
    expect((await bridge('cold')).backlog).toBe(10);
    expect((await bridge('up')).state).toBe('connected');
    expect(upConnects()).toBe(before);
    // the cache survived the restart: all 10 reach the upstream once it exists (the collector's session was
    // created there before the hub started, so nothing the bridge sends can arrive before it is subscribed)
    const cold = await startMosquitto({ port: ports.cold, dir: coldDir, persistence: true });
    try {
      await coldCollector.reconnect(cold.url);
      await coldCollector.waitDistinct(10, 60_000);
    } finally {
      coldCollector.close();
      await cold.stop();
    }
  }, 120_000);

  it('an authorization change applies to the next publish of an existing connection', async () => {
    write({ ...knobs, rules: '[{ permission = deny, action = publish, topics = ["secret/#"] }]' });
    const r = await sighup();
    expect(r.changes).toEqual([{ component: 'authorization', id: 'authorization', action: 'updated', ok: true }]);
    await expect(watcher.publishAsync('secret/after', 'denied', { qos: 1 })).rejects.toThrow(/135|authori/i);
    await watcher.publishAsync('open/after', 'fine', { qos: 1 });
  }, 60_000);

  it('a log level change takes effect for loggers created before it', async () => {
    const connectedLines = () => hub.logs().filter((l) => l.msg === 'client connected').length;
    (await connectV5(url(), { clientId: 'probe-info' })).end();
    expect(connectedLines()).toBe(0); // debug line, not written at info
    write({ ...knobs, level: 'debug' });
    const r = await sighup();
    expect(r.changes).toEqual([{ component: 'log', id: 'log.level', action: 'updated', ok: true }]);
    (await connectV5(url(), { clientId: 'probe-debug' })).end();
    await eventually(
      () => hub.logs().some((l) => l.msg === 'client connected' && l.clientId === 'probe-debug'),
      'debug line',
      10_000,
    );
  }, 60_000);

  it('an invalid config is rejected whole with the errors of `protohub check`; the running one stays', async () => {
    const good = knobs;
    const bBefore = await gateway('nng.b');
    write({ ...knobs, rules: '[]', extra: 'mqtt.max_inflight = lots\ngateways.nng.b.sockets.s.type = nonsense' });
    try {
      const r = await sighup();
      expect(r.status, JSON.stringify(r)).toBe('rejected');
      expect(r.code).toBe('PH_CONFIG_INVALID');
      const check = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'check', '-c', mainFile], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(check.status, check.stderr).toBe(2);
      expect(r.errors, check.stderr).toEqual(check.stderr.trimEnd().split('\n'));
      const line = readFileSync(mainFile, 'utf8').split('\n').indexOf('mqtt.max_inflight = lots') + 1;
      expect(r.errors).toContain(`  ${mainFile}:${line} mqtt.max_inflight: expected a number, got "lots"`);
      // old rules still apply, the gateway named in the bad file was not restarted
      await expect(watcher.publishAsync('secret/still', 'denied', { qos: 1 })).rejects.toThrow(/135|authori/i);
      const bAfter = await gateway('nng.b');
      expect(bAfter.since, JSON.stringify({ bBefore, bAfter })).toBe(bBefore.since);
    } finally {
      write(good);
    }
  }, 90_000);

  it('a listener change is reported as restart required and the listener keeps serving', async () => {
    write({ ...knobs, mqttPort: ports.mqtt + 1 === ports.http ? ports.mqtt + 2 : ports.mqtt + 1 });
    const r = await sighup();
    expect(r.status).toBe('applied');
    expect(r.restartRequired).toEqual(['listeners.tcp.default.bind.port']);
    expect(r.changes).toEqual([]);
    (await connectV5(url(), { clientId: 'still-here' })).end();
  }, 60_000);

  it('a SIGHUP storm is coalesced: far fewer reloads run than signals were sent', async () => {
    const runs = async () =>
      sumMetric(await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text(), 'protohub_reloads_total');
    const outcomes = () =>
      hub.logs().filter((l) => /^reload (applied|unchanged|partial|rejected)$/.test(String(l.msg)));
    const received = () => hub.logs().filter((l) => l.msg === 'reloading configuration');
    const before = { runs: await runs(), outcomes: outcomes().length, received: received().length };
    for (let i = 0; i < 20; i++) hub.kill('SIGHUP');
    // the kernel may merge pending SIGHUPs; every one the hub did receive is answered
    await eventually(
      () =>
        received().length > before.received &&
        outcomes().length - before.outcomes === received().length - before.received,
      'every received SIGHUP answered',
      30_000,
    );
    reloads = outcomes().length;
    const ran = (await runs()) - before.runs;
    expect(ran).toBeGreaterThanOrEqual(1);
    expect(ran).toBeLessThanOrEqual(Math.min(2, received().length - before.received));
  }, 60_000);

  it('through all of it the connected client stayed and the persistent session kept its queued QoS 1 messages', async () => {
    expect(watcherCloses).toBe(0);
    expect(watcher.connected).toBe(true);
    const got: string[] = [];
    const keeper = await connectV5(
      url(),
      { clientId: 'keeper', clean: false, properties: { sessionExpiryInterval: 3600 } },
      (c) => c.on('message', (_t, p) => got.push(p.toString())),
    );
    await eventually(() => got.length >= 20, `keeper got ${got.length} of 20`, 30_000);
    expect(new Set(got)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => String(i))));
    keeper.end();
  }, 60_000);
});
