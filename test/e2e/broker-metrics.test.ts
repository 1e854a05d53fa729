/**
 * The broker's Prometheus metrics move with what clients do: connections, sessions, subscriptions,
 * retained messages, messages and bytes in/out per listener. Read in-process and from GET /metrics.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAllClients, collect, connectV3, connectV5, eventually } from '../support/clients.js';
import { scrapeMetric, startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

let h: StartedHub;
beforeAll(async () => {
  h = await startHub({ http: { enable: true, bind: '127.0.0.1:0' } });
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const tcp = { listener: 'tcp:default' };
const value = (name: string, labels: Record<string, string> = {}) => h.hub.metrics.value(name, labels);

describe('broker metrics', () => {
  it('connections, sessions and subscriptions gauges follow clients', async () => {
    const base = {
      conns: await value('protohub_connections', tcp),
      sessions: await value('protohub_sessions'),
      subs: await value('protohub_subscriptions'),
    };
    const a = await connectV5(h.url, { clientId: 'm-a' });
    const b = await connectV3(h.url, { clientId: 'm-b' });
    expect(await value('protohub_connections', tcp)).toBe(base.conns + 2);
    expect(await value('protohub_sessions')).toBe(base.sessions + 2);
    await a.subscribeAsync(['m/1', 'm/2'], { qos: 1 });
    expect(await value('protohub_subscriptions')).toBe(base.subs + 2);
    await a.unsubscribeAsync('m/1');
    expect(await value('protohub_subscriptions')).toBe(base.subs + 1);
    await a.endAsync();
    await b.endAsync();
    // The hub sees the close after the client does: poll (no event reaches the test).
    await eventually(
      async () => (await value('protohub_connections', tcp)) === base.conns,
      'connections back to baseline',
    );
    expect(await value('protohub_sessions')).toBe(base.sessions);
    expect(await value('protohub_subscriptions')).toBe(base.subs);
  });

  it('messages and bytes in/out per listener, retained gauge', async () => {
    const before = {
      in: await value('protohub_messages_received_total', tcp),
      out: await value('protohub_messages_sent_total', tcp),
      bytesIn: await value('protohub_bytes_received_total', tcp),
      bytesOut: await value('protohub_bytes_sent_total', tcp),
      retained: await value('protohub_retained_messages'),
    };
    const c = await connectV5(h.url, { clientId: 'm-io' });
    await c.subscribeAsync('m/io', { qos: 1 });
    const got = collect(c, 3);
    for (let i = 0; i < 3; i++) await c.publishAsync('m/io', Buffer.alloc(1000, i), { qos: 1 });
    await got;
    await c.publishAsync('m/io/kept', 'r', { qos: 1, retain: true });
    expect(await value('protohub_messages_received_total', tcp)).toBe(before.in + 4);
    expect(await value('protohub_messages_sent_total', tcp)).toBe(before.out + 3);
    expect(await value('protohub_bytes_received_total', tcp)).toBeGreaterThan(before.bytesIn + 3000);
    expect(await value('protohub_bytes_sent_total', tcp)).toBeGreaterThan(before.bytesOut + 3000);
    expect(await value('protohub_retained_messages')).toBe(before.retained + 1);
    await c.publishAsync('m/io/kept', '', { qos: 1, retain: true });
    expect(await value('protohub_retained_messages')).toBe(before.retained);
  });

  it('GET /metrics serves the same counters as Prometheus text', async () => {
    const c = await connectV5(h.url, { clientId: 'm-http' });
    const inProcess = await value('protohub_connections', tcp);
    const port = h.hub.address('http').port;
    expect(await scrapeMetric(port, 'protohub_connections', tcp)).toBe(inProcess);
    expect(await scrapeMetric(port, 'protohub_messages_received_total', tcp)).toBe(
      await value('protohub_messages_received_total', tcp),
    );
    await c.endAsync();
  });
});
