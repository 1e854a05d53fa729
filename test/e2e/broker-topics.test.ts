/**
 * Topic semantics: `$`-topics vs wildcards, topic name/filter validation, overlapping subscriptions,
 * no-local, and topic aliases in both directions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IPublishPacket } from 'mqtt';
import { envelope } from '../../src/envelope.js';
import {
  closeAllClients,
  collect,
  collectUntil,
  connectV3,
  connectV5,
  payloadIs,
  RawClient,
} from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

let h: StartedHub;
beforeAll(async () => {
  h = await startHub({ mqtt: { max_topic_alias: 10 } });
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const ids = (p: IPublishPacket): number[] => {
  const s = p.properties?.subscriptionIdentifier;
  return s === undefined ? [] : (Array.isArray(s) ? s : [s]).sort((a, b) => a - b);
};

describe('topic names and filters', () => {
  it('[MQTT-4.7.2-1] # and + at the first level do not match topics starting with $', async () => {
    const wild = await connectV5(h.url, { clientId: 'dollar-wild' });
    await wild.subscribeAsync(['#', '+/sys/x'], { qos: 1 });
    const dollar = await connectV5(h.url, { clientId: 'dollar-explicit' });
    await dollar.subscribeAsync('$test/sys/x', { qos: 1 });
    const explicit = collect(dollar, 1);
    const before = collectUntil(wild, 'dollar/sentinel');
    await h.hub.broker.publish(envelope('$test/sys/x', 'internal', { qos: 1 }));
    await h.hub.broker.publish(envelope('dollar/sentinel', 'end', { qos: 1 }));
    expect((await explicit)[0].topic).toBe('$test/sys/x');
    expect((await before).filter((m) => m.topic.startsWith('$'))).toEqual([]);
  });

  it('[MQTT-3.3.2-2][MQTT-4.7.3-1] PUBLISH to a topic with a wildcard: v5 DISCONNECT 0x90, v3 close', async () => {
    const v5 = await RawClient.connect(h.port, { clientId: 'bad-topic-5' });
    v5.client.send({ cmd: 'publish', topic: 'a/+/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    expect((await v5.client.waitClose()).find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x90 });
    const v3 = await RawClient.connect(h.port, { clientId: 'bad-topic-3' }, { version: 4 });
    v3.client.send({ cmd: 'publish', topic: 'a/#', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    await v3.client.waitClose();
  });

  it('[MQTT-4.7.1-1][MQTT-4.7.1-2][MQTT-3.9.3-1] an invalid filter gets SUBACK 0x8F (v5) / 0x80 (v3), valid ones still granted', async () => {
    const v5 = await RawClient.connect(h.port, { clientId: 'bad-filter-5' });
    v5.client.send({
      cmd: 'subscribe',
      messageId: 3,
      subscriptions: [
        { topic: 'a/#/b', qos: 1 },
        { topic: 'ok/+', qos: 1 },
        { topic: 'a+/b', qos: 0 },
      ],
    });
    expect((await v5.client.next<{ granted: number[] }>('suback')).granted).toEqual([0x8f, 1, 0x8f]);
    const v3 = await RawClient.connect(h.port, { clientId: 'bad-filter-3' }, { version: 4 });
    v3.client.send({
      cmd: 'subscribe',
      messageId: 4,
      subscriptions: [
        { topic: 'x/#/y', qos: 1 },
        { topic: 'ok/#', qos: 2 },
      ],
    });
    expect((await v3.client.next<{ granted: number[] }>('suback')).granted).toEqual([0x80, 2]);
  });

  it('[MQTT-3.3.4-2][MQTT-3.3.4-3] overlapping subscriptions: one copy, max QoS, every subscription identifier', async () => {
    const sub = await connectV5(h.url, { clientId: 'overlap' });
    await sub.subscribeAsync('ov/#', { qos: 0, properties: { subscriptionIdentifier: 1 } });
    await sub.subscribeAsync('ov/+', { qos: 2, properties: { subscriptionIdentifier: 2 } });
    await sub.subscribeAsync('ov/x', { qos: 1, properties: { subscriptionIdentifier: 3 } });
    const before = collectUntil(sub, 'ov/end');
    const pub = await connectV5(h.url, { clientId: 'overlap-pub' });
    await pub.publishAsync('ov/x', 'one', { qos: 2 });
    await pub.publishAsync('ov/end', 'end', { qos: 2 });
    const got = await before;
    expect(got).toHaveLength(1);
    expect(got[0].packet.qos).toBe(2);
    expect(ids(got[0].packet)).toEqual([1, 2, 3]);
  });

  it('[MQTT-3.3.4-2] overlapping subscriptions of a v3.1.1 client: one copy at max QoS', async () => {
    const sub = await connectV3(h.url, { clientId: 'overlap-v3' });
    await sub.subscribeAsync({ 'ov3/#': { qos: 0 }, 'ov3/+': { qos: 1 } });
    const before = collectUntil(sub, 'ov3/end');
    const pub = await connectV3(h.url, { clientId: 'overlap-v3-pub' });
    await pub.publishAsync('ov3/x', 'one', { qos: 1 });
    await pub.publishAsync('ov3/end', 'end', { qos: 1 });
    const got = await before;
    expect(got.map((m) => [m.payload.toString(), m.packet.qos])).toEqual([['one', 1]]);
  });

  it('[MQTT-3.8.3-3] no-local: own messages are not delivered back', async () => {
    const self = await connectV5(h.url, { clientId: 'nolocal' });
    await self.subscribeAsync('nl/t', { qos: 1, nl: true });
    const before = collectUntil(self, payloadIs('from-other'));
    await self.publishAsync('nl/t', 'from-self', { qos: 1 });
    const other = await connectV5(h.url, { clientId: 'nolocal-other' });
    await other.publishAsync('nl/t', 'from-other', { qos: 1 });
    expect(await before).toEqual([]);
  });
});

describe('topic aliases', () => {
  it('[MQTT-3.2.2-17][MQTT-3.3.2-12] inbound alias: set with a topic, then used with an empty topic', async () => {
    const sub = await connectV5(h.url, { clientId: 'alias-sub' });
    await sub.subscribeAsync('alias/in', { qos: 1 });
    const got = collect(sub, 2);
    const { client, connack } = await RawClient.connect(h.port, { clientId: 'alias-in' });
    expect(connack.properties?.topicAliasMaximum).toBe(10);
    const base = { cmd: 'publish' as const, payload: Buffer.from('a'), qos: 1 as const, retain: false, dup: false };
    client.send({ ...base, topic: 'alias/in', messageId: 1, properties: { topicAlias: 4 } });
    client.send({ ...base, topic: '', payload: Buffer.from('b'), messageId: 2, properties: { topicAlias: 4 } });
    expect((await got).map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['alias/in', 'a'],
      ['alias/in', 'b'],
    ]);
    // The alias is per connection: the subscriber never sees it.
    expect((await got).every((m) => m.packet.properties?.topicAlias === undefined)).toBe(true);
  });

  it('[MQTT-3.3.2-8][MQTT-3.3.2-9] alias 0 or above Topic Alias Maximum: DISCONNECT 0x94', async () => {
    for (const alias of [0, 11]) {
      const { client } = await RawClient.connect(h.port, { clientId: `alias-bad-${alias}` });
      client.send({
        cmd: 'publish',
        topic: 'alias/bad',
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { topicAlias: alias },
      });
      expect((await client.waitClose()).find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x94 });
    }
  });

  it('[MQTT-3.1.2-26][MQTT-3.3.2-11] outbound aliases stay within the client Topic Alias Maximum and resolve correctly', async () => {
    const { client } = await RawClient.connect(h.port, { clientId: 'alias-out', properties: { topicAliasMaximum: 2 } });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alias/out/#', qos: 0 }] });
    await client.next('suback');
    const pub = await connectV5(h.url, { clientId: 'alias-out-pub' });
    const topics = ['alias/out/a', 'alias/out/b', 'alias/out/c', 'alias/out/a', 'alias/out/b', 'alias/out/a'];
    for (const t of topics) await pub.publishAsync(t, t, { qos: 1 });
    const aliases = new Map<number, string>();
    const resolved: string[] = [];
    for (let i = 0; i < topics.length; i++) {
      const p = await client.next<IPublishPacket>('publish');
      const alias = p.properties?.topicAlias;
      if (alias !== undefined) {
        expect(alias).toBeGreaterThanOrEqual(1);
        expect(alias).toBeLessThanOrEqual(2);
        if (p.topic) aliases.set(alias, p.topic);
      }
      const topic = p.topic || (alias !== undefined ? aliases.get(alias) : undefined);
      expect(topic).toBe(p.payload.toString());
      resolved.push(topic!);
    }
    expect(resolved).toEqual(topics);
  });

  it('[MQTT-3.1.2-27] no outbound aliases when the client did not allow any', async () => {
    const { client } = await RawClient.connect(h.port, { clientId: 'alias-none' });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alias/none', qos: 0 }] });
    await client.next('suback');
    const pub = await connectV5(h.url, { clientId: 'alias-none-pub' });
    for (let i = 0; i < 3; i++) await pub.publishAsync('alias/none', String(i), { qos: 1 });
    for (let i = 0; i < 3; i++) {
      const p = await client.next<IPublishPacket>('publish');
      expect(p.properties?.topicAlias).toBeUndefined();
      expect(p.topic).toBe('alias/none');
    }
  });
});
