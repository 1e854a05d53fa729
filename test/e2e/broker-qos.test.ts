/**
 * QoS 0/1/2 in both directions for v5 and v3.1.1, exactly-once on inbound QoS 2 duplicates, outbound QoS 2
 * handshake, ordering, and DUP redelivery of unacknowledged messages on session resumption.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt';
import {
  closeAllClients,
  collect,
  collectUntil,
  connectClient,
  publishMany,
  RawClient,
  type Version,
} from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

let h: StartedHub;
beforeAll(async () => {
  h = await startHub();
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const versions: Version[] = [5, 4];

describe.each(versions)('QoS with protocol version %i', (v) => {
  it('[MQTT-3.8.4-8][MQTT-4.3.1-1][MQTT-4.3.2-1][MQTT-4.3.3-1] delivered at min(published, granted) QoS', async () => {
    const t = `qos/v${v}/min`;
    const sub2 = await connectClient(h.url, { protocolVersion: v, clientId: `q-sub2-${v}` });
    const sub1 = await connectClient(h.url, { protocolVersion: v, clientId: `q-sub1-${v}` });
    const pub = await connectClient(h.url, { protocolVersion: v, clientId: `q-pub-${v}` });
    expect((await sub2.subscribeAsync(t, { qos: 2 }))[0].qos).toBe(2);
    expect((await sub1.subscribeAsync(t, { qos: 1 }))[0].qos).toBe(1);
    const got2 = collect(sub2, 3);
    const got1 = collect(sub1, 3);
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(t, `q${qos}`, { qos });
    expect((await got2).map((m) => [m.payload.toString(), m.packet.qos])).toEqual([
      ['q0', 0],
      ['q1', 1],
      ['q2', 2],
    ]);
    expect((await got1).map((m) => [m.payload.toString(), m.packet.qos])).toEqual([
      ['q0', 0],
      ['q1', 1],
      ['q2', 1],
    ]);
  });

  it('[MQTT-4.6.0-6] QoS 1 messages from one publisher arrive in order', async () => {
    const t = `qos/v${v}/order`;
    const sub = await connectClient(h.url, { protocolVersion: v, clientId: `q-ord-sub-${v}` });
    const pub = await connectClient(h.url, { protocolVersion: v, clientId: `q-ord-pub-${v}` });
    await sub.subscribeAsync(t, { qos: 1 });
    const got = collect(sub, 200);
    await publishMany(
      pub,
      t,
      Array.from({ length: 200 }, (_, i) => String(i)),
    );
    expect((await got).map((m) => Number(m.payload))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('[MQTT-4.3.3-10][MQTT-4.3.3-11] inbound QoS 2 duplicate before PUBREL is delivered once; PUBREL gets PUBCOMP', async () => {
    const t = `qos/v${v}/once`;
    const sub = await connectClient(h.url, { protocolVersion: v, clientId: `q-once-sub-${v}` });
    await sub.subscribeAsync([t, `${t}/end`], { qos: 2 });
    const before = collectUntil(sub, `${t}/end`);
    const { client } = await RawClient.connect(h.port, { clientId: `q-once-raw-${v}` }, { version: v });
    const publish = {
      cmd: 'publish' as const,
      topic: t,
      payload: Buffer.from('once'),
      qos: 2 as const,
      messageId: 7,
      retain: false,
      dup: false,
    };
    client.send(publish);
    expect(await client.next('pubrec')).toMatchObject({ messageId: 7 });
    client.send({ ...publish, dup: true });
    expect(await client.next('pubrec')).toMatchObject({ messageId: 7 });
    client.send({ cmd: 'pubrel', messageId: 7 });
    expect(await client.next('pubcomp')).toMatchObject({ messageId: 7 });
    client.send({ ...publish, topic: `${t}/end`, messageId: 8, qos: 1 });
    await client.next('puback');
    expect((await before).map((m) => m.payload.toString())).toEqual(['once']);
  });

  it('[MQTT-4.3.3-3][MQTT-4.3.3-5] outbound QoS 2: PUBLISH, PUBREC → PUBREL, PUBCOMP', async () => {
    const t = `qos/v${v}/out2`;
    const { client } = await RawClient.connect(h.port, { clientId: `q-out2-${v}` }, { version: v });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: t, qos: 2 }] });
    await client.next('suback');
    const pub = await connectClient(h.url, { protocolVersion: v, clientId: `q-out2-pub-${v}` });
    await pub.publishAsync(t, 'two', { qos: 2 });
    const p = await client.next<IPublishPacket>('publish');
    expect(p.qos).toBe(2);
    expect(p.payload.toString()).toBe('two');
    client.send({ cmd: 'pubrec', messageId: p.messageId });
    expect(await client.next('pubrel')).toMatchObject({ messageId: p.messageId });
    client.send({ cmd: 'pubcomp', messageId: p.messageId });
    client.send({ cmd: 'pingreq' });
    await client.next('pingresp');
  });

  it('[MQTT-4.4.0-1][MQTT-3.3.1-1] unacked QoS 1 is resent with DUP=1 and the same packet id on reconnect', async () => {
    const t = `qos/v${v}/dup`;
    const id = `q-dup-${v}`;
    const session = { clientId: id, clean: false, ...(v === 5 ? { properties: { sessionExpiryInterval: 60 } } : {}) };
    const first = await RawClient.connect(h.port, session, { version: v });
    first.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: t, qos: 1 }] });
    await first.client.next('suback');
    const pub = await connectClient(h.url, { protocolVersion: v, clientId: `q-dup-pub-${v}` });
    await pub.publishAsync(t, 'again', { qos: 1 });
    const original = await first.client.next<IPublishPacket>('publish');
    expect(original.dup).toBe(false);
    first.client.close(); // no PUBACK
    await first.client.closed;
    const second = await RawClient.connect(h.port, session, { version: v });
    expect(second.connack.sessionPresent).toBe(true);
    const resent = await second.client.next<IPublishPacket>('publish');
    expect(resent).toMatchObject({ dup: true, messageId: original.messageId, qos: 1, topic: t });
    expect(resent.payload.toString()).toBe('again');
    second.client.send({ cmd: 'puback', messageId: resent.messageId });
  });

  it('[MQTT-4.4.0-1] an unanswered PUBREL is resent on reconnect (QoS 2 after PUBREC)', async () => {
    const t = `qos/v${v}/rel`;
    const id = `q-rel-${v}`;
    const session = { clientId: id, clean: false, ...(v === 5 ? { properties: { sessionExpiryInterval: 60 } } : {}) };
    const first = await RawClient.connect(h.port, session, { version: v });
    first.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: t, qos: 2 }] });
    await first.client.next('suback');
    const pub = await connectClient(h.url, { protocolVersion: v, clientId: `q-rel-pub-${v}` });
    await pub.publishAsync(t, 'x', { qos: 2 });
    const p = await first.client.next<IPublishPacket>('publish');
    first.client.send({ cmd: 'pubrec', messageId: p.messageId });
    await first.client.next('pubrel');
    first.client.close(); // no PUBCOMP
    await first.client.closed;
    const second = await RawClient.connect(h.port, session, { version: v });
    expect(await second.client.next('pubrel')).toMatchObject({ messageId: p.messageId });
    expect(second.client.received.filter((x) => x.cmd === 'publish')).toEqual([]);
    second.client.send({ cmd: 'pubcomp', messageId: p.messageId });
  });
});
