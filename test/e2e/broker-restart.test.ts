/**
 * Durability across kill -9: 1,000 acknowledged QoS 1 messages queued for an offline persistent v5 session
 * in the sqlite store survive SIGKILL and a restart, and arrive in order.
 */
import { afterAll, afterEach, expect, it, describe } from 'vitest';
import { closeAllClients, collect, connackOf, connectV5, publishMany, type Received } from '../support/clients.js';
import { spawnConfig, spawnHub, stopAllHubs } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const COUNT = 1_000;

describe('restart (sqlite store)', () => {
  it('[MQTT-4.1.0-1][MQTT-4.3.2-2] a persistent session gets all 1,000 PUBACKed QoS 1 messages in order after kill -9; retained survives', async () => {
    const first = await spawnHub(spawnConfig({ mqtt: { max_mqueue_len: 10_000 } }));
    const url = () => `mqtt://127.0.0.1:${first.address('tcp').port}`;
    const session = { clientId: 'restart-sub', clean: false, properties: { sessionExpiryInterval: 3600 } };
    const sub = await connectV5(url(), session);
    await sub.subscribeAsync('restart/t', { qos: 1 });
    await sub.endAsync();

    const pub = await connectV5(url(), { clientId: 'restart-pub' });
    // publishAsync resolves on PUBACK (and rejects on a v5 PUBACK reason >= 0x80), one message at a time in order.
    await publishMany(
      pub,
      'restart/t',
      Array.from({ length: COUNT }, (_, i) => String(i)),
      { qos: 1 },
      1,
    );
    await pub.publishAsync('restart/retained', 'kept across kill -9', { qos: 1, retain: true });
    pub.end(true);

    first.kill('SIGKILL');
    expect((await first.waitExit()).signal).toBe('SIGKILL');

    const second = await spawnHub(first.configFile);
    let got!: Promise<Received[]>;
    const back = await connectV5(`mqtt://127.0.0.1:${second.address('tcp').port}`, session, (c) => {
      got = collect(c, COUNT, { timeoutMs: 30_000 });
    });
    expect(connackOf(back).sessionPresent).toBe(true);
    const payloads = (await got).map((m) => Number(m.payload.toString()));
    expect(payloads).toEqual(Array.from({ length: COUNT }, (_, i) => i));

    // [MQTT-3.3.1-5] retained messages are part of the durable state too.
    const late = await connectV5(`mqtt://127.0.0.1:${second.address('tcp').port}`, { clientId: 'restart-late' });
    const retained = collect(late, 1);
    await late.subscribeAsync('restart/retained', { qos: 1 });
    const [r] = await retained;
    expect([r.payload.toString(), r.packet.retain]).toEqual(['kept across kill -9', true]);
  });

  it('[MQTT-4.1.0-1] a clean restart (SIGTERM) keeps the offline QoS 2 queue and retained messages', async () => {
    const first = await spawnHub(spawnConfig());
    const url = `mqtt://127.0.0.1:${first.address('tcp').port}`;
    const session = { clientId: 'term-restart', clean: false, properties: { sessionExpiryInterval: 3600 } };
    const sub = await connectV5(url, session);
    await sub.subscribeAsync('term/t', { qos: 2 });
    await sub.endAsync();
    const pub = await connectV5(url, { clientId: 'term-restart-pub' });
    await publishMany(pub, 'term/t', ['a', 'b', 'c'], { qos: 2 }, 1);
    await pub.publishAsync('term/retained', 'kept across SIGTERM', { qos: 1, retain: true });
    pub.end(true);
    first.kill('SIGTERM');
    expect((await first.waitExit()).code).toBe(0);

    const second = await spawnHub(first.configFile);
    const url2 = `mqtt://127.0.0.1:${second.address('tcp').port}`;
    let got!: Promise<Received[]>;
    await connectV5(url2, session, (c) => {
      got = collect(c, 3);
    });
    expect((await got).map((m) => [m.payload.toString(), m.packet.qos])).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ]);
    const late = await connectV5(url2, { clientId: 'term-restart-late' });
    const retained = collect(late, 1);
    await late.subscribeAsync('term/retained', { qos: 1 });
    expect((await retained)[0].payload.toString()).toBe('kept across SIGTERM');
  });
});
