/**
 * The CoAP message layer (CoapEndpoint) driven datagram by datagram against a stub broker and a fake clock: what
 * happens to every broker delivery when observations end, message ids, counters for every error answer.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { GatewayMetrics, Logger } from '../../src/gateway/index.js';
import { guarded } from '../../gateways/coap/guard.js';
import { UdpSocket } from '../../gateways/coap/udp-socket.js';
import { eventually } from '../support/clients.js';
import { encodeBlock } from '../../gateways/coap/block-option.js';
import { Method, Opt, Rsp, decodeUint, firstOption } from '../../gateways/coap/message.js';
import { codeText, observeOpt, stubEndpoint } from '../support/coap-stub.js';

type Stub = ReturnType<typeof stubEndpoint>;

async function connect(s: Stub, port: number, clientId: string): Promise<string[]> {
  s.request(port, Method.POST, ['mqtt', 'connection'], { query: [`clientid=${clientId}`] });
  await s.flush();
  const reply = s.st.sent.at(-1)!;
  expect(codeText(reply.msg.code)).toBe('2.01');
  return [`clientid=${clientId}`, `token=${reply.msg.payload.toString()}`];
}

async function observe(s: Stub, port: number, path: string[], query: string[], token: Buffer): Promise<void> {
  s.request(port, Method.GET, path, { query, extra: [observeOpt(0)], token });
  await s.flush();
  expect(s.st.sent.some((x) => x.msg.token.equals(token) && x.msg.code === Rsp.Content)).toBe(true);
}

/** The client ACKs every CON notification it gets on `token`, one at a time, until `count` arrived. */
function ackAll(s: Stub, port: number, token: Buffer, count: number): string[] {
  const got: string[] = [];
  const acked = new Set<number>();
  for (let round = 0; round < 100 && got.length < count; round++) {
    const next = s.st.sent.find(
      (x) => x.msg.type === 'CON' && x.msg.token.equals(token) && !acked.has(x.msg.messageId),
    );
    if (!next) break;
    acked.add(next.msg.messageId);
    got.push(next.msg.payload.toString());
    s.empty(port, 'ACK', next.msg.messageId);
  }
  return got;
}

describe('connection mode keeps every message across observations', () => {
  const cfg = {
    connection_required: true,
    notify_type: 'con',
    observe: { window: 1 },
    transmission: { ack_timeout: '100ms', max_retransmit: 1 },
  };

  it('an observation that times out hands its unacknowledged and queued messages to the next one, in order', async () => {
    const s = stubEndpoint(cfg);
    const q = await connect(s, 6000, 'c1');
    await observe(s, 6000, ['ps', 't'], q, Buffer.from([1]));
    const ds = ['m1', 'm2', 'm3'].map((p) => s.deliver(0, 't', p, 1));
    s.advance(10_000); // never ACKed: retransmitted, then the observation ends
    expect(s.st.events.observe_end_timeout).toBe(1);
    expect(ds.map((d) => d.acked)).toEqual([false, false, false]);
    expect(s.st.dropped.observe_cancelled ?? 0).toBe(0);
    expect(s.st.unsubscribed).toEqual([]);
    const t2 = Buffer.from([2]);
    await observe(s, 6001, ['ps', 't'], q, t2);
    expect(ackAll(s, 6001, t2, 3)).toEqual(['m1', 'm2', 'm3']);
    expect(ds.map((d) => d.acked)).toEqual([true, true, true]);
  });

  it('an observation ended by RST keeps its messages too; Observe 1 drops them (counted)', async () => {
    const s = stubEndpoint(cfg);
    const q = await connect(s, 6000, 'c1');
    await observe(s, 6000, ['ps', 't'], q, Buffer.from([1]));
    const ds = ['m1', 'm2'].map((p) => s.deliver(0, 't', p, 1));
    const first = s.st.sent.find((x) => x.msg.type === 'CON')!;
    s.empty(6000, 'RST', first.msg.messageId);
    expect(s.st.events.observe_end_reset).toBe(1);
    expect(ds.map((d) => d.acked)).toEqual([false, false]);
    const t2 = Buffer.from([2]);
    await observe(s, 6000, ['ps', 't'], q, t2);
    const n = s.st.sent.find((x) => x.msg.type === 'CON' && x.msg.token.equals(t2))!;
    expect(n.msg.payload.toString()).toBe('m1');
    // explicit deregistration: the subscription and what waited for this observation go (counted)
    s.request(6000, Method.GET, ['ps', 't'], { query: q, extra: [observeOpt(1)], token: t2 });
    await s.flush();
    expect(s.st.unsubscribed).toEqual(['t']);
    expect(s.st.dropped.observe_cancelled).toBe(1);
    expect(ds.map((d) => d.acked)).toEqual([false, true]);
  });

  it('a QoS 0 notification that times out is dropped (at most once) and counted', async () => {
    const s = stubEndpoint(cfg);
    const q = await connect(s, 6000, 'c1');
    await observe(s, 6000, ['ps', 't'], q, Buffer.from([1]));
    const d = s.deliver(0, 't', 'q0', 0);
    s.advance(10_000);
    expect(d.acked).toBe(true);
    expect(s.st.dropped.notify_timeout).toBe(1);
  });

  it('connectionless: an observation that times out drops what it queued (counted) and unsubscribes', async () => {
    const s = stubEndpoint({ ...cfg, connection_required: false });
    await observe(s, 6000, ['ps', 't'], [], Buffer.from([1]));
    const ds = ['m1', 'm2', 'm3'].map((p) => s.deliver(0, 't', p, 1));
    s.advance(10_000);
    expect(ds.map((d) => d.acked)).toEqual([true, true, true]);
    expect(s.st.dropped.notify_timeout).toBe(1);
    expect(s.st.dropped.observe_cancelled).toBe(2);
    expect(s.st.unsubscribed).toEqual(['t']);
  });
});

describe('message ids (RFC 7252 §4.4)', () => {
  it('numbers what the gateway originates per client: notifications to one client are consecutive whatever goes to others', async () => {
    const s = stubEndpoint({ notify_type: 'non' });
    await observe(s, 7001, ['ps', 'a'], [], Buffer.from([1]));
    await observe(s, 7002, ['ps', 'b'], [], Buffer.from([2]));
    for (let i = 0; i < 50; i++) {
      s.deliver(0, 'a', `a${i}`, 0);
      for (let j = 0; j < 7; j++) s.deliver(1, 'b', `b${i}.${j}`, 0);
    }
    const idsTo = (port: number) =>
      s.st.sent.filter((x) => x.to === `127.0.0.1:${port}` && x.msg.type === 'NON').map((x) => x.msg.messageId);
    for (const port of [7001, 7002]) {
      const ids = idsTo(port);
      expect(ids.length).toBeGreaterThan(0);
      ids.forEach((id, i) => expect(id).toBe((ids[0]! + i) & 0xffff));
    }
  });
});

describe('every error answer is counted', () => {
  const block = (n: number, num: number, more: boolean, szx: number) => ({
    number: n,
    value: encodeBlock({ num, more, szx }),
  });
  const cases: [string, string, string, (s: Stub) => void][] = [
    [
      'Block1 out of sequence',
      '4.08',
      'block_incomplete',
      (s) =>
        s.request(8000, Method.POST, ['ps', 'b'], {
          extra: [block(Opt.Block1, 3, true, 0)],
          payload: Buffer.alloc(16),
        }),
    ],
    [
      'unknown Content-Format',
      '4.15',
      'bad_content_format',
      (s) =>
        s.request(8000, Method.POST, ['ps', 'b'], {
          extra: [{ number: Opt.ContentFormat, value: Buffer.from([3, 0xe7]) }],
        }),
    ],
    ['DELETE on ps', '4.05', 'method_not_allowed', (s) => s.request(8000, Method.DELETE, ['ps', 'b'])],
    [
      'invalid Block1',
      '4.00',
      'bad_block_option',
      (s) => s.request(8000, Method.POST, ['ps', 'b'], { extra: [{ number: Opt.Block1, value: Buffer.from([7]) }] }),
    ],
    [
      'invalid Block2',
      '4.00',
      'bad_block_option',
      (s) => s.request(8000, Method.GET, ['ps', 'b'], { extra: [{ number: Opt.Block2, value: Buffer.from([7]) }] }),
    ],
    [
      'Block2 of nothing stored',
      '4.08',
      'block2_gone',
      (s) => s.request(8000, Method.GET, ['ps', 'b'], { extra: [block(Opt.Block2, 2, false, 4)] }),
    ],
    [
      'Accept that does not match',
      '4.06',
      'not_acceptable',
      (s) => s.request(8000, Method.GET, ['ps', 'b'], { extra: [{ number: Opt.Accept, value: Buffer.from([50]) }] }),
    ],
    ['GET with a wildcard', '4.00', 'bad_request', (s) => s.request(8000, Method.GET, ['ps', '+'])],
    [
      'unknown critical option',
      '4.02',
      'bad_option',
      (s) => s.request(8000, Method.GET, ['ps', 'b'], { extra: [{ number: 9999, value: Buffer.from('x') }] }),
    ],
    ['unknown resource', '4.04', 'not_found', (s) => s.request(8000, Method.GET, ['nothing'])],
    [
      'Uri-Path segment over 255 bytes (RFC 7252 §5.4.3)',
      '4.02',
      'bad_option',
      (s) => s.request(8000, Method.POST, ['ps', 'x'.repeat(256)], { payload: Buffer.from('v') }),
    ],
    [
      'Block1 value of 4 bytes (§5.4.3)',
      '4.02',
      'bad_option',
      (s) =>
        s.request(8000, Method.POST, ['ps', 'b'], {
          extra: [{ number: Opt.Block1, value: Buffer.from([0, 0, 0, 6]) }],
        }),
    ],
    [
      'Block2 twice (§5.4.5)',
      '4.02',
      'bad_option',
      (s) =>
        s.request(8000, Method.GET, ['ps', 'b'], {
          extra: [block(Opt.Block2, 0, false, 2), block(Opt.Block2, 1, false, 2)],
        }),
    ],
    [
      'Accept twice (§5.4.5)',
      '4.02',
      'bad_option',
      (s) =>
        s.request(8000, Method.GET, ['ps', 'b'], {
          extra: [
            { number: Opt.Accept, value: Buffer.from([0]) },
            { number: Opt.Accept, value: Buffer.from([50]) },
          ],
        }),
    ],
    [
      'a topic that is not UTF-8',
      '4.00',
      'bad_request',
      (s) => s.request(8000, Method.POST, ['ps', 'a\xff'], { payload: Buffer.from('v') }),
    ],
    [
      'mqtt/connection when connection mode is off',
      '4.04',
      'connection_mode_off',
      (s) => s.request(8000, Method.POST, ['mqtt', 'connection'], { query: ['clientid=x'] }),
    ],
  ];
  for (const [what, code, reason, act] of cases)
    it(`${what}: ${code}, counted as ${reason}`, async () => {
      const s = stubEndpoint();
      act(s);
      await s.flush();
      expect(codeText(s.st.sent.at(-1)!.msg.code)).toBe(code);
      expect(s.st.dropped).toEqual({ [reason]: 1 });
      expect(s.st.published).toEqual([]);
    });

  it('connection mode: 4.01 without a token, 4.05 for GET on mqtt/connection, 4.00 without clientid', async () => {
    const s = stubEndpoint({ connection_required: true });
    s.request(8000, Method.POST, ['ps', 'b']);
    s.request(8000, Method.GET, ['mqtt', 'connection']);
    s.request(8000, Method.PUT, ['mqtt', 'connection'], { query: ['clientid=a', 'token=b'] });
    s.request(8000, Method.POST, ['mqtt', 'connection']);
    await s.flush();
    expect(s.st.sent.map((x) => codeText(x.msg.code))).toEqual(['4.01', '4.05', '4.01', '4.00']);
    expect(s.st.dropped).toEqual({ not_connected: 2, method_not_allowed: 1, bad_request: 1 });
  });

  it('a block fetched past the end of a stored body: 4.02, counted', async () => {
    const s = stubEndpoint({ max_block_size: '256B' });
    s.request(8000, Method.GET, ['ps', 'big']); // the stub's retained message is 3000 bytes: stored for Block2
    await s.flush();
    s.request(8000, Method.GET, ['ps', 'big'], { extra: [block(Opt.Block2, 100, false, 4)] });
    expect(codeText(s.st.sent.at(-1)!.msg.code)).toBe('4.02');
    expect(s.st.dropped).toEqual({ block2_past_end: 1 });
  });
});

describe('notification order (RFC 7641 §4.4)', () => {
  it('notify_type qos: a QoS 0 NON waits for the QoS 1 CON before it, on the wire and in sequence numbers', async () => {
    const s = stubEndpoint({ notify_type: 'qos' });
    await observe(s, 6000, ['ps', 't'], [], Buffer.from([1]));
    s.st.sent.length = 0;
    s.deliver(0, 't', 'first-qos1', 1);
    s.deliver(0, 't', 'second-qos0', 0);
    s.advance(5000); // the CON is retransmitted, still unacknowledged: the NON waits
    expect(s.st.sent.length).toBeGreaterThanOrEqual(2);
    expect(s.st.sent.every((x) => x.msg.type === 'CON' && x.msg.payload.toString() === 'first-qos1')).toBe(true);
    s.empty(6000, 'ACK', s.st.sent[0]!.msg.messageId);
    const wire = s.st.sent.map((x) => `${x.msg.type}:${x.msg.payload.toString()}`);
    expect(wire.at(-1)).toBe('NON:second-qos0');
    const seq = s.st.sent.map((x) => decodeUint(firstOption(x.msg, Opt.Observe)!));
    expect(seq.at(-1)).toBeGreaterThan(seq[0]!);
  });
});

describe('Block2 bodies (RFC 7959 §2.4)', () => {
  it("a client varying the query cannot evict another client's body in progress", async () => {
    const s = stubEndpoint({ limits: { max_block_transfers: 5 }, max_block_size: '256B' });
    s.request(7000, Method.GET, ['ps', 'big']); // 3000-byte retained message: first block, the rest stored
    await s.flush();
    for (let i = 0; i < 20; i++) {
      s.request(7001, Method.GET, ['ps', 'big'], { query: [`x=${i}`] });
      await s.flush();
    }
    s.request(7000, Method.GET, ['ps', 'big'], {
      extra: [{ number: Opt.Block2, value: encodeBlock({ num: 1, more: false, szx: 4 }) }],
    });
    const reply = s.st.sent.at(-1)!;
    expect(codeText(reply.msg.code)).toBe('2.05');
    expect(reply.msg.payload.length).toBe(256);
    s.advance(1000, 1000); // evictions are reported with the table sweep
    expect(s.st.dropped.block2_evicted ?? 0).toBe(0);
    expect(s.st.dropped.block2_evicted_client).toBe(16);
  });
});

describe('RST to a NON notification (RFC 7641 §3.6)', () => {
  it('cancels its observation however many NON notifications went to other observers since', async () => {
    const s = stubEndpoint({ notify_type: 'non' });
    await observe(s, 6000, ['ps', 'a'], [], Buffer.from([1]));
    await observe(s, 6001, ['ps', 'b'], [], Buffer.from([2]));
    s.deliver(0, 'a', 'to-a', 0);
    const toA = s.st.sent.at(-1)!;
    expect(toA.to).toBe('127.0.0.1:6000');
    for (let i = 0; i < 12_000; i++) s.deliver(1, 'b', 'x', 0);
    s.st.sent.length = 0;
    s.empty(6000, 'RST', toA.msg.messageId);
    expect(s.st.events.observe_end_reset).toBe(1);
    expect(s.st.unsubscribed).toEqual(['a']);
    s.deliver(0, 'a', 'after', 0);
    expect(s.st.sent).toEqual([]);
  });
});

describe('a throw at the IO edges costs one datagram, never the process', () => {
  it('counts internal_error, logs, and keeps receiving', async () => {
    const dropped: string[] = [];
    const warned: unknown[] = [];
    const metrics = { dropped: (r: string) => dropped.push(r), socketEvent() {} } as unknown as GatewayMetrics;
    const logger = { warn: (o: unknown) => warned.push(o), debug() {} } as unknown as Logger;
    const got: string[] = [];
    const udp = await UdpSocket.bind({
      host: '127.0.0.1',
      port: 0,
      maxDatagramSize: 1500,
      bindErrorCode: 'PH_COAP_BIND',
      metrics,
      logger,
      onDatagram: (_peer, bytes) => {
        if (bytes.toString() === 'boom') throw new Error('a bug');
        got.push(bytes.toString());
      },
    });
    const client = createSocket('udp4');
    try {
      client.send('boom', udp.port, '127.0.0.1');
      client.send('after', udp.port, '127.0.0.1');
      await eventually(() => got.length === 1, 'the next datagram handled');
      expect(got).toEqual(['after']);
      expect(dropped).toEqual(['internal_error']);
      expect(warned).toHaveLength(1);
    } finally {
      client.close();
      await udp.close();
    }
  });

  it('guards a timer callback the same way', () => {
    const dropped: string[] = [];
    const o = {
      metrics: { dropped: (r: string) => dropped.push(r) } as unknown as GatewayMetrics,
      logger: { warn() {} } as unknown as Logger,
    };
    const tick = guarded('tick', o, () => {
      throw new Error('a bug');
    });
    expect(() => tick()).not.toThrow();
    expect(dropped).toEqual(['internal_error']);
  });
});

describe('publish answers and duplicates (issue 11 points)', () => {
  it('answers 2.04 only once the broker accepted the message; a failed store write is 5.00, not 2.04', async () => {
    const s = stubEndpoint({ transmission: { ack_timeout: '100ms' } }, { holdPublishes: true });
    const a = s.request(6000, Method.POST, ['ps', 't'], { query: ['qos=1'], payload: Buffer.from('x') });
    await s.flush();
    expect(s.st.accept).toHaveLength(1);
    // not yet accepted: at most the empty ACK of a separate response (RFC 7252 §5.2.2), never 2.04
    await new Promise((r) => setTimeout(r, 120));
    expect(s.st.sent.map((x) => `${x.msg.type}:${codeText(x.msg.code)}`)).toEqual(['ACK:0.00']);
    s.st.accept[0]!.resolve();
    await s.flush();
    const answer = s.st.sent.at(-1)!.msg;
    expect([answer.type, codeText(answer.code), answer.token.equals(a.token)]).toEqual(['CON', '2.04', true]);

    s.request(6000, Method.POST, ['ps', 't'], { query: ['qos=1'], payload: Buffer.from('y') });
    await s.flush();
    s.st.accept[1]!.reject('PH_STORE_WRITE');
    await s.flush();
    await s.flush();
    expect(codeText(s.st.sent.at(-1)!.msg.code)).toBe('5.00');
    expect(s.st.dropped.publish_ph_store_write).toBe(1);
  });

  it('publishes a duplicated NON once (RFC 7252 §4.5)', async () => {
    const s = stubEndpoint();
    const opts = { type: 'NON' as const, messageId: 4242, payload: Buffer.from('once') };
    s.request(6000, Method.POST, ['ps', 'n'], opts);
    s.request(6000, Method.POST, ['ps', 'n'], opts);
    await s.flush();
    expect(s.st.published.map((p) => p.payload.toString())).toEqual(['once']);
    expect(s.st.events.duplicate).toBe(1);
  });

  it('connectionless clientid= names the broker client on the first request only', async () => {
    const s = stubEndpoint();
    s.request(6000, Method.POST, ['ps', 't'], { query: ['clientid=dev-1'], payload: Buffer.from('a') });
    await s.flush();
    s.request(6000, Method.POST, ['ps', 't'], { query: ['clientid=other'], payload: Buffer.from('b') });
    s.request(6001, Method.POST, ['ps', 't'], { payload: Buffer.from('c') });
    await s.flush();
    expect(s.st.clientIds).toEqual(['dev-1', 'coap-127.0.0.1:6001']);
    expect(s.st.published.map((p) => p.clientId)).toEqual(['dev-1', 'dev-1', 'coap-127.0.0.1:6001']);
  });

  it('a RST to a CON notification ends its observation and (connectionless) its subscription', async () => {
    const s = stubEndpoint({ notify_type: 'con' });
    await observe(s, 6000, ['ps', 't'], [], Buffer.from([1]));
    const d = s.deliver(0, 't', 'm', 1);
    const n = s.st.sent.at(-1)!;
    expect(n.msg.type).toBe('CON');
    s.empty(6000, 'RST', n.msg.messageId);
    expect(d.acked).toBe(true);
    expect(s.st.events.observe_end_reset).toBe(1);
    expect(s.st.unsubscribed).toEqual(['t']);
    s.advance(60_000);
    expect(s.st.sent.filter((x) => x.msg.messageId === n.msg.messageId)).toHaveLength(1); // no retransmission
  });
});

describe('gateway stop', () => {
  it('connection mode: sessions are lost (wills published); connectionless: closed normally', async () => {
    const conn = stubEndpoint({ connection_required: true });
    await connect(conn, 6000, 'c1');
    conn.ep.close();
    expect([conn.st.lost, conn.st.closed]).toEqual([['c1'], []]);
    const free = stubEndpoint();
    free.request(6000, Method.POST, ['ps', 't'], { query: ['clientid=d1'], payload: Buffer.from('x') });
    await free.flush();
    free.ep.close();
    expect([free.st.lost, free.st.closed]).toEqual([[], ['d1']]);
  });
});

describe('gateway stop keeps a persistent session whole', () => {
  it('connection mode: messages queued on an observation are not acked to the session when the gateway stops', async () => {
    const s = stubEndpoint({ connection_required: true, notify_type: 'con', session_expiry: '1h' });
    const q = await connect(s, 6000, 'c1');
    await observe(s, 6000, ['ps', 't'], q, Buffer.from([1]));
    const ds = ['in-flight', 'queued'].map((p) => s.deliver(0, 't', p, 1));
    s.ep.close();
    expect(ds.map((d) => d.acked)).toEqual([false, false]);
  });
});

describe('Block1 byte budget', () => {
  it('a block that would pass limits.max_block_bytes ends its transfer with 5.03, counted', async () => {
    const s = stubEndpoint({ limits: { max_block_bytes: '1KB' }, max_block_size: '512B' });
    const b1 = (num: number) => ({ number: Opt.Block1, value: encodeBlock({ num, more: true, szx: 5 }) });
    s.request(7000, Method.POST, ['ps', 'a'], { extra: [b1(0)], payload: Buffer.alloc(512) });
    s.request(7001, Method.POST, ['ps', 'b'], { extra: [b1(0)], payload: Buffer.alloc(512) });
    s.request(7000, Method.POST, ['ps', 'a'], { extra: [b1(1)], payload: Buffer.alloc(512) });
    await s.flush();
    expect(s.st.sent.map((x) => codeText(x.msg.code))).toEqual(['2.31', '2.31', '5.03']);
    expect(s.st.dropped).toEqual({ block_transfers_bytes: 1 });
    expect(s.ep.block1.bytes).toBe(512);
  });
});
