/**
 * Authentication (password file, anonymous off) and authorization (ACL rules) as clients see them:
 * CONNACK codes, PUBACK 0x87 / silent drop, SUBACK 0x87 / 0x80, and the not_authorized drop counter.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/auth/password-file-write.js';
import {
  closeAllClients,
  collect,
  collectUntil,
  connectClient,
  connectError,
  connectV3,
  connectV5,
  payloadIs,
  RawClient,
  type Version,
} from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

let h: StartedHub;
beforeAll(async () => {
  const passwordFile = join(tempDir('protohub-auth-'), 'passwd');
  await upsertUser(passwordFile, 'alice', 'wonderland');
  await upsertUser(passwordFile, 'bob', 'builder');
  h = await startHub({
    auth: { allow_anonymous: false, password_file: passwordFile },
    authorization: {
      no_match: 'allow',
      rules: [
        { permission: 'allow', who: { username: 'alice' }, action: 'all', topics: ['secret/#'] },
        { permission: 'deny', who: 'all', action: 'all', topics: ['secret/#'] },
        { permission: 'deny', who: 'all', action: 'publish', topics: ['readonly/#'] },
      ],
    },
  });
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const dropped = () => h.hub.metrics.value('protohub_messages_dropped_total', { reason: 'not_authorized' });

describe('authentication', () => {
  it('[MQTT-3.2.2-8] anonymous refused when allow_anonymous=false: v5 0x87/0x86, v3 0x05/0x04', async () => {
    const v5 = await connectError(h.url, { protocolVersion: 5, clientId: 'anon-5' });
    expect([0x86, 0x87]).toContain(v5.code);
    const v3 = await connectError(h.url, { protocolVersion: 4, clientId: 'anon-3' });
    expect([0x04, 0x05]).toContain(v3.code);
    expect(await h.hub.metrics.value('protohub_connections_refused_total')).toBeGreaterThanOrEqual(2);
  });

  it('[MQTT-3.1.4-2] wrong password refused: v5 0x86, v3 0x04; unknown user likewise', async () => {
    const v5 = await connectError(h.url, {
      protocolVersion: 5,
      clientId: 'bad-5',
      username: 'alice',
      password: 'nope',
    });
    expect(v5.code).toBe(0x86);
    const v3 = await connectError(h.url, {
      protocolVersion: 4,
      clientId: 'bad-3',
      username: 'alice',
      password: 'nope',
    });
    expect(v3.code).toBe(0x04);
    const ghost = await connectError(h.url, {
      protocolVersion: 5,
      clientId: 'ghost',
      username: 'mallory',
      password: 'x',
    });
    expect(ghost.code).toBe(0x86);
  });

  it('[MQTT-3.1.4-2] the right password connects with both protocol versions', async () => {
    await connectV5(h.url, { clientId: 'ok-5', username: 'alice', password: 'wonderland' });
    await connectV3(h.url, { clientId: 'ok-3', username: 'bob', password: 'builder' });
  });
});

describe.each([5, 4] as Version[])('authorization, protocol version %i', (v) => {
  const bob = { clientId: `bob-${v}`, username: 'bob', password: Buffer.from('builder') };

  it('[MQTT-3.3.5-2] a denied QoS 1 publish is acknowledged (v5 PUBACK 0x87, v3 PUBACK) and not delivered', async () => {
    const alice = await connectV5(h.url, { clientId: `alice-watch-${v}`, username: 'alice', password: 'wonderland' });
    await alice.subscribeAsync(['secret/#', 'open/#'], { qos: 1 });
    const before = collectUntil(alice, payloadIs('allowed'));
    const droppedBefore = await dropped();
    const { client } = await RawClient.connect(h.port, bob, { version: v });
    client.send({
      cmd: 'publish',
      topic: 'secret/plans',
      payload: Buffer.from('leak'),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    });
    const ack = await client.next<{ reasonCode?: number }>('puback');
    if (v === 5) expect(ack.reasonCode).toBe(0x87);
    client.send({
      cmd: 'publish',
      topic: 'open/x',
      payload: Buffer.from('allowed'),
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    });
    await client.next('puback');
    expect(await before).toEqual([]);
    expect(await dropped()).toBe(droppedBefore + 1);
    expect(client.isClosed).toBe(false);
  });

  it('[MQTT-3.9.3-1] a denied subscription gets SUBACK 0x87 (v5) / 0x80 (v3); the others in the packet are granted', async () => {
    const { client } = await RawClient.connect(h.port, { ...bob, clientId: `bob-sub-${v}` }, { version: v });
    client.send({
      cmd: 'subscribe',
      messageId: 5,
      subscriptions: [
        { topic: 'secret/#', qos: 1 },
        { topic: 'readonly/#', qos: 1 },
      ],
    });
    const { granted } = await client.next<{ granted: number[] }>('suback');
    expect(granted).toEqual([v === 5 ? 0x87 : 0x80, 1]);
  });

  it('per-user rule: alice may publish and subscribe under secret/#', async () => {
    const alice = await connectClient(h.url, {
      protocolVersion: v,
      clientId: `alice-${v}`,
      username: 'alice',
      password: 'wonderland',
    });
    const grants = await alice.subscribeAsync('secret/#', { qos: 1 });
    expect(grants[0].qos).toBe(1);
    const got = collect(alice, 1);
    await alice.publishAsync('secret/plans', 'mine', { qos: 1 });
    expect((await got)[0].payload.toString()).toBe('mine');
  });
});
