/**
 * MQTT-SN clients as real clients of the broker, through the whole Hub: will on keep-alive expiry, takeover by
 * a TCP client with the same client id, the mountpoint with ${clientid}, and a sleeping client that gets what
 * was published for it when it wakes (PINGREQ with its client id), with MQTT.js on the MQTT side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { clientInfo, findClient } from '../../src/broker/inspect.js';
import { closeAllClients, collect, connectV5 } from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { MqttSnTestClient } from '../support/mqttsn-client.js';
import { freeUdpPort } from '../support/net.js';

const sn: MqttSnTestClient[] = [];
afterEach(async () => {
  closeAllClients();
  await Promise.all(sn.splice(0).map((c) => c.close()));
  await stopAllHubs();
});

async function hubWithMqttSn(
  gateway: Record<string, unknown> = {},
  hub: Record<string, unknown> = {},
): Promise<{ h: StartedHub; port: number }> {
  const port = await freeUdpPort();
  const h = await startHub({
    ...hub,
    gateways: { mqttsn: { t: { bind: `127.0.0.1:${port}`, allow_anonymous: true, ...gateway } } },
  } as never);
  return { h, port };
}

async function client(port: number): Promise<MqttSnTestClient> {
  const c = await MqttSnTestClient.open({ port });
  sn.push(c);
  return c;
}

describe('MQTT-SN devices as broker clients', () => {
  it('keep-alive expiry publishes the will to MQTT subscribers (MQTT-SN 1.2 §6.3, §6.11)', async () => {
    const { h, port } = await hubWithMqttSn();
    const watch = await connectV5(h.url, { clientId: 'sn-will-watch' });
    await watch.subscribeAsync('wills/#', { qos: 0 });
    const got = collect(watch, 1, { timeoutMs: 15_000 });
    const c = await client(port);
    expect(await c.connect('sn-will', { duration: 1, will: { topic: 'wills/sn-will', message: 'bye' } })).toBe(0);
    const [m] = await got; // the client stays silent: lost after 1.5 × 1 s
    expect(m.topic).toBe('wills/sn-will');
    expect(m.payload.toString()).toBe('bye');
  });

  it('a TCP client with the same client id takes over: the MQTT-SN client gets DISCONNECT', async () => {
    const { h, port } = await hubWithMqttSn();
    const c = await client(port);
    expect(await c.connect('shared-id')).toBe(0);
    await connectV5(h.url, { clientId: 'shared-id' });
    await c.next('DISCONNECT');
    await expect
      .poll(() => h.hub.metrics.value('protohub_connections', { protocol: 'mqttsn' }), { timeout: 10_000 })
      .toBe(0);
  });

  it('mountpoint sn/${clientid}/: prepended to publishes, stripped from deliveries', async () => {
    const { h, port } = await hubWithMqttSn({ mountpoint: 'sn/${clientid}/' });
    const watch = await connectV5(h.url, { clientId: 'sn-mp-watch' });
    await watch.subscribeAsync('sn/#', { qos: 0 });
    const c = await client(port);
    expect(await c.connect('dev7')).toBe(0);
    const b = h.hub.broker as unknown as Broker;
    expect(clientInfo(b, findClient(b, 'dev7')!)).toMatchObject({
      protocol: 'mqttsn',
      listener: 'mqttsn.t',
      ip_address: '127.0.0.1',
      port: c.localPort,
      keepalive: 60,
    });
    const up = collect(watch, 1);
    await c.publish(await c.register('up/temp'), '20', { qos: 1 });
    expect((await up)[0].topic).toBe('sn/dev7/up/temp');
    expect((await c.subscribe('down/#', 1)).returnCode).toBe(0);
    await watch.publishAsync('sn/dev7/down/valve', 'open', { qos: 1 });
    const [m] = await c.waitMessages(1);
    expect(m.topic).toBe('down/valve');
  });

  it('a sleeping client gets what was published while it slept when it wakes (§6.14)', async () => {
    const { h, port } = await hubWithMqttSn();
    const c = await client(port);
    expect(await c.connect('sleeper')).toBe(0);
    expect((await c.subscribe('cmd/#', 1)).returnCode).toBe(0);
    await c.sleep(60);
    const pub = await connectV5(h.url, { clientId: 'sleep-pub' });
    await pub.publishAsync('cmd/light', 'on', { qos: 1 });
    await pub.publishAsync('cmd/fan', 'off', { qos: 0 });
    c.send({ type: 'PINGREQ', clientId: 'sleeper' });
    const got = await c.waitMessages(2);
    expect(got.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['cmd/light', 'on'],
      ['cmd/fan', 'off'],
    ]);
    await c.next('PINGRESP');
  });

  it('authorization rules apply: denied publish gets PUBACK "not supported", denied subscribe SUBACK likewise', async () => {
    const { port } = await hubWithMqttSn(
      {},
      {
        authorization: {
          no_match: 'allow',
          rules: [
            { permission: 'allow', who: 'all', action: 'all', topics: ['dev/${clientid}/#'] },
            { permission: 'deny', who: 'all', action: 'all', topics: ['dev/#'] },
          ],
        },
      },
    );
    const c = await client(port);
    expect(await c.connect('s1')).toBe(0);
    expect(await c.publish(await c.register('dev/s1/t'), 'ok', { qos: 1 })).toBe(0);
    expect(await c.publish(await c.register('dev/s2/t'), 'no', { qos: 1 })).toBe(3); // NOT_SUPPORTED
    expect((await c.subscribe('dev/s2/#', 1)).returnCode).toBe(3);
    expect((await c.subscribe('dev/s1/#', 1)).returnCode).toBe(0);
  });

  it('a retained message reaches a new MQTT-SN subscriber with the retain flag', async () => {
    const { h, port } = await hubWithMqttSn();
    const pub = await connectV5(h.url, { clientId: 'ret-sn-pub' });
    await pub.publishAsync('state/door', 'closed', { qos: 1, retain: true });
    const c = await client(port);
    expect(await c.connect('ret-sn')).toBe(0);
    expect((await c.subscribe('state/#', 1)).returnCode).toBe(0);
    const [m] = await c.waitMessages(1);
    expect(m).toMatchObject({ topic: 'state/door', retain: true });
    expect(m.payload.toString()).toBe('closed');
  });
});

describe('MQTT-SN QoS -1 and IP rules', () => {
  it('a QoS -1 publish is authorized with the sender address: an ipaddress deny rule stops it, allow lets it through', async () => {
    const predefined = [
      { id: 1, topic: 'open/a' },
      { id: 2, topic: 'closed/a' },
    ];
    const { h, port } = await hubWithMqttSn(
      { enable_qos3: true, predefined },
      {
        authorization: {
          no_match: 'allow',
          rules: [{ permission: 'deny', who: { ipaddress: '127.0.0.0/8' }, action: 'publish', topics: ['closed/#'] }],
        },
      },
    );
    const watch = await connectV5(h.url, { clientId: 'sn-qosm1-watch' });
    await watch.subscribeAsync(['open/#', 'closed/#'], { qos: 0 });
    const got = collect(watch, 1, { timeoutMs: 10_000 });
    const c = await client(port);
    await c.publish(2, 'denied', { qos: -1, idType: 1 });
    await c.publish(1, 'allowed', { qos: -1, idType: 1 });
    const [m] = await got;
    expect([m.topic, m.payload.toString()]).toEqual(['open/a', 'allowed']);
    expect(await h.hub.metrics.value('protohub_messages_dropped_total', { reason: 'not_authorized' })).toBe(1);
  });
});
