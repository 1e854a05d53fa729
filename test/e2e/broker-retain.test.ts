/**
 * Retained messages: store, replace, delete, RETAIN flag on delivery, Retain Handling 0/1/2 and Retain As
 * Published. "Not delivered" is proven with a live sentinel on the same topic published afterwards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeAllClients,
  collect,
  collectUntil,
  connectClient,
  connectV5,
  payloadIs,
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

describe.each([5, 4] as Version[])('retained messages, protocol version %i', (v) => {
  const client = (id: string) => connectClient(h.url, { protocolVersion: v, clientId: `${id}-${v}` });

  it('[MQTT-3.3.1-5][MQTT-3.3.1-8] a retained message is stored and sent to new subscribers with RETAIN=1', async () => {
    const t = `ret/v${v}/store`;
    const pub = await client('r-pub');
    await pub.publishAsync(t, 'kept', { qos: 1, retain: true });
    const sub = await client('r-sub');
    const got = collect(sub, 1);
    await sub.subscribeAsync(t, { qos: 1 });
    const [m] = await got;
    expect(m.payload.toString()).toBe('kept');
    expect(m.packet.retain).toBe(true);
    expect(await h.hub.metrics.value('protohub_retained_messages')).toBeGreaterThanOrEqual(1);
  });

  it('[MQTT-3.3.1-5] a newer retained message replaces the old one', async () => {
    const t = `ret/v${v}/replace`;
    const pub = await client('r-pub2');
    await pub.publishAsync(t, 'old', { qos: 1, retain: true });
    await pub.publishAsync(t, 'new', { qos: 1, retain: true });
    const sub = await client('r-sub2');
    const before = collectUntil(sub, payloadIs('live'));
    await sub.subscribeAsync(t, { qos: 1 });
    await pub.publishAsync(t, 'live', { qos: 1 });
    expect((await before).map((m) => m.payload.toString())).toEqual(['new']);
  });

  it('[MQTT-3.3.1-6][MQTT-3.3.1-7] a zero-byte retained message deletes it and is not stored', async () => {
    const t = `ret/v${v}/delete`;
    const pub = await client('r-pub3');
    await pub.publishAsync(t, 'gone soon', { qos: 1, retain: true });
    await pub.publishAsync(t, '', { qos: 1, retain: true });
    const sub = await client('r-sub3');
    const before = collectUntil(sub, payloadIs('live'));
    await sub.subscribeAsync(t, { qos: 1 });
    await pub.publishAsync(t, 'live', { qos: 1 });
    expect(await before).toEqual([]);
  });

  it('[MQTT-3.3.1-9][MQTT-3.3.1-12] live delivery to an existing subscription clears RETAIN', async () => {
    const t = `ret/v${v}/live`;
    const sub = await client('r-sub4');
    await sub.subscribeAsync(t, { qos: 1 });
    const got = collect(sub, 1);
    const pub = await client('r-pub4');
    await pub.publishAsync(t, 'x', { qos: 1, retain: true });
    expect((await got)[0].packet.retain).toBe(false);
    await pub.publishAsync(t, '', { qos: 1, retain: true });
  });
});

describe('v5 subscription options for retained messages', () => {
  it('[MQTT-3.3.1-13] Retain As Published keeps RETAIN=1 on live delivery', async () => {
    const t = 'ret/rap';
    const sub = await connectV5(h.url, { clientId: 'rap-sub' });
    await sub.subscribeAsync(t, { qos: 1, rap: true });
    const got = collect(sub, 1);
    const pub = await connectV5(h.url, { clientId: 'rap-pub' });
    await pub.publishAsync(t, 'r', { qos: 1, retain: true });
    expect((await got)[0].packet.retain).toBe(true);
  });

  it('[MQTT-3.3.1-9][MQTT-3.3.1-10][MQTT-3.3.1-11] Retain Handling 0 always, 1 only for a new subscription, 2 never', async () => {
    const t = 'ret/rh';
    const pub = await connectV5(h.url, { clientId: 'rh-pub' });
    await pub.publishAsync(t, 'stored', { qos: 1, retain: true });
    const sub = await connectV5(h.url, { clientId: 'rh-sub' });
    const retainedBefore = async (rh: 0 | 1 | 2, marker: string): Promise<string[]> => {
      const before = collectUntil(sub, payloadIs(marker));
      await sub.subscribeAsync(t, { qos: 1, rh });
      await pub.publishAsync(t, marker, { qos: 1 });
      return (await before).map((m) => m.payload.toString());
    };
    expect(await retainedBefore(1, 'm1')).toEqual(['stored']); // new subscription
    expect(await retainedBefore(1, 'm2')).toEqual([]); // subscription already exists
    expect(await retainedBefore(0, 'm3')).toEqual(['stored']);
    expect(await retainedBefore(2, 'm4')).toEqual([]);
    await sub.unsubscribeAsync(t);
    expect(await retainedBefore(2, 'm5')).toEqual([]);
  });
});
