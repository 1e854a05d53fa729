/**
 * Graceful shutdown: on SIGTERM a spawned hub tells v5 clients DISCONNECT 0x8B (server shutting down),
 * closes v3.1.1 connections, and exits 0 within 5 s.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeAllClients, RawClient } from '../support/clients.js';
import { spawnConfig, spawnHub, stopAllHubs } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

describe('SIGTERM', () => {
  it('[MQTT-3.14.2-1] connected v5 clients receive DISCONNECT 0x8B and the process exits 0 within 5 s', async () => {
    const hub = await spawnHub(spawnConfig());
    const port = hub.address('tcp').port;
    const v5 = await RawClient.connect(port, { clientId: 'term-5' });
    const v3 = await RawClient.connect(port, { clientId: 'term-3' }, { version: 4 });
    v5.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'term/#', qos: 1 }] });
    await v5.client.next('suback');
    hub.kill('SIGTERM');
    const got = await v5.client.waitClose();
    expect(got.find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x8b });
    await v3.client.waitClose();
    const exit = await hub.waitExit(5_000);
    expect(exit, hub.output()).toEqual({ code: 0, signal: null });
  });
});
