import { describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { compileMapping } from '../../src/mapping/compile.js';
import { mapUplink } from '../../src/pipeline/map-uplink.js';
import { publishUplink } from '../../src/pipeline/publish-uplink.js';
import { ReplyRouter } from '../../src/pipeline/reply-router.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { Metrics } from '../../src/metrics.js';
import type { IngressItem, ReplyHandle } from '../../src/gateway/spi.js';
import { BrokerDouble } from '../support/broker-double.js';

const mapping = compileMapping(
  {
    uplink: [
      {
        name: 'sensors',
        address: 'sensors/{rest*}',
        topic: 'zmq/sensors/{rest*}',
        qos: 1,
        user_properties: { src: 'zmq' },
      },
    ],
  },
  { source: 'test' },
);

const msg = (address: string, payload = 'p'): IngressItem => ({
  kind: 'message',
  address,
  payload: Buffer.from(payload),
  peer: 'peer1',
});

function replyRecorder(): ReplyHandle & { answers: string[] } {
  const answers: string[] = [];
  return {
    answers,
    respond: (p) => answers.push(`ok:${p.toString()}`),
    fail: (reason) => answers.push(`fail:${reason}`),
  };
}

describe('mapUplink', () => {
  it('maps matching messages to envelopes and the rest to faults, one output per input (marbles)', () => {
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const out$ = cold('ab|', { a: msg('sensors/line1/temp'), b: msg('other') }).pipe(mapUplink(mapping, 'zeromq.t'));
      expectObservable(out$).toBe('ab|', {
        a: expect.objectContaining({
          ok: true,
          envelope: expect.objectContaining({ topic: 'zmq/sensors/line1/temp', qos: 1 }),
        }),
        b: expect.objectContaining({
          ok: false,
          fault: expect.objectContaining({ reason: 'no_match', address: 'other' }),
        }),
      });
    });
  });

  it("keeps the origin (gateway, peer, address) and the rule's user properties", async () => {
    const o = await firstValueFrom(of(msg('sensors/x')).pipe(mapUplink(mapping, 'zeromq.t')));
    if (!o.ok) throw new Error('expected a match');
    expect(o.envelope.origin).toMatchObject({ gateway: 'zeromq.t', peer: 'peer1', address: 'sensors/x' });
    expect(o.envelope.properties?.userProperties).toEqual({ src: 'zmq' });
  });
});

describe('publishUplink', () => {
  const setup = (dlq = true) => {
    const broker = new BrokerDouble();
    const metrics = new Metrics();
    const gm = new GatewayMetrics(metrics, 'zeromq.t');
    return { broker, metrics, publish: publishUplink({ gatewayId: 'zeromq.t', broker, metrics: gm, dlq }) };
  };

  it('publishes mapped messages and dead-letters faults with reason, error and address, then carries on', async () => {
    const { broker, metrics, publish } = setup();
    const items = [msg('sensors/a', '1'), msg('bad/address', 'raw-bytes'), msg('sensors/b', '2')];
    const results = await lastValueFrom(of(...items).pipe(mapUplink(mapping, 'zeromq.t'), (s) => s.pipe(toArray())));
    const out = [];
    for (const r of results) out.push(await firstValueFrom(publish(r)));
    expect(out.map((r) => r.kind)).toEqual(['published', 'dead_lettered', 'published']);
    expect(broker.published.map((e) => e.topic)).toEqual(['zmq/sensors/a', '$hub/dlq/zeromq.t', 'zmq/sensors/b']);
    const dlq = broker.published[1];
    expect(dlq.payload.toString()).toBe('raw-bytes');
    expect(dlq.properties?.userProperties).toMatchObject({ reason: 'no_match', address: 'bad/address' });
    expect(String(dlq.properties?.userProperties?.error)).not.toBe('');
    expect(await metrics.value('protohub_gateway_dlq_total', { gateway: 'zeromq.t', reason: 'no_match' })).toBe(1);
    expect(await metrics.value('protohub_gateway_messages_total', { direction: 'uplink' })).toBe(2);
  });

  it('dead-letters a message the broker rejects, and counts a fault as dropped when the DLQ is off', async () => {
    const { broker, metrics, publish } = setup(false);
    broker.failPublish = () => new Error('broker stopped');
    const [o] = await lastValueFrom(of(msg('sensors/a')).pipe(mapUplink(mapping, 'zeromq.t'), toArray()));
    expect(await firstValueFrom(publish(o))).toEqual({ kind: 'dropped', reason: 'publish' });
    expect(await metrics.value('protohub_gateway_dropped_total', { reason: 'publish' })).toBe(1);
  });

  it('adds response topic and correlation data to requests and routes the first answer back', async () => {
    const broker = new BrokerDouble();
    const replies = new ReplyRouter({ topicPrefix: 'nng/reply/t', timeoutMs: 60_000, maxPending: 1 });
    const publish = publishUplink({
      gatewayId: 'nng.t',
      broker,
      metrics: new GatewayMetrics(new Metrics(), 'nng.t'),
      dlq: true,
      replies,
    });
    const handle = replyRecorder();
    const [o] = await lastValueFrom(
      of<IngressItem>({ ...(msg('sensors/a') as IngressItem & { kind: 'message' }), reply: handle }).pipe(
        mapUplink(mapping, 'nng.t'),
        toArray(),
      ),
    );
    await firstValueFrom(publish(o));
    const props = broker.published[0].properties;
    expect(props?.responseTopic).toMatch(/^nng\/reply\/t\//);
    expect(props?.correlationData).toBeInstanceOf(Buffer);
    // A second request beyond maxPending is refused at once instead of queueing without bound.
    const second = replyRecorder();
    const [o2] = await lastValueFrom(
      of<IngressItem>({ ...(msg('sensors/b') as IngressItem & { kind: 'message' }), reply: second }).pipe(
        mapUplink(mapping, 'nng.t'),
        toArray(),
      ),
    );
    expect(await firstValueFrom(publish(o2))).toEqual({ kind: 'dropped', reason: 'reply_overloaded' });
    expect(second.answers).toEqual(['fail:overloaded']);
    expect(replies.resolve({ topic: props!.responseTopic!, payload: Buffer.from('42'), qos: 0, retain: false })).toBe(
      true,
    );
    expect(
      replies.resolve({ topic: props!.responseTopic!, payload: Buffer.from('again'), qos: 0, retain: false }),
    ).toBe(false);
    expect(handle.answers).toEqual(['ok:42']);
    replies.close();
  });

  it('answers a request that fails mapping with an error instead of leaving the peer waiting', async () => {
    const { publish } = setup();
    const handle = replyRecorder();
    const [o] = await lastValueFrom(
      of<IngressItem>({ ...(msg('nope') as IngressItem & { kind: 'message' }), reply: handle }).pipe(
        mapUplink(mapping, 'x.t'),
        toArray(),
      ),
    );
    await firstValueFrom(publish(o));
    expect(handle.answers).toEqual(['fail:no_match']);
  });
});

describe('ReplyRouter', () => {
  it('fails a request on timeout and on close', async () => {
    const timeouts: number[] = [];
    const r = new ReplyRouter({ topicPrefix: 'p', timeoutMs: 5, maxPending: 10, onTimeout: () => timeouts.push(1) });
    const a = replyRecorder();
    const failed = new Promise<void>((res) => {
      const f = a.fail;
      a.fail = (x, y) => {
        f(x, y);
        res();
      };
    });
    r.register(a);
    await failed;
    expect(a.answers).toEqual(['fail:timeout']);
    expect(timeouts).toEqual([1]);
    const b = replyRecorder();
    r.register(b);
    r.close();
    expect(b.answers).toEqual(['fail:stopped']);
    expect(r.pending).toBe(0);
  });
});
