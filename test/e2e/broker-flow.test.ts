/**
 * Flow and queue limits: offline queue of persistent sessions with its drop counter, message expiry,
 * request/response properties, Receive Maximum and Maximum Packet Size in both directions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt';
import {
  closeAllClients,
  collect,
  collectUntil,
  connackOf,
  connectClient,
  connectV5,
  delay,
  payloadIs,
  RawClient,
  type Received,
  type Version,
} from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

let h: StartedHub;
beforeAll(async () => {
  h = await startHub({
    mqtt: {
      max_mqueue_len: 5,
      mqueue_overflow: 'drop_oldest',
      max_inflight: 3,
      receive_maximum: 3,
      max_packet_size: '1KB',
    },
  });
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const dropped = (reason: string) => h.hub.metrics.value('protohub_messages_dropped_total', { reason });

describe.each([5, 4] as Version[])('offline queue, protocol version %i', (v) => {
  it('[MQTT-3.1.2-5][MQTT-4.5.0-1] a persistent session queues while offline; overflow drops the oldest and counts it', async () => {
    const t = `queue/v${v}`;
    const session = {
      protocolVersion: v,
      clientId: `queue-${v}`,
      clean: false,
      ...(v === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
    };
    const sub = await connectClient(h.url, session);
    await sub.subscribeAsync(t, { qos: 1 });
    await sub.endAsync();
    const droppedBefore = await dropped('queue_full');
    const pub = await connectV5(h.url, { clientId: `queue-pub-${v}` });
    for (let i = 0; i < 8; i++) await pub.publishAsync(t, String(i), { qos: 1 });
    expect(await dropped('queue_full')).toBe(droppedBefore + 3);
    let got!: Promise<Received[]>;
    const back = await connectClient(h.url, session, (c) => {
      got = collect(c, 5);
    });
    expect((await got).map((m) => m.payload.toString())).toEqual(['3', '4', '5', '6', '7']);
    expect(connackOf(back).sessionPresent).toBe(true);
  });
});

describe('message expiry and request/response (v5)', () => {
  it('[MQTT-3.3.2-6] Message Expiry Interval is decremented by the time spent queued', async () => {
    const session = { clientId: 'expiry-dec', clean: false, properties: { sessionExpiryInterval: 600 } };
    const sub = await connectV5(h.url, session);
    await sub.subscribeAsync('exp/dec', { qos: 1 });
    await sub.endAsync();
    const pub = await connectV5(h.url, { clientId: 'expiry-dec-pub' });
    await pub.publishAsync('exp/dec', 'x', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await delay(2_100); // the property under test is elapsed time: there is no event to await
    let got!: Promise<Received[]>;
    await connectV5(h.url, session, (c) => {
      got = collect(c, 1);
    });
    const left = (await got)[0].packet.properties?.messageExpiryInterval;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(98);
  });

  it('[MQTT-3.3.2-5] an expired message is never delivered (queued or retained)', async () => {
    const session = { clientId: 'expiry-gone', clean: false, properties: { sessionExpiryInterval: 600 } };
    const sub = await connectV5(h.url, session);
    await sub.subscribeAsync('exp/gone', { qos: 1 });
    await sub.endAsync();
    const pub = await connectV5(h.url, { clientId: 'expiry-gone-pub' });
    await pub.publishAsync('exp/gone', 'stale', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('exp/gone/retained', 'stale', {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 1 },
    });
    await delay(2_100); // expiry is wall-clock time: there is no event to await
    let before!: Promise<Received[]>;
    const back = await connectV5(h.url, session, (c) => {
      before = collectUntil(c, payloadIs('fresh'));
    });
    await back.subscribeAsync('exp/gone/retained', { qos: 1 });
    await pub.publishAsync('exp/gone', 'fresh', { qos: 1 });
    expect((await before).map((m) => m.payload.toString())).toEqual([]);
  });

  it('[MQTT-3.3.2-15][MQTT-3.3.2-16][MQTT-3.3.2-17][MQTT-3.3.2-18][MQTT-3.3.2-20] request/response properties are forwarded unchanged', async () => {
    const sub = await connectV5(h.url, { clientId: 'reqres-sub' });
    await sub.subscribeAsync('rr/req', { qos: 1 });
    const got = collect(sub, 1);
    const pub = await connectV5(h.url, { clientId: 'reqres-pub' });
    const properties = {
      responseTopic: 'rr/resp/42',
      correlationData: Buffer.from('c0ffee', 'hex'),
      contentType: 'application/cbor',
      payloadFormatIndicator: false,
      userProperties: { z: '1', a: ['2', '3'] },
    };
    await pub.publishAsync('rr/req', Buffer.from([0xa1, 0x01, 0x02]), { qos: 1, properties });
    const [m] = await got;
    expect(m.packet.properties).toMatchObject(properties);
    expect(Object.keys(m.packet.properties?.userProperties ?? {})).toEqual(['z', 'a']);
  });
});

describe('Receive Maximum (v5)', () => {
  it('[MQTT-3.3.4-9] the hub sends no more unacknowledged QoS 1 messages than the client Receive Maximum', async () => {
    const { client } = await RawClient.connect(h.port, { clientId: 'rm-out', properties: { receiveMaximum: 2 } });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm/out', qos: 1 }] });
    await client.next('suback');
    const pub = await connectV5(h.url, { clientId: 'rm-out-pub' });
    for (let i = 0; i < 5; i++) await pub.publishAsync('rm/out', String(i), { qos: 1 });
    const first = [await client.next<IPublishPacket>('publish'), await client.next<IPublishPacket>('publish')];
    // A PINGREQ round trip after all 5 were routed: a third PUBLISH would already have been written before it.
    client.send({ cmd: 'pingreq' });
    await client.next('pingresp');
    expect(client.received.filter((p) => p.cmd === 'publish')).toEqual([]);
    client.send({ cmd: 'puback', messageId: first[0].messageId });
    const third = await client.next<IPublishPacket>('publish');
    expect([...first, third].map((p) => p.payload.toString())).toEqual(['0', '1', '2']);
  });

  it('[MQTT-3.3.4-7] CONNACK announces Receive Maximum; exceeding it gets DISCONNECT 0x93', async () => {
    const { client, connack } = await RawClient.connect(h.port, { clientId: 'rm-in' });
    expect(connack.properties?.receiveMaximum).toBe(3);
    // QoS 2 without PUBREL keeps each message in flight.
    for (let id = 1; id <= 4; id++) {
      client.send({
        cmd: 'publish',
        topic: 'rm/in',
        payload: Buffer.from(String(id)),
        qos: 2,
        messageId: id,
        retain: false,
        dup: false,
      });
    }
    const got = await client.waitClose();
    expect(got.filter((p) => p.cmd === 'pubrec')).toHaveLength(3);
    expect(got.find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x93 });
  });
});

describe('Maximum Packet Size', () => {
  it('[MQTT-3.2.2-15] CONNACK announces it; a bigger inbound packet gets DISCONNECT 0x95 (v5)', async () => {
    const { client, connack } = await RawClient.connect(h.port, { clientId: 'mps-in' });
    expect(connack.properties?.maximumPacketSize).toBe(1024);
    client.send({ cmd: 'publish', topic: 'mps/in', payload: Buffer.alloc(2000, 1), qos: 0, retain: false, dup: false });
    expect((await client.waitClose()).find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x95 });
  });

  it('[MQTT-3.2.2-15] a v3.1.1 client sending a packet above the limit is disconnected', async () => {
    const { client } = await RawClient.connect(h.port, { clientId: 'mps-in-v3' }, { version: 4 });
    client.send({ cmd: 'publish', topic: 'mps/in', payload: Buffer.alloc(2000, 1), qos: 0, retain: false, dup: false });
    await client.waitClose();
  });

  it('[MQTT-3.1.2-24][MQTT-3.1.2-25] a message above the client Maximum Packet Size is skipped, later ones delivered', async () => {
    const { client } = await RawClient.connect(h.port, { clientId: 'mps-out', properties: { maximumPacketSize: 200 } });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'mps/out', qos: 1 }] });
    await client.next('suback');
    const droppedBefore = await dropped('too_large');
    const pub = await connectV5(h.url, { clientId: 'mps-out-pub' });
    await pub.publishAsync('mps/out', Buffer.alloc(500, 2), { qos: 1 });
    await pub.publishAsync('mps/out', 'small', { qos: 1 });
    const p = await client.next<IPublishPacket>('publish');
    expect(p.payload.toString()).toBe('small');
    expect(await dropped('too_large')).toBe(droppedBefore + 1);
  });
});
