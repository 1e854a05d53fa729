/**
 * Shared subscriptions ($share/{group}/{filter}): one copy per group, round robin between members,
 * unacknowledged QoS 1 messages of a member whose session ended go to another member.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt';
import { closeAllClients, collect, connectClient, connectV5, RawClient, type Received } from '../support/clients.js';
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

describe('shared subscriptions', () => {
  it('§4.8.2 a group gets one copy per message, round robin over its v5 and v3 members', async () => {
    const a = await connectV5(h.url, { clientId: 'sh-a' });
    const b = await connectClient(h.url, { protocolVersion: 4, clientId: 'sh-b' });
    const plain = await connectV5(h.url, { clientId: 'sh-plain' });
    await a.subscribeAsync('$share/g1/sh/rr', { qos: 1 });
    await b.subscribeAsync('$share/g1/sh/rr', { qos: 1 });
    await plain.subscribeAsync('sh/rr', { qos: 1 });
    // Round robin over two members: each gets exactly 5 of 10 (a skew shows up as a collect timeout).
    const gotA = collect(a, 5);
    const gotB = collect(b, 5);
    const everything = collect(plain, 10);
    const pub = await connectV5(h.url, { clientId: 'sh-pub' });
    for (let i = 0; i < 10; i++) await pub.publishAsync('sh/rr', String(i), { qos: 1 });
    expect(await everything).toHaveLength(10);
    const shared = [...(await gotA), ...(await gotB)].map((m) => Number(m.payload));
    expect(shared.sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('§4.8.2 retained messages are not sent for a shared subscription', async () => {
    const pub = await connectV5(h.url, { clientId: 'sh-ret-pub' });
    await pub.publishAsync('sh/ret', 'retained', { qos: 1, retain: true });
    const member = await connectV5(h.url, { clientId: 'sh-ret' });
    const got = collect(member, 1);
    await member.subscribeAsync('$share/g2/sh/ret', { qos: 1 });
    await pub.publishAsync('sh/ret', 'live', { qos: 1 });
    expect((await got)[0].payload.toString()).toBe('live');
    await pub.publishAsync('sh/ret', '', { qos: 1, retain: true });
  });

  it('§4.8.2 (SHOULD) unacknowledged QoS 1 messages of a member whose session ended go to another member', async () => {
    const { client: greedy } = await RawClient.connect(h.port, {
      clientId: 'sh-greedy',
      properties: { sessionExpiryInterval: 0 },
    });
    greedy.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g3/sh/redeliver', qos: 1 }] });
    await greedy.next('suback');
    const pub = await connectV5(h.url, { clientId: 'sh-re-pub' });
    // Only `greedy` is a member yet, so it receives both and acks neither.
    await pub.publishAsync('sh/redeliver', 'm1', { qos: 1 });
    await pub.publishAsync('sh/redeliver', 'm2', { qos: 1 });
    const held = [await greedy.next<IPublishPacket>('publish'), await greedy.next<IPublishPacket>('publish')];
    expect(held.map((p) => p.payload.toString())).toEqual(['m1', 'm2']);
    const other = await connectV5(h.url, { clientId: 'sh-other' });
    await other.subscribeAsync('$share/g3/sh/redeliver', { qos: 1 });
    const got = collect(other, 2);
    greedy.close(); // session expiry 0: the session ends with the connection
    expect((await got).map((m: Received) => m.payload.toString()).sort()).toEqual(['m1', 'm2']);
  });

  it('[MQTT-4.8.2-1][MQTT-4.8.2-2] a malformed share name gets SUBACK 0x8F (v5) / 0x80 (v3)', async () => {
    const v5 = await RawClient.connect(h.port, { clientId: 'sh-bad-5' });
    v5.client.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: '$share//x', qos: 1 },
        { topic: '$share/g+/x', qos: 1 },
        { topic: '$share/g', qos: 1 },
      ],
    });
    expect((await v5.client.next<{ granted: number[] }>('suback')).granted).toEqual([0x8f, 0x8f, 0x8f]);
    const v3 = await RawClient.connect(h.port, { clientId: 'sh-bad-3' }, { version: 4 });
    v3.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g#/x', qos: 1 }] });
    expect((await v3.client.next<{ granted: number[] }>('suback')).granted).toEqual([0x80]);
  });

  it('[MQTT-3.8.3-4] No Local on a shared subscription is a protocol error: DISCONNECT 0x82', async () => {
    const { client } = await RawClient.connect(h.port, { clientId: 'sh-nl' });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/nl', qos: 1, nl: true }] });
    expect((await client.waitClose()).find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x82 });
  });
});
