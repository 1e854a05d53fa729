/**
 * The MQTT-SN UDP IO layer with real UDP clients on loopback. The broker side is a small in-test router that
 * answers the gateway's broker actions (the hub's device sessions are wired in by gateways/mqttsn/entry.ts and
 * covered by the e2e test); it routes publishes to subscribed sessions so both directions run over UDP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import type { BrokerAction, BrokerEvent } from '../../gateways/mqttsn/broker-port.js';
import { encode } from '../../gateways/mqttsn/codec.js';
import { mqttsnConfigSchema } from '../../gateways/mqttsn/schema.js';
import { MqttSnServer } from '../../gateways/mqttsn/server.js';
import { MqttSnTestClient } from '../support/mqttsn-client.js';
import { freeUdpPort } from '../support/net.js';

const match = (filter: string, topic: string): boolean => {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
};

class Router {
  readonly published: Extract<BrokerAction, { type: 'publish' }>[] = [];
  readonly actions: BrokerAction[] = [];
  readonly subs: { session: number; filter: string }[] = [];
  server!: MqttSnServer;
  #ref = 1000;
  onAction = (a: BrokerAction): void => {
    this.actions.push(a);
    const reply = (e: BrokerEvent) => queueMicrotask(() => this.server.brokerEvent(e));
    switch (a.type) {
      case 'connect':
        return reply({
          type: 'connack',
          session: a.session,
          result: a.clientId === 'denied' ? 'not_authorized' : 'accepted',
        });
      case 'subscribe':
        this.subs.push({ session: a.session, filter: a.filter });
        return reply({ type: 'suback', session: a.session, ref: a.ref, result: 'granted', qos: a.qos });
      case 'publish':
        this.published.push(a);
        if (a.qos > 0 && a.session !== null)
          reply({ type: 'puback', session: a.session, ref: a.ref, result: 'accepted' });
        return this.#route(a.topic, a.payload, a.qos);
      case 'close':
        if (a.will) this.#route('will/' + a.session, Buffer.from('lost'), 0);
        return;
      default:
        return;
    }
  };
  #route(topic: string, payload: Buffer, qos: 0 | 1 | 2): void {
    for (const s of this.subs) {
      if (match(s.filter, topic)) {
        const ref = this.#ref++;
        queueMicrotask(() =>
          this.server.brokerEvent({ type: 'deliver', session: s.session, ref, topic, payload, qos, retain: false }),
        );
      }
    }
  }
}

let server: MqttSnServer | undefined;
const clients: MqttSnTestClient[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of sockets.splice(0)) s.close();
  await server?.stop();
  server = undefined;
});

async function start(config: Record<string, unknown> = {}) {
  const port = await freeUdpPort();
  const metrics = new Metrics();
  const router = new Router();
  server = new MqttSnServer({
    config: mqttsnConfigSchema.parse({
      bind: `127.0.0.1:${port}`,
      predefined: [{ id: 1, topic: 'sensors/predef/1' }],
      ...config,
    }),
    logger: silentLogger(),
    metrics: new GatewayMetrics(metrics, 'mqttsn.t'),
    onAction: router.onAction,
  });
  router.server = server;
  await server.start();
  await server.start(); // idempotent
  const client = async (o: Partial<Parameters<typeof MqttSnTestClient.open>[0]> = {}) => {
    const c = await MqttSnTestClient.open({ port, ...o });
    clients.push(c);
    return c;
  };
  const counter = async (name: string, label: string) => {
    const text = await metrics.registry.metrics();
    const m = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { port, router, client, counter };
}

describe('MQTT-SN over UDP', () => {
  it('tells two peers on the same port at different loopback addresses apart (peer keys are cached per port)', async () => {
    const { router, port } = await start();
    const local = await freeUdpPort();
    const open = async (host: string) => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(local, host, resolve));
      const got: Buffer[] = [];
      s.on('message', (b) => got.push(b));
      sockets.push(s);
      return { s, got };
    };
    const a = await open('127.0.0.2');
    const b = await open('127.0.0.3');
    const connect = (clientId: string) =>
      encode({
        type: 'CONNECT',
        flags: { dup: false, qos: 0, retain: false, will: false, cleanSession: true, topicIdType: 0 },
        protocolId: 1,
        duration: 60,
        clientId,
      });
    const publish = (msgId: number) =>
      encode({
        type: 'PUBLISH',
        flags: { dup: false, qos: 1, retain: false, will: false, cleanSession: false, topicIdType: 1 },
        topicId: 1,
        msgId,
        data: Buffer.from('x'),
      });
    a.s.send(connect('dev-a'), port, '127.0.0.1');
    await expect.poll(() => a.got.length).toBe(1);
    b.s.send(connect('dev-b'), port, '127.0.0.1');
    await expect.poll(() => b.got.length).toBe(1);
    // each PUBLISH is answered on its own socket, from the client its address and port belong to
    a.s.send(publish(7), port, '127.0.0.1');
    b.s.send(publish(9), port, '127.0.0.1');
    await expect.poll(() => a.got.length + b.got.length).toBe(4);
    expect([a.got[1]![1], a.got[1]!.readUInt16BE(4)]).toEqual([0x0d, 7]);
    expect([b.got[1]![1], b.got[1]!.readUInt16BE(4)]).toEqual([0x0d, 9]);
    const connects = router.actions.flatMap((x) => (x.type === 'connect' ? [[x.clientId, x.peer]] : []));
    expect(connects).toEqual([
      ['dev-a', `127.0.0.2:${local}`],
      ['dev-b', `127.0.0.3:${local}`],
    ]);
    expect(router.published.map((p) => p.session)).toEqual([1, 2]);
  });

  it('connect, register, publish QoS 1 and 2: the broker gets the topic name, the client PUBACK/PUBCOMP', async () => {
    const { router, client } = await start();
    const c = await client();
    expect(await c.connect('sensor-1')).toBe(0);
    const id = await c.register('sensors/sn/x');
    expect(await c.publish(id, '21.5', { qos: 1 })).toBe(0);
    await c.publish(id, 'q2', { qos: 2 });
    await c.publish(1, 'pre', { qos: 0, idType: 1 });
    await c.disconnect();
    expect(router.published.map((p) => [p.topic, p.payload.toString(), p.qos])).toEqual([
      ['sensors/sn/x', '21.5', 1],
      ['sensors/sn/x', 'q2', 2],
      ['sensors/predef/1', 'pre', 0],
    ]);
  });

  it('a wildcard subscriber gets REGISTER then PUBLISH for a new topic', async () => {
    const { router, client } = await start();
    const sub = await client();
    await sub.connect('sub');
    const ack = await sub.subscribe('cmd/#', 1);
    expect(ack).toMatchObject({ returnCode: 0, topicId: 0 });
    const pub = await client();
    await pub.connect('pub');
    await pub.publish(await pub.register('cmd/a/b'), 'go', { qos: 1 });
    const [m] = await sub.waitMessages(1);
    expect(m).toEqual({ topic: 'cmd/a/b', payload: Buffer.from('go'), qos: 1, retain: false });
    await expect
      .poll(() => router.actions.filter((a) => a.type === 'settle'))
      .toEqual([{ type: 'settle', session: 1, ref: 1000, outcome: 'delivered' }]);
  });

  it('malformed datagrams are dropped and counted by reason; the gateway keeps answering', async () => {
    const { client, counter } = await start({ limits: { max_datagram_size: '64B' } });
    const c = await client();
    c.sendRaw(Buffer.from([9, 0x0c, 0]));
    c.sendRaw(Buffer.from([3, 0x03, 0]));
    c.sendRaw(Buffer.alloc(65, 1));
    expect(await c.connect('after-garbage')).toBe(0);
    c.send({ type: 'PINGREQ' });
    await c.next('PINGRESP');
    expect(await counter('protohub_gateway_dropped_total', 'reason="truncated"')).toBe(1);
    expect(await counter('protohub_gateway_dropped_total', 'reason="unknown_type"')).toBe(1);
    expect(await counter('protohub_gateway_dropped_total', 'reason="datagram_too_large"')).toBe(1);
  });

  it('a refused client id (too long, or refused by the broker) gets CONNACK not supported', async () => {
    const { client } = await start();
    const c = await client();
    expect(await c.connect('x'.repeat(24))).toBe(3);
    expect(await c.connect('denied')).toBe(3);
  });

  it('forwarder encapsulation: clients behind one forwarder address are told apart by node id', async () => {
    const { router, client } = await start();
    const a = await client({ forwarderNodeId: Buffer.from([1, 2]) });
    expect(await a.connect('behind-fwd')).toBe(0);
    await a.publish(1, 'via-fwd', { qos: 1, idType: 1 });
    expect(router.published.at(-1)?.payload.toString()).toBe('via-fwd');
  });

  it('a sleeping client gets its buffered messages when it pings with its client id, then PINGRESP', async () => {
    const { client } = await start();
    const s = await client();
    await s.connect('sleeper', { duration: 60 });
    await s.subscribe('cmd/s', 1);
    await s.sleep(60);
    const p = await client();
    await p.connect('waker');
    const id = await p.register('cmd/s');
    await p.publish(id, 'm1', { qos: 1 });
    await p.publish(id, 'm2', { qos: 1 });
    expect(s.messages).toEqual([]);
    s.send({ type: 'PINGREQ', clientId: 'sleeper' });
    await s.next('PINGRESP');
    expect(s.messages.map((m) => m.payload.toString())).toEqual(['m1', 'm2']);
  });

  it('QoS -1 without connecting, on a predefined topic id', async () => {
    const { router, client } = await start();
    const c = await client();
    await c.publish(1, 'no-connection', { qos: -1, idType: 1 });
    await expect.poll(() => router.published.map((p) => [p.session, p.topic])).toEqual([[null, 'sensors/predef/1']]);
  });

  it('keep-alive expiry closes the session with its will', async () => {
    const { router, client } = await start();
    const c = await client();
    await c.connect('silent', { duration: 1, will: { topic: 'w/silent', message: 'bye' } });
    await expect
      .poll(() => router.actions.find((a) => a.type === 'close'), { timeout: 20_000 })
      .toEqual({ type: 'close', session: 1, reason: 'keepalive_timeout', will: true });
    expect(router.actions[0]).toMatchObject({
      type: 'connect',
      will: { topic: 'w/silent', payload: Buffer.from('bye') },
    });
  });

  it('discovery when enabled: SEARCHGW → GWINFO, ADVERTISE to the configured loopback address', async () => {
    const adv = await MqttSnTestClient.open({ port: 9 });
    clients.push(adv);
    const { client } = await start({
      advertise: { enable: true, gateway_id: 5, interval: '60s', address: `127.0.0.1:${adv.localPort}` },
    });
    expect(await adv.next('ADVERTISE')).toEqual({ type: 'ADVERTISE', gwId: 5, duration: 60 });
    const c = await client();
    c.sendRaw(encode({ type: 'SEARCHGW', radius: 0 }));
    expect(await c.next('GWINFO')).toEqual({ type: 'GWINFO', gwId: 5 });
  });

  it('binds IPv6 loopback when the bind address is [::1]', async () => {
    const port = await freeUdpPort();
    const v6 = new MqttSnServer({
      config: mqttsnConfigSchema.parse({ bind: `[::1]:${port}` }),
      logger: silentLogger(),
      metrics: new GatewayMetrics(new Metrics(), 'mqttsn.v6'),
      onAction: (a) => {
        if (a.type === 'connect')
          queueMicrotask(() => v6.brokerEvent({ type: 'connack', session: a.session, result: 'accepted' }));
      },
    });
    try {
      await v6.start();
    } catch (err) {
      // a host without IPv6 loopback cannot run this case
      if (/EADDRNOTAVAIL|EAFNOSUPPORT/.test(String(err))) return;
      throw err;
    }
    try {
      const c = await MqttSnTestClient.open({ port, host: '::1' });
      clients.push(c);
      expect(await c.connect('v6')).toBe(0);
      expect(v6.core.client('v6')?.peer).toMatch(/^\[::1\]:\d+$/);
    } finally {
      await v6.stop();
    }
  });

  it('stop() sends DISCONNECT to connected clients and closes their sessions; it is idempotent', async () => {
    const { router, client } = await start();
    const c = await client();
    await c.connect('to-stop');
    await server!.stop();
    await server!.stop();
    await c.next('DISCONNECT');
    expect(router.actions.at(-1)).toEqual({ type: 'close', session: 1, reason: 'shutdown', will: false });
  });
});
