import { describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { compileMapping } from '../../src/mapping/compile.js';
import { sendDownlink } from '../../src/pipeline/send-downlink.js';
import { mapDelivery } from '../../src/pipeline/map-downlink.js';
import { ReplyRouter } from '../../src/pipeline/reply-router.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { Metrics } from '../../src/metrics.js';
import { envelope } from '../../src/envelope.js';
import type { DownlinkMessage } from '../../src/gateway/spi.js';
import { BrokerDouble, delivery } from '../support/broker-double.js';

const mapping = compileMapping(
  { downlink: [{ name: 'cmd', filter: 'zmq/cmd/{rest*}', address: '{rest*}', qos: 1 }] },
  { source: 'test' },
);

function setup(send: (m: DownlinkMessage) => Promise<void>, replies?: ReplyRouter) {
  const broker = new BrokerDouble();
  const metrics = new Metrics();
  const project = sendDownlink({
    gatewayId: 'zeromq.t',
    mapping,
    gateway: { send },
    broker,
    metrics: new GatewayMetrics(metrics, 'zeromq.t'),
    dlq: true,
    replies,
  });
  return { broker, metrics, project };
}

describe('downlink', () => {
  it('maps the topic through the first matching rule', () => {
    const out = mapDelivery(delivery(envelope('zmq/cmd/line1/valve', 'open')), mapping);
    expect(out.ok && out.message.address).toBe('line1/valve');
    expect(mapDelivery(delivery(envelope('zmq/other', 'x')), mapping).ok).toBe(false);
  });

  it('sends, then acks the delivery; counts the message', async () => {
    const sent: DownlinkMessage[] = [];
    const { project, metrics } = setup(async (m) => {
      sent.push(m);
    });
    const d = delivery(envelope('zmq/cmd/a', 'open', { qos: 1 }));
    expect(await firstValueFrom(project(d))).toEqual({ kind: 'sent', address: 'a' });
    expect(sent[0].payload.toString()).toBe('open');
    expect(d.acked).toBe(true);
    expect(await metrics.value('protohub_gateway_messages_total', { direction: 'downlink' })).toBe(1);
    expect(await metrics.value('protohub_gateway_bytes_total', { direction: 'downlink' })).toBe(4);
  });

  it('does not ack before the gateway accepted the message', async () => {
    let release!: () => void;
    const { project } = setup(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    const d = delivery(envelope('zmq/cmd/a', 'x', { qos: 1 }));
    const done = firstValueFrom(project(d));
    await new Promise((r) => setImmediate(r));
    expect(d.acked).toBe(false);
    release();
    await done;
    expect(d.acked).toBe(true);
  });

  it('dead-letters a failed send with the topic as address and still acks', async () => {
    const { project, broker } = setup(async () => {
      throw new Error('socket closed');
    });
    const d = delivery(envelope('zmq/cmd/a', 'payload'));
    expect(await firstValueFrom(project(d))).toEqual({ kind: 'dead_lettered', reason: 'send' });
    expect(broker.published[0].topic).toBe('$hub/dlq/zeromq.t');
    expect(broker.published[0].properties?.userProperties).toMatchObject({
      reason: 'send',
      error: 'socket closed',
      address: 'zmq/cmd/a',
    });
    expect(d.acked).toBe(true);
  });

  it('routes answers on response topics to the pending request; a late answer is counted and dropped', async () => {
    const replies = new ReplyRouter({ topicPrefix: 'nng/reply/t', timeoutMs: 60_000, maxPending: 4 });
    const answers: string[] = [];
    const props = replies.register({ respond: (p) => answers.push(p.toString()), fail: () => answers.push('fail') })!;
    const { project, metrics } = setup(async () => {
      throw new Error('must not send');
    }, replies);
    expect(await firstValueFrom(project(delivery(envelope(props.responseTopic, '42'))))).toEqual({ kind: 'replied' });
    expect(await firstValueFrom(project(delivery(envelope(props.responseTopic, '43'))))).toEqual({
      kind: 'dropped',
      reason: 'late_reply',
    });
    expect(answers).toEqual(['42']);
    expect(await metrics.value('protohub_gateway_dropped_total', { reason: 'late_reply' })).toBe(1);
  });
});
