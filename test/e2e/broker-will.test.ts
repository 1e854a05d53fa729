/**
 * Will messages: sent on abnormal close and takeover, not on a normal DISCONNECT, sent on DISCONNECT 0x04,
 * Will Delay Interval cancelled by reconnecting, and will properties forwarded unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IClientOptions } from 'mqtt';
import {
  closeAllClients,
  collect,
  collectUntil,
  connectClient,
  connectV5,
  dropConnection,
  eventually,
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

const connections = () => h.hub.metrics.value('protohub_connections');

function willOf(topic: string, extra: Partial<NonNullable<IClientOptions['will']>> = {}): IClientOptions['will'] {
  return { topic, payload: Buffer.from(`will of ${topic}`), qos: 1, retain: false, ...extra };
}

describe.each([5, 4] as Version[])('wills, protocol version %i', (v) => {
  it('[MQTT-3.1.2-8] the will is published when the connection closes without DISCONNECT', async () => {
    const t = `will/v${v}/abnormal`;
    const watcher = await connectV5(h.url, { clientId: `w-watch1-${v}` });
    await watcher.subscribeAsync(t, { qos: 1 });
    const got = collect(watcher, 1);
    const c = await connectClient(h.url, { protocolVersion: v, clientId: `w-abn-${v}`, will: willOf(t) });
    dropConnection(c);
    expect((await got)[0].payload.toString()).toBe(`will of ${t}`);
  });

  it('[MQTT-3.1.2-8][MQTT-3.1.4-3] the will of a taken-over connection is published', async () => {
    const t = `will/v${v}/takeover`;
    const watcher = await connectV5(h.url, { clientId: `w-watch2-${v}` });
    await watcher.subscribeAsync(t, { qos: 1 });
    const got = collect(watcher, 1);
    await connectClient(h.url, { protocolVersion: v, clientId: `w-tk-${v}`, will: willOf(t) });
    await connectClient(h.url, { protocolVersion: v, clientId: `w-tk-${v}`, clean: true });
    expect((await got)[0].payload.toString()).toBe(`will of ${t}`);
  });

  it('[MQTT-3.1.2-10][MQTT-3.14.4-3] no will after a normal DISCONNECT', async () => {
    const t = `will/v${v}/normal`;
    const watcher = await connectV5(h.url, { clientId: `w-watch3-${v}` });
    await watcher.subscribeAsync(t, { qos: 1 });
    const baseline = await connections();
    const before = collectUntil(watcher, (m) => m.payload.toString() === 'sentinel');
    const c = await connectClient(h.url, { protocolVersion: v, clientId: `w-norm-${v}`, will: willOf(t) });
    await c.endAsync();
    // The close raises no event at the hub's side we can await from here: poll the connections gauge.
    await eventually(async () => (await connections()) === baseline, 'connection closed at the hub');
    await watcher.publishAsync(t, 'sentinel', { qos: 1 });
    expect(await before).toEqual([]);
  });
});

describe('v5 will options', () => {
  it('[MQTT-3.14.2-1] DISCONNECT with reason 0x04 publishes the will', async () => {
    const t = 'will/v5/with-will';
    const watcher = await connectV5(h.url, { clientId: 'w-watch4' });
    await watcher.subscribeAsync(t, { qos: 1 });
    const got = collect(watcher, 1);
    const { client } = await RawClient.connect(h.port, {
      clientId: 'w-04',
      will: { topic: t, payload: Buffer.from('04'), qos: 1, retain: false },
    });
    client.send({ cmd: 'disconnect', reasonCode: 0x04 });
    expect((await got)[0].payload.toString()).toBe('04');
  });

  it('[MQTT-3.1.3-9] reconnecting within the Will Delay Interval cancels the will', async () => {
    const t = 'will/v5/delay';
    const watcher = await connectV5(h.url, { clientId: 'w-watch5' });
    await watcher.subscribeAsync(t, { qos: 1 });
    const persistent = { clean: false, properties: { sessionExpiryInterval: 60 } };
    const delayed = (name: string) => willOf(t, { payload: Buffer.from(name), properties: { willDelayInterval: 1 } });
    // `control` has the same delay and is dropped after `cancelled`, so once its will arrives the cancelled
    // one would have fired too: no sleep needed to prove a non-event.
    const before = collectUntil(watcher, (m) => m.payload.toString() === 'control');
    const cancelled = await connectV5(h.url, { clientId: 'w-cancel', ...persistent, will: delayed('cancelled') });
    dropConnection(cancelled);
    await connectV5(h.url, { clientId: 'w-cancel', ...persistent });
    const control = await connectV5(h.url, { clientId: 'w-control', ...persistent, will: delayed('control') });
    dropConnection(control);
    expect((await before).map((m) => m.payload.toString())).toEqual([]);
  });

  it('[MQTT-3.1.3-10][MQTT-3.3.2-15..20] will properties are forwarded with the will message', async () => {
    const t = 'will/v5/props';
    const watcher = await connectV5(h.url, { clientId: 'w-watch6' });
    await watcher.subscribeAsync(t, { qos: 1 });
    const got = collect(watcher, 1);
    const c = await connectV5(h.url, {
      clientId: 'w-props',
      will: willOf(t, {
        payload: Buffer.from('{"state":"offline"}'),
        properties: {
          contentType: 'application/json',
          responseTopic: 'will/v5/reply',
          correlationData: Buffer.from([1, 2, 3]),
          payloadFormatIndicator: true,
          messageExpiryInterval: 3600,
          userProperties: { site: 'plant-7', line: ['a', 'b'] },
        },
      }),
    });
    dropConnection(c);
    const [m] = await got;
    expect(m.packet.properties).toMatchObject({
      contentType: 'application/json',
      responseTopic: 'will/v5/reply',
      correlationData: Buffer.from([1, 2, 3]),
      payloadFormatIndicator: true,
      userProperties: { site: 'plant-7', line: ['a', 'b'] },
    });
    expect(m.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(3600);
    expect(m.packet.properties?.messageExpiryInterval).toBeGreaterThan(3500);
  });
});
