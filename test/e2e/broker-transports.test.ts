/**
 * Transports and third-party clients: TCP, TLS (with client certificate verification, a rogue certificate
 * and a missing one refused) and WebSocket with MQTT.js; mosquitto_pub/sub (v5 and v3.1.1) over TCP and
 * TLS. Debian's mosquitto clients are built without WebSocket support, so WebSocket uses MQTT.js only.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { connackCode, mosquittoPub, mosquittoSub } from '../support/cli-clients.js';
import {
  closeAllClients,
  collect,
  connectClient,
  connectError,
  connectV3,
  connectV5,
  RawClient,
} from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { describeWithPeers } from '../support/peers.js';
import { removeTempDirs } from '../support/tmp.js';

describeWithPeers(['openssl', 'mosquitto_pub', 'mosquitto_sub'], 'transports and third-party clients', () => {
  let h: StartedHub;
  let pki: TestPki;
  let tlsPort: number;
  let wsUrl: string;
  const tls = () => ({
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.clientCert),
    key: readFileSync(pki.clientKey),
    servername: 'localhost',
  });

  beforeAll(async () => {
    pki = makeTestPki();
    h = await startHub({
      listeners: {
        tcp: { default: { bind: '127.0.0.1:0' } },
        ssl: {
          default: {
            bind: '127.0.0.1:0',
            certfile: pki.serverCert,
            keyfile: pki.serverKey,
            cacertfile: pki.caCert,
            verify: 'verify_peer',
            fail_if_no_peer_cert: true,
          },
        },
        ws: { default: { bind: '127.0.0.1:0', path: '/mqtt' } },
        wss: {
          default: {
            bind: '127.0.0.1:0',
            path: '/mqtt',
            certfile: pki.serverCert,
            keyfile: pki.serverKey,
            cacertfile: pki.caCert,
            verify: 'verify_peer',
            fail_if_no_peer_cert: true,
          },
        },
      },
    });
    tlsPort = h.hub.address('ssl').port;
    wsUrl = `ws://127.0.0.1:${h.hub.address('ws').port}/mqtt`;
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await stopAllHubs();
    removeTempDirs();
  });

  it('TLS with a client certificate: v5 and v3.1.1 publish/subscribe across TLS, TCP and WebSocket', async () => {
    const overTls = await connectClient(`mqtts://127.0.0.1:${tlsPort}`, {
      protocolVersion: 5,
      clientId: 'tls-5',
      ...tls(),
    });
    const overWs = await connectClient(wsUrl, { protocolVersion: 4, clientId: 'ws-3' });
    const overTcp = await connectV5(h.url, { clientId: 'tcp-5' });
    await overTls.subscribeAsync('tr/#', { qos: 1 });
    await overWs.subscribeAsync('tr/#', { qos: 1 });
    const atTls = collect(overTls, 2);
    const atWs = collect(overWs, 2);
    await overTcp.publishAsync('tr/from-tcp', 'a', { qos: 1 });
    const v3OverTls = await connectClient(`mqtts://127.0.0.1:${tlsPort}`, {
      protocolVersion: 4,
      clientId: 'tls-3',
      ...tls(),
    });
    await v3OverTls.publishAsync('tr/from-tls', 'b', { qos: 2 });
    expect((await atTls).map((m) => m.topic)).toEqual(['tr/from-tcp', 'tr/from-tls']);
    expect((await atWs).map((m) => m.payload.toString())).toEqual(['a', 'b']);
  });

  it('WebSocket: MQTT.js v5 connects on /mqtt and gets CONNACK properties', async () => {
    const c = await connectClient(wsUrl, {
      protocolVersion: 5,
      clientId: 'ws-5',
      properties: { sessionExpiryInterval: 0 },
    });
    const got = collect(c, 1);
    await c.subscribeAsync('ws/echo', { qos: 2 });
    await c.publishAsync('ws/echo', Buffer.alloc(70_000, 7), { qos: 2 }); // spans several WebSocket frames
    expect((await got)[0].payload.length).toBe(70_000);
  });

  it('secure WebSocket: client certificate accepted, rogue certificate refused', async () => {
    const wssUrl = `wss://127.0.0.1:${h.hub.address('wss').port}/mqtt`;
    const c = await connectClient(wssUrl, { protocolVersion: 5, clientId: 'wss-5', ...tls() });
    const got = collect(c, 1);
    await c.subscribeAsync('wss/echo', { qos: 1 });
    await c.publishAsync('wss/echo', 'over wss', { qos: 1 });
    expect((await got)[0].payload.toString()).toBe('over wss');
    const rogue = await connectError(wssUrl, {
      clientId: 'wss-rogue',
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.rogueCert),
      key: readFileSync(pki.rogueKey),
      servername: 'localhost',
    });
    expect(rogue).toBeInstanceOf(Error);
  });

  it('TLS: a client certificate from another CA is refused', async () => {
    const err = await connectError(`mqtts://127.0.0.1:${tlsPort}`, {
      clientId: 'rogue',
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.rogueCert),
      key: readFileSync(pki.rogueKey),
      servername: 'localhost',
    });
    expect(err).toBeInstanceOf(Error);
    await expect(
      RawClient.connect(
        tlsPort,
        { clientId: 'rogue-raw' },
        {
          tls: {
            ca: readFileSync(pki.caCert),
            cert: readFileSync(pki.rogueCert),
            key: readFileSync(pki.rogueKey),
            servername: 'localhost',
          },
        },
      ),
    ).rejects.toThrow();
  });

  it('TLS: no client certificate is refused when fail_if_no_peer_cert is on', async () => {
    await expect(
      RawClient.connect(
        tlsPort,
        { clientId: 'nocert' },
        { tls: { ca: readFileSync(pki.caCert), servername: 'localhost' } },
      ),
    ).rejects.toThrow();
  });

  it.each(['mqttv5', 'mqttv311'] as const)('mosquitto_sub/pub %s over TCP: QoS 0/1/2 and retained', async (version) => {
    const t = `cli/${version}`;
    const retained = await mosquittoPub({
      port: h.port,
      version,
      topic: `${t}/kept`,
      message: 'kept',
      qos: 1,
      retain: true,
    });
    expect(retained.code).toBe(0);
    const sub = mosquittoSub({ port: h.port, version, topics: [`${t}/#`], count: 4, qos: 2 });
    expect(await sub.subscribed).toEqual([2]);
    for (const qos of [0, 1, 2] as const) {
      const r = await mosquittoPub({ port: h.port, version, topic: `${t}/q${qos}`, message: `m${qos}`, qos });
      expect(r.code, r.stderr).toBe(0);
    }
    const { messages } = await sub.done;
    expect(messages.map((m) => [m.topic, m.payload.toString(), m.qos, m.retain])).toEqual([
      [`${t}/kept`, 'kept', 1, true],
      [`${t}/q0`, 'm0', 0, false],
      [`${t}/q1`, 'm1', 1, false],
      [`${t}/q2`, 'm2', 2, false],
    ]);
  });

  it('mosquitto_sub/pub over TLS with a client certificate; MQTT.js receives it', async () => {
    const watcher = await connectV3(h.url, { clientId: 'cli-tls-watch' });
    await watcher.subscribeAsync('cli/tls', { qos: 1 });
    const got = collect(watcher, 1);
    const tlsOpts = { cafile: pki.caCert, cert: pki.clientCert, key: pki.clientKey };
    const sub = mosquittoSub({ port: tlsPort, topics: ['cli/tls'], count: 1, qos: 1, tls: tlsOpts });
    await sub.subscribed;
    const r = await mosquittoPub({ port: tlsPort, topic: 'cli/tls', message: 'secure', qos: 1, tls: tlsOpts });
    expect(r.code, r.stderr).toBe(0);
    expect((await sub.done).messages.map((m) => m.payload.toString())).toEqual(['secure']);
    expect((await got)[0].payload.toString()).toBe('secure');
  });

  it('mosquitto_pub with a rogue client certificate is refused', async () => {
    const r = await mosquittoPub({
      port: tlsPort,
      topic: 'cli/rogue',
      message: 'x',
      tls: { cafile: pki.caCert, cert: pki.rogueCert, key: pki.rogueKey },
    });
    expect(r.code).not.toBe(0);
    expect(connackCode(r)).toBeUndefined();
  });

  it.each(['mqttv5', 'mqttv311'] as const)(
    '[MQTT-3.1.2-5] mosquitto_sub %s persistent session (-c) gets messages queued while offline',
    async (version) => {
      const t = `cli/persist/${version}`;
      const session = {
        port: h.port,
        version,
        clientId: `cli-persist-${version}`,
        qos: 1 as const,
        topics: [t],
        args: ['-c', ...(version === 'mqttv5' ? ['-x', '600'] : [])],
      };
      const first = mosquittoSub({ ...session, count: 1 });
      await first.subscribed;
      await mosquittoPub({ port: h.port, version, topic: t, message: 'online', qos: 1 });
      expect((await first.done).messages.map((m) => m.payload.toString())).toEqual(['online']);
      for (const m of ['queued-1', 'queued-2'])
        await mosquittoPub({ port: h.port, version, topic: t, message: m, qos: 1 });
      const second = mosquittoSub({ ...session, count: 2 });
      expect((await second.done).messages.map((m) => m.payload.toString())).toEqual(['queued-1', 'queued-2']);
    },
  );

  it('[MQTT-3.1.2-8] mosquitto_sub killed with SIGKILL: its will reaches an MQTT.js subscriber', async () => {
    const watcher = await connectV5(h.url, { clientId: 'cli-will-watch' });
    await watcher.subscribeAsync('cli/will', { qos: 1 });
    const got = collect(watcher, 1);
    const sub = mosquittoSub({
      port: h.port,
      topics: ['cli/will/ignored'],
      args: ['--will-topic', 'cli/will', '--will-payload', 'mosquitto gone', '--will-qos', '1'],
    });
    await sub.subscribed;
    sub.kill();
    expect((await got)[0].payload.toString()).toBe('mosquitto gone');
  });
});
