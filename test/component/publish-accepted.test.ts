/**
 * publishAccepted: the fire-and-forget uplink path (every uplink message whose peer waits for no answer). It must
 * answer at once with `published`, count the message, and when the broker refuses the message afterwards
 * (a late failure: the answer was already given) dead-letter it to `$hub/dlq/<gateway>` with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerApi } from '../../src/broker/api.js';
import { envelope, type Envelope } from '../../src/envelope.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { Metrics } from '../../src/metrics.js';
import { Immediate } from '../../src/pipeline/buffered-concat-map.js';
import { publishAccepted } from '../../src/pipeline/publish-uplink.js';
import { closeAllClients, collect, connectV5, subscribe } from '../support/clients.js';
import { startHub, type StartedHub } from '../support/hub.js';

const ID = 'zeromq.t';
const uplink = (topic: string, payload = 'p'): Envelope =>
  envelope(topic, payload, {
    qos: 1,
    origin: { gateway: ID, clientId: `$hub/gateway/${ID}`, address: 'a/1', peer: 'p1' },
  });

/** A broker whose publishes settle only when the test says so. */
class DeferredBroker implements Pick<BrokerApi, 'publish'> {
  readonly calls: Array<{ env: Envelope; resolve: () => void; reject: (e: Error) => void }> = [];
  #waiters: Array<() => void> = [];
  publish(env: Envelope): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ env, resolve, reject });
      this.#waiters.splice(0).forEach((w) => w());
    });
  }
  async waitForCalls(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((r) => this.#waiters.push(r));
  }
}

function setup(dlq = true) {
  const metrics = new Metrics();
  const broker = new DeferredBroker();
  const publish = publishAccepted({ gatewayId: ID, broker, metrics: new GatewayMetrics(metrics, ID), dlq });
  const value = (name: string, labels: Record<string, string> = {}) => metrics.value(name, { gateway: ID, ...labels });
  return { broker, publish, value };
}

describe('publishAccepted (broker under test control)', () => {
  it('answers published at once, before the broker settles, and counts the message', async () => {
    const { broker, publish, value } = setup();
    const out = publish(uplink('zmq/t/up/a'));
    expect(out).toBeInstanceOf(Immediate);
    expect(out.value).toMatchObject({ kind: 'published', envelope: { topic: 'zmq/t/up/a' } });
    expect(broker.calls).toHaveLength(1);
    expect(await value('protohub_gateway_messages_total', { direction: 'uplink' })).toBe(1);
    broker.calls[0].resolve();
    await Promise.resolve();
    expect(broker.calls).toHaveLength(1); // success: nothing else published
  });

  it('a late broker failure goes to the dead-letter topic with reason, error, address, peer and payload', async () => {
    const { broker, publish, value } = setup();
    publish(uplink('zmq/t/up/a', 'payload-1'));
    broker.calls[0].reject(new Error('PH_STORE_WRITE database is locked'));
    await broker.waitForCalls(2);
    const dlq = broker.calls[1].env;
    expect(dlq.topic).toBe(`$hub/dlq/${ID}`);
    expect(dlq.qos).toBe(1);
    expect(dlq.payload.toString()).toBe('payload-1');
    expect(dlq.properties?.userProperties).toEqual({
      reason: 'publish',
      error: 'PH_STORE_WRITE database is locked',
      address: 'a/1',
      peer: 'p1',
    });
    broker.calls[1].resolve();
    await new Promise((r) => setImmediate(r));
    expect(await value('protohub_gateway_dlq_total', { reason: 'publish' })).toBe(1);
  });

  it('with dlq = false a late failure is counted as dropped; a failing DLQ publish as dlq_failed', async () => {
    const off = setup(false);
    off.publish(uplink('zmq/t/up/a'));
    off.broker.calls[0].reject(new Error('boom'));
    await new Promise((r) => setImmediate(r));
    expect(off.broker.calls).toHaveLength(1);
    expect(await off.value('protohub_gateway_dropped_total', { reason: 'publish' })).toBe(1);

    const on = setup(true);
    on.publish(uplink('zmq/t/up/b'));
    on.broker.calls[0].reject(new Error('boom'));
    await on.broker.waitForCalls(2);
    on.broker.calls[1].reject(new Error('broker stopping'));
    await new Promise((r) => setImmediate(r));
    expect(await on.value('protohub_gateway_dropped_total', { reason: 'dlq_failed' })).toBe(1);
  });
});

describe('publishAccepted into a real hub', () => {
  let h: StartedHub | undefined;
  afterEach(async () => {
    closeAllClients();
    await h?.stop();
    h = undefined;
  });

  it('delivers to a subscriber; a message the broker refuses after the answer reaches the DLQ subscriber', async () => {
    h = await startHub({ mqtt: { max_topic_levels: 4 } });
    const app = await connectV5(h.url);
    await subscribe(app, ['zmq/t/up/#', `$hub/dlq/${ID}`]);
    const metrics = new GatewayMetrics(h.hub.metrics, ID);
    const publish = publishAccepted({ gatewayId: ID, broker: h.hub.broker, metrics, dlq: true });

    const got = collect(app, 2);
    expect(publish(uplink('zmq/t/up/ok', 'fine')).value.kind).toBe('published');
    // five levels: the mapping allowed it, the broker's max_topic_levels refuses it after publishAccepted answered
    expect(publish(uplink('zmq/t/up/too/deep', 'lost?')).value.kind).toBe('published');
    const [ok, dead] = await got;
    expect([ok.topic, ok.payload.toString()]).toEqual(['zmq/t/up/ok', 'fine']);
    expect(dead.topic).toBe(`$hub/dlq/${ID}`);
    expect(dead.payload.toString()).toBe('lost?');
    const props = dead.packet.properties?.userProperties as Record<string, string>;
    expect(props.reason).toBe('publish');
    expect(props.error).toMatch(/PH_TOPIC_INVALID|max_topic_levels|levels/);
  });
});
