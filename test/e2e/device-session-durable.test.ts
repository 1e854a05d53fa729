/**
 * A device's QoS >= 1 publish is "accepted" (the PUBACK point) only once it is durable: at the moment the
 * promise resolves another SQLite connection already sees the message queued for an offline persistent
 * session, and it survives a restart of the hub.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeAllClients, collect, connectV5 } from '../support/clients.js';
import { connectTestDevice } from '../support/devices.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

describe('device publish accepted', () => {
  it('resolves after the store committed the message for an offline persistent subscriber', async () => {
    const dir = tempDir();
    const config = { store: { type: 'sqlite' as const, dir } };
    const first = await startHub(config);
    const offline = await connectV5(first.url, {
      clientId: 'durable-sub',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    await offline.subscribeAsync('dur/#', { qos: 1 });
    await offline.endAsync();

    const device = await connectTestDevice(first.hub.broker, { clientId: 'durable-dev' });
    const accepted = device.session.publish({ topic: 'dur/x', payload: Buffer.from('kept'), qos: 1, retain: false });
    const reader = new Database(join(dir, 'protohub.db'), { readonly: true, fileMustExist: true });
    const queued = () =>
      (
        reader.prepare("SELECT COUNT(*) AS n FROM session_messages WHERE client_id = 'durable-sub'").get() as {
          n: number;
        }
      ).n;
    try {
      expect(await accepted).toEqual({ matched: 1 });
      expect(queued()).toBe(1);
    } finally {
      reader.close();
    }
    device.session.close();
    await first.stop();

    const second = await startHub(config);
    const got: Promise<Array<{ payload: Buffer }>>[] = [];
    const back = await connectV5(
      second.url,
      { clientId: 'durable-sub', clean: false, properties: { sessionExpiryInterval: 3600 } },
      (c) => got.push(collect(c, 1)),
    );
    expect((await got[0])[0].payload.toString()).toBe('kept');
    await back.endAsync();
  });

  it('QoS 0 resolves at routing; a rejected publish reports a typed error', async () => {
    const h = await startHub({ mqtt: { max_qos_allowed: 1 } });
    const device = await connectTestDevice(h.hub.broker, { clientId: 'typed-dev' });
    await expect(
      device.session.publish({ topic: 'a/+', payload: Buffer.alloc(0), qos: 0, retain: false }),
    ).rejects.toMatchObject({ code: 'PH_TOPIC_INVALID' });
    await expect(
      device.session.publish({ topic: 'a/b', payload: Buffer.alloc(0), qos: 2, retain: false }),
    ).rejects.toMatchObject({ code: 'PH_PROTOCOL_QOS' });
    expect(await device.session.publish({ topic: 'a/b', payload: Buffer.alloc(0), qos: 0, retain: false })).toEqual({
      matched: 0,
    });
    device.session.close();
    await expect(
      device.session.publish({ topic: 'a/b', payload: Buffer.alloc(0), qos: 0, retain: false }),
    ).rejects.toMatchObject({ code: 'PH_STATE_DEVICE_CLOSED' });
  });
});
