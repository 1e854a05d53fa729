/**
 * The in-process API gateways and bridges use (src/broker/api.ts): the same routing, QoS, window and
 * persistence semantics a network client gets, without a TCP hop.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/broker/api.js';
import { envelope } from '../../src/envelope.js';
import { closeAllClients, collect, connectClient } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(async () => {
  await closeAllClients();
  await stopAllHubs();
  removeTempDirs();
});

describe('in-process broker API', () => {
  it('publish() reaches network subscribers and session$ receives network publishes, with properties intact', async () => {
    const h = await startHub();
    const sub = await connectClient(h.url, { protocolVersion: 5 });
    await sub.subscribeAsync('api/down/#', { qos: 1 });
    const got = collect(sub, 1);
    await h.hub.broker.publish(
      envelope('api/down/x', 'hello', {
        qos: 1,
        properties: { contentType: 'text/plain', userProperties: { k: 'v' } },
      }),
    );
    const [m] = await got;
    expect(m.payload.toString()).toBe('hello');
    expect(m.packet.properties).toMatchObject({ contentType: 'text/plain', userProperties: { k: 'v' } });

    const deliveries = firstValueFrom(
      h.hub.broker
        .session$({ clientId: '$hub/test/up', subscriptions: [{ filter: 'api/up/+', qos: 1 }] })
        .pipe(take(1)),
    );
    const pub = await connectClient(h.url, { protocolVersion: 5 });
    await pub.publishAsync('api/up/a', 'from-net', { qos: 1, properties: { correlationData: Buffer.from('c1') } });
    const d = await deliveries;
    expect(d.envelope.topic).toBe('api/up/a');
    expect(d.envelope.payload.toString()).toBe('from-net');
    expect(d.envelope.properties?.correlationData).toEqual(Buffer.from('c1'));
    d.ack();
  });

  it('[MQTT-3.3.4-9] at most receiveMaximum unacknowledged QoS 1 deliveries; ack() releases the next', async () => {
    const h = await startHub();
    const seen: Delivery[] = [];
    const sub = h.hub.broker
      .session$({ clientId: '$hub/test/window', subscriptions: [{ filter: 'api/w', qos: 1 }], receiveMaximum: 3 })
      .subscribe((d) => seen.push(d));
    for (let i = 0; i < 10; i++) await h.hub.broker.publish(envelope('api/w', String(i), { qos: 1 }));
    expect(seen.map((d) => d.envelope.payload.toString())).toEqual(['0', '1', '2']);
    seen[0].ack();
    seen[0].ack(); // a second ack is a no-op
    expect(seen.map((d) => d.envelope.payload.toString())).toEqual(['0', '1', '2', '3']);
    for (const d of [...seen]) d.ack();
    for (let i = 4; i < 10; i++) seen[i]?.ack();
    expect(seen.map((d) => d.envelope.payload.toString())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    sub.unsubscribe();
  });

  it('[MQTT-3.8.3-3] no local: a session does not get what it published under its own client id', async () => {
    const h = await startHub();
    const id = '$hub/test/nolocal';
    const got = firstValueFrom(
      h.hub.broker
        .session$({ clientId: id, subscriptions: [{ filter: 'api/nl', qos: 0, noLocal: true }] })
        .pipe(take(1)),
    );
    await h.hub.broker.publish(envelope('api/nl', 'mine', { origin: { clientId: id } }));
    await h.hub.broker.publish(envelope('api/nl', 'theirs', { origin: { clientId: 'someone-else' } }));
    expect((await got).envelope.payload.toString()).toBe('theirs');
  });

  it('a persistent session keeps its subscription and unacknowledged messages across a restart (redelivered)', async () => {
    const dir = tempDir();
    const config = { store: { type: 'sqlite' as const, dir } };
    const first = await startHub(config);
    const opts = {
      clientId: '$hub/test/persist',
      subscriptions: [{ filter: 'api/p/#', qos: 1 as const }],
      persistent: true,
    };
    const firstTwo = firstValueFrom(first.hub.broker.session$(opts).pipe(take(2), toArray()));
    await first.hub.broker.publish(envelope('api/p/1', 'one', { qos: 1 }));
    await first.hub.broker.publish(envelope('api/p/2', 'two', { qos: 1 }));
    const [one] = await firstTwo; // take(2) unsubscribed: the session is now offline
    one.ack(); // after detach: too late, must not count
    await first.hub.broker.publish(envelope('api/p/3', 'three', { qos: 1 })); // queued while offline
    await first.stop();

    const second = await startHub(config);
    const after = await firstValueFrom(second.hub.broker.session$(opts).pipe(take(3), toArray()));
    expect(after.map((d) => [d.envelope.payload.toString(), d.redelivered])).toEqual([
      ['one', true],
      ['two', true],
      ['three', false],
    ]);
  });

  it('publish() rejects an invalid topic with PH_TOPIC_INVALID and session$ errors on a bad filter', async () => {
    const h = await startHub();
    await expect(h.hub.broker.publish(envelope('a/+/b', 'x'))).rejects.toMatchObject({ code: 'PH_TOPIC_INVALID' });
    await expect(
      firstValueFrom(
        h.hub.broker.session$({ clientId: '$hub/test/bad', subscriptions: [{ filter: 'a/#/b', qos: 0 }] }),
      ),
    ).rejects.toMatchObject({ code: 'PH_TOPIC_INVALID' });
  });
});
