/**
 * Device sessions (BrokerApi.connectDevice) against the real in-process broker, with real MQTT.js clients on the
 * other side: authentication (password file, per-gateway allow_anonymous), authorization with ${clientid},
 * run-time subscribe with retained delivery, will on abnormal loss only, takeover both ways, persistent
 * session queue, mountpoint, in-flight window and bounded queue, metrics by protocol, publish authorization.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/auth/password-file-write.js';
import type { Broker } from '../../src/broker/broker.js';
import { clientInfo, findClient, kickClient } from '../../src/broker/inspect.js';
import { envelope } from '../../src/envelope.js';
import {
  closeAllClients,
  collect,
  collectUntil,
  connectV3,
  connectV5,
  eventually,
  payloadIs,
  subscribe,
} from '../support/clients.js';
import { connectTestDevice, TestDevice, type DeviceOptions } from '../support/devices.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

let h: StartedHub;
beforeAll(async () => {
  const passwordFile = join(tempDir('protohub-device-'), 'passwd');
  await upsertUser(passwordFile, 'sensor', 'secret');
  h = await startHub({
    auth: { allow_anonymous: true, password_file: passwordFile },
    mqtt: { max_mqueue_len: 3, mqueue_overflow: 'drop_newest' },
    authorization: {
      no_match: 'allow',
      rules: [
        { permission: 'allow', who: { clientid: 'authz-watch' }, action: 'subscribe', topics: ['devices/#'] },
        { permission: 'allow', who: 'all', action: 'all', topics: ['devices/${clientid}/#'] },
        { permission: 'deny', who: 'all', action: 'all', topics: ['devices/#'] },
      ],
    },
  });
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const broker = () => h.hub.broker;
const device = (clientId: string, opts: Partial<DeviceOptions> = {}) =>
  connectTestDevice(broker(), { clientId, ...opts });

describe('authentication through the hub auth', () => {
  it('password file: right password connects, wrong one is bad_credentials, counted by protocol', async () => {
    const base = await h.hub.metrics.value('protohub_connections_refused_total', { protocol: 'mqttsn' });
    const wrong = await broker().connectDevice({
      protocol: 'mqttsn',
      gateway: 'mqttsn.test',
      clientId: 'pw-wrong',
      username: 'sensor',
      password: Buffer.from('nope'),
      peerAddress: '127.0.0.1',
      cleanStart: true,
      sessionExpiry: 0,
      handler: new TestDevice().handler,
    });
    expect(wrong).toMatchObject({ ok: false, reason: 'bad_credentials' });
    expect(await h.hub.metrics.value('protohub_connections_refused_total', { protocol: 'mqttsn' })).toBe(base + 1);
    const ok = await device('pw-ok', { username: 'sensor', password: Buffer.from('secret') });
    expect(ok.session.info).toMatchObject({ clientId: 'pw-ok', username: 'sensor', protocol: 'mqttsn' });
    ok.session.close();
  });

  it('allow_anonymous per gateway overrides the hub: false refuses an anonymous device (not_authorized)', async () => {
    const r = await broker().connectDevice({
      protocol: 'mqttsn',
      gateway: 'mqttsn.strict',
      clientId: 'anon-strict',
      peerAddress: '127.0.0.1',
      cleanStart: true,
      sessionExpiry: 0,
      allowAnonymous: false,
      handler: new TestDevice().handler,
    });
    expect(r).toMatchObject({ ok: false, reason: 'not_authorized' });
    const open = await device('anon-open', { allowAnonymous: true });
    open.session.close();
  });

  it('client ids the broker cannot accept are refused ($hub/ prefix, empty)', async () => {
    for (const clientId of ['$hub/x', '']) {
      const r = await broker().connectDevice({
        protocol: 'mqttsn',
        gateway: 'mqttsn.test',
        clientId,
        peerAddress: '127.0.0.1',
        cleanStart: true,
        sessionExpiry: 0,
        handler: new TestDevice().handler,
      });
      expect(r).toMatchObject({ ok: false, reason: 'bad_clientid' });
    }
  });
});

describe('authorization by the same rules as a TCP client', () => {
  it('${clientid} rule: own subtree allowed (seen by MQTT.js), another device subtree denied', async () => {
    const sub = await connectV5(h.url, { clientId: 'authz-watch' });
    await subscribe(sub, 'devices/#', { qos: 1 });
    const d = await device('d1');
    const got = collect(sub, 1);
    await d.session.publish({ topic: 'devices/d1/temp', payload: Buffer.from('21'), qos: 1, retain: false });
    expect((await got)[0].topic).toBe('devices/d1/temp');
    await expect(
      d.session.publish({ topic: 'devices/d2/temp', payload: Buffer.from('x'), qos: 1, retain: false }),
    ).rejects.toMatchObject({ code: 'PH_AUTH_NOT_AUTHORIZED' });
    expect(d.session.subscribe([{ filter: 'devices/d2/#', qos: 1 }])).toEqual([
      { ok: false, reason: 'not_authorized' },
    ]);
    expect(d.session.subscribe([{ filter: 'devices/d1/#', qos: 2 }])).toEqual([{ ok: true, qos: 2 }]);
    d.session.close();
  });

  it('BrokerApi.publish({ authorize: true }) checks the device identity; $hub/ ids are trusted', async () => {
    const d = await device('d3');
    await expect(
      broker().publish(envelope('devices/d9/x', 'no'), { clientId: 'd3', authorize: true }),
    ).rejects.toMatchObject({ code: 'PH_AUTH_NOT_AUTHORIZED' });
    await broker().publish(envelope('devices/d3/x', 'yes'), { clientId: 'd3', authorize: true });
    await broker().publish(envelope('devices/d9/x', 'hub'), { clientId: '$hub/test', authorize: true });
    d.session.close();
  });
});

describe('run-time subscriptions', () => {
  it('retained message delivered after subscribe (retain set), live ones without; unsubscribe stops them', async () => {
    const pub = await connectV5(h.url, { clientId: 'ret-pub' });
    await pub.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
    const d = await device('ret-dev');
    expect(d.session.subscribe([{ filter: 'ret/#', qos: 1 }])).toEqual([{ ok: true, qos: 1 }]);
    expect(d.deliveries).toHaveLength(0); // [MQTT-3.8.4-4] not before the gateway answered (SUBACK)
    const [retained] = await d.waitFor(1);
    expect(retained).toMatchObject({ topic: 'ret/a', retain: true, qos: 1 });
    expect(retained.payload.toString()).toBe('kept');
    retained.ack();
    await pub.publishAsync('ret/b', 'live', { qos: 1 });
    const [, live] = await d.waitFor(2);
    expect(live).toMatchObject({ topic: 'ret/b', retain: false });
    live.ack();
    expect(d.session.unsubscribe(['ret/#', 'never/#'])).toEqual([true, false]);
    d.session.subscribe([{ filter: 'sentinel/ret', qos: 0, retainHandling: 2 }]);
    await pub.publishAsync('ret/c', 'after', { qos: 1 });
    await pub.publishAsync('sentinel/ret', 'end', { qos: 0 });
    const [, , third] = await d.waitFor(3);
    expect(third.topic).toBe('sentinel/ret');
    await pub.publishAsync('ret/a', '', { qos: 1, retain: true }); // clear the retained message
    d.session.close();
  });
});

describe('will', () => {
  it('published on abnormal loss (lose), not on a normal close', async () => {
    const watch = await connectV5(h.url, { clientId: 'will-watch' });
    await subscribe(watch, 'wills/#', { qos: 0 });
    const will = { topic: 'wills/lost', payload: Buffer.from('gone'), qos: 0 as const, retain: false };
    const lost = await device('will-lost', { will });
    const got = collect(watch, 1);
    lost.session.lose('test: link down');
    expect((await got)[0].payload.toString()).toBe('gone');

    const clean = await device('will-clean', { will: { ...will, topic: 'wills/clean' } });
    const before = collectUntil(watch, payloadIs('sentinel'));
    clean.session.close();
    await watch.publishAsync('wills/sentinel', 'sentinel');
    expect((await before).map((m) => m.topic)).toEqual([]);
  });

  it('keep-alive expiry loses the device: will published, handler told keepalive_timeout', async () => {
    const watch = await connectV5(h.url, { clientId: 'ka-watch' });
    await subscribe(watch, 'wills/ka', { qos: 0 });
    const got = collect(watch, 1);
    const d = await device('ka-dev', {
      keepAlive: 1,
      will: { topic: 'wills/ka', payload: Buffer.from('silent'), qos: 0, retain: false },
    });
    expect(await d.closed()).toBe('keepalive_timeout');
    expect((await got)[0].payload.toString()).toBe('silent');
  });
});

describe('takeover', () => {
  it('[MQTT-3.1.4-3] a TCP client with the same id takes over a device session (device told taken_over)', async () => {
    const d = await device('same-1');
    await connectV5(h.url, { clientId: 'same-1' });
    expect(await d.closed()).toBe('taken_over');
    expect(d.session.closed).toBe(true);
  });

  it('a device takes over a TCP client (v5 DISCONNECT 0x8E) and another device session', async () => {
    const tcp = await connectV5(h.url, { clientId: 'same-2' });
    const disconnected = new Promise<number | undefined>((resolve) =>
      tcp.once('disconnect', (p) => resolve(p.reasonCode)),
    );
    const first = await device('same-2');
    expect(await disconnected).toBe(0x8e);
    const second = await device('same-2');
    expect(await first.closed()).toBe('taken_over');
    expect(second.session.closed).toBe(false);
    second.session.close();
  });
});

describe('persistent session', () => {
  it('subscriptions and QoS 1 messages queued while away are delivered on reconnect (session present)', async () => {
    const d1 = await device('persist', { cleanStart: false, sessionExpiry: 3600 });
    expect(d1.sessionPresent).toBe(false);
    d1.session.subscribe([{ filter: 'persist/#', qos: 1 }]);
    d1.session.close();
    const pub = await connectV3(h.url, { clientId: 'persist-pub' });
    for (const n of [1, 2, 3]) await pub.publishAsync('persist/x', `m${n}`, { qos: 1 });
    const d2 = await device('persist', { cleanStart: false, sessionExpiry: 3600 });
    expect(d2.sessionPresent).toBe(true);
    const got = await d2.waitFor(3);
    expect(got.map((m) => m.payload.toString())).toEqual(['m1', 'm2', 'm3']);
    for (const m of got) m.ack();
    d2.session.close({ sessionExpiry: 0 });
  });
});

describe('mountpoint', () => {
  it('prepended on the way in, stripped on the way out, ${clientid} expanded', async () => {
    const watch = await connectV5(h.url, { clientId: 'mp-watch' });
    await subscribe(watch, 'sn/#', { qos: 0 });
    const d = await device('m1', { mountpoint: 'sn/${clientid}/' });
    expect(d.session.info.mountpoint).toBe('sn/m1/');
    const up = collect(watch, 1);
    await d.session.publish({ topic: 'up', payload: Buffer.from('u'), qos: 0, retain: false });
    expect((await up)[0].topic).toBe('sn/m1/up');
    d.session.subscribe([{ filter: 'down/#', qos: 0 }]);
    await watch.publishAsync('sn/m1/down/a', 'd');
    const [down] = await d.waitFor(1);
    expect(down.topic).toBe('down/a');
    d.session.close();
  });

  it('a mountpoint made invalid by the client id (wildcard) refuses the device', async () => {
    const r = await broker().connectDevice({
      protocol: 'mqttsn',
      gateway: 'mqttsn.test',
      clientId: 'bad+id',
      mountpoint: 'sn/${clientid}/',
      peerAddress: '127.0.0.1',
      cleanStart: true,
      sessionExpiry: 0,
      handler: new TestDevice().handler,
    });
    expect(r).toMatchObject({ ok: false, reason: 'bad_clientid' });
  });
});

describe('flow control', () => {
  it('in-flight window holds QoS 1 deliveries until acked; the bounded queue drops and counts the rest', async () => {
    const dropped = () => h.hub.metrics.value('protohub_messages_dropped_total', { reason: 'queue_full' });
    const base = await dropped();
    const d = await device('window', { inflightWindow: 2 });
    d.session.subscribe([{ filter: 'win/#', qos: 1 }]);
    const pub = await connectV5(h.url, { clientId: 'win-pub' });
    // each publishAsync resolves on PUBACK, after the broker routed the message: 2 in flight, 3 queued, 5 dropped
    for (let i = 0; i < 10; i++) await pub.publishAsync('win/x', `m${i}`, { qos: 1 });
    expect(d.deliveries).toHaveLength(2);
    expect((await dropped()) - base).toBe(5);
    d.deliveries[0].ack();
    d.deliveries[1].ack();
    const got = await d.waitFor(4);
    expect(got.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2', 'm3']);
    d.session.close();
  });

  it('sleep parks deliveries until wake', async () => {
    const d = await device('sleeper');
    d.session.subscribe([{ filter: 'sleep/#', qos: 0 }]);
    d.session.sleep();
    const pub = await connectV5(h.url, { clientId: 'sleep-pub' });
    await pub.publishAsync('sleep/a', 'zz', { qos: 1 });
    expect(d.deliveries).toHaveLength(0);
    expect(d.session.info.asleep).toBe(true);
    d.session.wake();
    expect((await d.waitFor(1))[0].payload.toString()).toBe('zz');
    d.session.close();
  });
});

describe('observability', () => {
  it('protohub_connections{protocol} counts device sessions; the registry lists them', async () => {
    const gauge = () => h.hub.metrics.value('protohub_connections', { protocol: 'mqttsn', listener: 'mqttsn.obs' });
    const d = await device('obs-1', { gateway: 'mqttsn.obs', peerPort: 5555 });
    expect(await gauge()).toBe(1);
    expect(await h.hub.metrics.value('protohub_connections_total', { protocol: 'mqttsn' })).toBeGreaterThan(0);
    expect((h.hub.status().broker as { devices: number }).devices).toBeGreaterThanOrEqual(1);
    d.session.close();
    await eventually(async () => (await gauge()) === 0, 'device connection gauge back to 0');
  });

  it('listed like a TCP client (protocol, gateway, peer) and kicked without its will', async () => {
    const b = broker() as unknown as Broker;
    const watch = await connectV5(h.url, { clientId: 'kick-watch' });
    await subscribe(watch, 'wills/#', { qos: 0 });
    const d = await device('kick-me', {
      gateway: 'mqttsn.obs',
      peerPort: 6000,
      will: { topic: 'wills/kick-me', payload: Buffer.from('no'), qos: 0, retain: false },
    });
    const session = findClient(b, 'kick-me')!;
    expect(clientInfo(b, session)).toMatchObject({
      clientid: 'kick-me',
      protocol: 'mqttsn',
      listener: 'mqttsn.obs',
      ip_address: '127.0.0.1',
      port: 6000,
      connected: true,
    });
    const before = collectUntil(watch, payloadIs('sentinel'));
    expect(kickClient(b, 'kick-me')).toBe(true);
    expect(await d.closed()).toBe('kicked');
    await watch.publishAsync('wills/sentinel', 'sentinel');
    expect(await before).toEqual([]);
    expect(findClient(b, 'kick-me')).toBeUndefined();
  });
});
