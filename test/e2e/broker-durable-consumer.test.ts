/**
 * Durable consumers (InternalSessionOptions.durableConsumer, what the SQLite bridge cache uses): the broker
 * writes no message rows for them while attached, and a publisher's PUBACK waits for the consumer's ack — or for
 * a counted drop — in PUBLISH order. Detaching hands what it held to the store; rows from an older version (or
 * an offline period) are delivered first, in order. Real hub, SQLite store, MQTT.js publishers over loopback.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/broker/api.js';
import type { HubConfigInput } from '../../src/config/schema.js';
import { envelope } from '../../src/envelope.js';
import { closeAllClients, connectClient, eventually, type MqttClient } from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(async () => {
  closeAllClients();
  await stopAllHubs();
  removeTempDirs();
});

const ID = '$hub/test/durable';

function sqliteHub(dir: string, mqtt: Record<string, unknown> = {}): Promise<StartedHub> {
  return startHub({ store: { type: 'sqlite', dir }, mqtt } as HubConfigInput);
}

function attach(
  h: StartedHub,
  seen: Delivery[],
  o: { durable?: boolean; window?: number; filter?: string; autoAck?: boolean } = {},
) {
  return h.hub.broker
    .session$({
      clientId: ID,
      persistent: true,
      durableConsumer: o.durable ?? true,
      receiveMaximum: o.window ?? 100,
      subscriptions: [{ filter: o.filter ?? 'dc/#', qos: 1 }],
    })
    .subscribe((d) => {
      seen.push(d);
      if (o.autoAck) d.ack();
    });
}

/** Publish without awaiting; `acked` records the payload when its PUBACK arrives. */
function publishTracked(client: MqttClient, topic: string, payload: string, acked: string[]): Promise<void> {
  return client.publishAsync(topic, payload, { qos: 1 }).then(() => void acked.push(payload));
}

/**
 * Every PUBACK the hub sent for PUBLISHes it processed before now has reached the client: a SUBACK requested
 * now is written after them on the same connection.
 */
async function roundTrip(client: MqttClient): Promise<void> {
  await client.subscribeAsync(`rt/${Date.now()}`, { qos: 0 });
}

const payloads = (ds: Delivery[]) => ds.map((d) => d.envelope.payload.toString());

describe('durable consumer sessions', () => {
  it('the PUBACK waits for the consumer ack, later PUBACKs queue behind it, and no message rows are written', async () => {
    const h = await sqliteHub(tempDir('protohub-dc-'));
    const seen: Delivery[] = [];
    const other: Delivery[] = [];
    const session = attach(h, seen);
    h.hub.broker
      .session$({ clientId: '$hub/test/plain', subscriptions: [{ filter: 'other/#', qos: 1 }] })
      .subscribe((d) => {
        other.push(d);
        d.ack();
      });
    const pub = await connectClient(h.url, { protocolVersion: 5 });
    const acked: string[] = [];
    const first = publishTracked(pub, 'dc/a', 'held', acked);
    const second = publishTracked(pub, 'other/b', 'after', acked); // no durable consumer: ready at once
    await eventually(() => seen.length === 1 && other.length === 1, 'both routed');
    await roundTrip(pub);
    expect(acked).toEqual([]); // [MQTT-4.6.0-2] the second may not overtake the held first

    let inProcessDone = false;
    const inProcess = h.hub.broker.publish(envelope('dc/c', 'in-process', { qos: 1 })).then(() => {
      inProcessDone = true;
    });
    await eventually(() => seen.length === 2, 'in-process publish routed');
    await roundTrip(pub);
    expect(inProcessDone).toBe(false);

    seen[0].ack();
    await Promise.all([first, second]);
    expect(acked).toEqual(['held', 'after']);
    seen[1].ack();
    await inProcess;

    // 200 more, acked as they come: the store sees no per-message writes (before: insert, update, delete each)
    session.unsubscribe();
    const acking: Delivery[] = [];
    attach(h, acking, { autoAck: true });
    await roundTrip(pub); // the re-attach's session row is committed
    const writes0 = await h.hub.metrics.value('protohub_store_writes_total');
    await Promise.all(Array.from({ length: 200 }, (_, i) => pub.publishAsync(`dc/m/${i % 7}`, String(i), { qos: 1 })));
    expect(acking.length).toBe(200);
    expect(await h.hub.metrics.value('protohub_store_writes_total')).toBeLessThan(writes0 + 10);
  });

  it('a message dropped by the queue limit releases its PUBACK; the held ones wait for the consumer', async () => {
    const h = await sqliteHub(tempDir('protohub-dc-'), {
      max_mqueue_len: 3,
      mqueue_overflow: 'drop_newest',
      queue_high_watermark: 0,
    });
    const seen: Delivery[] = [];
    attach(h, seen, { window: 1 });
    const holder = await connectClient(h.url, { protocolVersion: 5 });
    const heldAcks: string[] = [];
    const held = ['h0', 'h1', 'h2', 'h3'].map((p) => publishTracked(holder, 'dc/x', p, heldAcks));
    await eventually(() => seen.length === 1, 'first in flight');
    await roundTrip(holder); // h1..h3 queued behind it

    const dropped = await connectClient(h.url, { protocolVersion: 5 });
    const droppedAcks: string[] = [];
    await Promise.all(['d0', 'd1'].map((p) => publishTracked(dropped, 'dc/x', p, droppedAcks)));
    expect(droppedAcks.sort()).toEqual(['d0', 'd1']); // dropped (drop_newest), counted, and acknowledged
    expect(await h.hub.metrics.value('protohub_messages_dropped_total', { reason: 'queue_full' })).toBe(2);
    await roundTrip(holder);
    expect(heldAcks).toEqual([]);

    for (let i = 0; i < 4; i++) {
      await eventually(() => seen.length > i, `delivery ${i}`);
      seen[i].ack();
    }
    await Promise.all(held);
    expect(heldAcks).toEqual(['h0', 'h1', 'h2', 'h3']);
    expect(payloads(seen)).toEqual(['h0', 'h1', 'h2', 'h3']);
  });

  it('detaching stores what it held and releases the PUBACKs; re-attaching gets it again in order', async () => {
    const dir = tempDir('protohub-dc-');
    let h = await sqliteHub(dir);
    const seen: Delivery[] = [];
    const s = attach(h, seen, { window: 2 });
    const pub = await connectClient(h.url, { protocolVersion: 5 });
    const acked: string[] = [];
    const sent = ['0', '1', '2', '3', '4'].map((p) => publishTracked(pub, 'dc/d', p, acked));
    await eventually(() => seen.length === 2, 'window full');
    await roundTrip(pub);
    expect(acked).toEqual([]);
    s.unsubscribe(); // the bridge stopped (reload): its unacknowledged messages become rows
    await Promise.all(sent);
    expect(acked).toEqual(['0', '1', '2', '3', '4']);

    // across a restart too: the rows are the broker's now
    await h.stop();
    h = await sqliteHub(dir);
    const again: Delivery[] = [];
    attach(h, again, { window: 10 });
    await eventually(() => again.length === 5, 'redelivered');
    expect(payloads(again)).toEqual(['0', '1', '2', '3', '4']);
    expect(again.slice(0, 2).every((d) => d.redelivered)).toBe(true);
    again.forEach((d) => d.ack());
    await h.stop();

    h = await sqliteHub(dir);
    const last: Delivery[] = [];
    attach(h, last, { autoAck: true });
    await h.hub.broker.publish(envelope('dc/marker', 'marker', { qos: 1 })); // resolves on the ack
    await eventually(() => last.length >= 1, 'marker');
    expect(payloads(last)).toEqual(['marker']); // the acked rows are gone
  });

  it('rows left in the store by a plain persistent session (older version) drain first, in order, then live traffic', async () => {
    const dir = tempDir('protohub-dc-');
    let h = await sqliteHub(dir);
    attach(h, [], { durable: false }).unsubscribe(); // the old bridge session: subscribed, now offline
    for (let i = 0; i < 5; i++) await h.hub.broker.publish(envelope('dc/old', `old${i}`, { qos: 1 }));
    await h.stop();

    // a memory window of 2: three of the old rows stay paged in the store while live traffic arrives
    h = await sqliteHub(dir, { mqueue_memory_window: 2 });
    const seen: Delivery[] = [];
    attach(h, seen, { window: 1 });
    await eventually(() => seen.length === 1, 'first old row');
    const live = [0, 1, 2].map((i) => h.hub.broker.publish(envelope('dc/new', `new${i}`, { qos: 1 })));
    for (let i = 0; i < 8; i++) {
      await eventually(() => seen.length > i, `delivery ${i}`);
      seen[i].ack();
    }
    await Promise.all(live);
    expect(payloads(seen)).toEqual(['old0', 'old1', 'old2', 'old3', 'old4', 'new0', 'new1', 'new2']);
    await h.stop();

    h = await sqliteHub(dir);
    const last: Delivery[] = [];
    attach(h, last, { autoAck: true });
    await h.hub.broker.publish(envelope('dc/marker', 'marker', { qos: 1 })); // resolves on the ack
    await eventually(() => last.length >= 1, 'marker');
    expect(payloads(last)).toEqual(['marker']);
  });
});
