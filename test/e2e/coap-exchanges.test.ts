/**
 * Points of the CoAP issue that had no test yet, against a raw UDP endpoint: separate responses (RFC 7252
 * §5.2.2), 4.05 for a method a resource does not take, 4.00 for a bad topic, the MQTT 5 content type back as the
 * notification's Content-Format, `expiry` as the MQTT message expiry, a truncated Block1 block.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/auth/password-file-write.js';
import { encodeBlock } from '../../gateways/coap/block-option.js';
import { Method, Opt, Rsp, codeText, decodeUint, firstOption, type CoapMessage } from '../../gateways/coap/message.js';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import { startCoapEdge } from '../support/coap-hub.js';
import { RawCoap, observeOption, uriOptions } from '../support/coap-raw.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { freeUdpPort } from '../support/net.js';
import { tempDir } from '../support/tmp.js';

const raws: RawCoap[] = [];
afterEach(async () => {
  closeAllClients();
  raws.splice(0).forEach((r) => r.close());
  await stopAllHubs();
});

async function setup(coap: Record<string, unknown> = {}, hubConfig: Record<string, unknown> = {}) {
  const { hub, port } = await startCoapEdge(coap, hubConfig);
  const raw = await RawCoap.open(port);
  raws.push(raw);
  return { hub, raw };
}

const answerTo = (token: Buffer) => (m: CoapMessage) => m.token.equals(token) && m.code !== 0;
const table = (hub: StartedHub, name: string) =>
  hub.hub.metrics.value('protohub_gateway_table_entries', { gateway: 'coap.edge', table: name });

describe('CoAP exchanges', () => {
  it('a CON whose answer takes longer gets an empty ACK first and the answer as a separate CON (RFC 7252 §5.2.2)', async () => {
    // scrypt with p = 8 makes the first request's authentication take far longer than half of ack_timeout
    const passwordFile = join(tempDir('protohub-coap-slow-'), 'passwd');
    await upsertUser(passwordFile, 'slow', 'secret', { N: 16384, r: 8, p: 8 });
    await upsertUser(passwordFile, 'app', 'app');
    const { hub, raw } = await setup(
      { transmission: { ack_timeout: '100ms' } },
      { auth: { allow_anonymous: false, password_file: passwordFile } },
    );
    const app = await connectV5(hub.url, { username: 'app', password: 'app' });
    await subscribe(app, 'coap/slow', { qos: 1 });
    const got = collect(app, 1);
    const token = Buffer.from([0x5e, 1]);
    const req = raw.send({
      code: Method.POST,
      token,
      options: uriOptions('ps/slow', ['username=slow', 'password=secret']),
      payload: Buffer.from('late'),
    });
    const empty = await raw.next((m) => m.type === 'ACK' && m.messageId === req.messageId, 'empty ACK');
    expect(empty.code).toBe(0);
    expect(empty.token).toHaveLength(0);
    const separate = await raw.next(answerTo(token), 'separate response');
    expect(separate.type).toBe('CON');
    expect(separate.code).toBe(Rsp.Changed);
    expect(separate.messageId).not.toBe(req.messageId);
    expect((await got)[0].payload.toString()).toBe('late');
    // the client ACKs it: nothing left to retransmit
    raw.send({ type: 'ACK', code: 0, messageId: separate.messageId });
    await eventually(async () => (await table(hub, 'unacked_cons')) === 0, 'separate response settled');
    // a retransmission of the request gets the empty ACK again, not a second publish (RFC 7252 §4.5)
    raw.received.length = 0;
    raw.sendBytes((await import('../../gateways/coap/codec.js')).encodeCoap(req));
    const again = await raw.next((m) => m.messageId === req.messageId, 'ACK to the duplicate');
    expect(again.code).toBe(0);
    const twice = collect(app, 1, { timeoutMs: 1000 }).catch(() => 'none');
    expect(await twice).toBe('none');
  });

  it('answers a method a resource does not take with 4.05 (RFC 7252 §5.9.2.6)', async () => {
    const { raw } = await setup();
    const t = (n: number) => Buffer.from([0x45, n]);
    raw.send({ code: Method.DELETE, token: t(1), options: uriOptions('ps/a') });
    expect(codeText((await raw.next(answerTo(t(1)), 'DELETE ps/a')).code)).toBe('4.05');
    const conn = await setup({ connection_required: true });
    conn.raw.send({ code: Method.GET, token: t(2), options: uriOptions('mqtt/connection', ['clientid=x']) });
    expect(codeText((await conn.raw.next(answerTo(t(2)), 'GET mqtt/connection')).code)).toBe('4.05');
  });

  it('If-Match is refused 4.02, Proxy-Uri 5.05, an Accept the retained message does not match 4.06', async () => {
    const { hub, raw } = await setup();
    const t = (n: number) => Buffer.from([0x06, n]);
    const ask = async (n: number, extra: { number: number; value: Buffer }[], path = 'ps/acc') => {
      raw.send({ code: Method.GET, token: t(n), options: uriOptions(path, [], extra) });
      return raw.next(answerTo(t(n)), `request ${n}`);
    };
    // RFC 7252 §5.10.8: conditional requests are not implemented, so the critical option is unrecognised
    expect(codeText((await ask(1, [{ number: Opt.IfMatch, value: Buffer.from([1]) }])).code)).toBe('4.02');
    expect(codeText((await ask(2, [{ number: Opt.ProxyUri, value: Buffer.from('coap://x/y') }])).code)).toBe('5.05');
    const app = await connectV5(hub.url);
    await app.publishAsync('coap/acc', '{"a":1}', {
      qos: 1,
      retain: true,
      properties: { contentType: 'application/json' },
    });
    const accept = (format: number) => ({ number: Opt.Accept, value: Buffer.from([format]) });
    expect(codeText((await ask(3, [accept(0)])).code)).toBe('4.06');
    const ok = await ask(4, [accept(50)]);
    expect(codeText(ok.code)).toBe('2.05');
    expect(decodeUint(firstOption(ok, Opt.ContentFormat)!)).toBe(50);
  });

  it('qos=coap maps NON → QoS 0 and CON → QoS 1; notify_type=qos sends QoS 0 as NON and QoS 1 as CON', async () => {
    const { hub, raw } = await setup();
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/q/#', { qos: 2 });
    const got = collect(app, 3);
    const t = (n: number) => Buffer.from([0x9a, n]);
    raw.send({
      type: 'NON',
      code: Method.POST,
      token: t(1),
      options: uriOptions('ps/q/non'),
      payload: Buffer.from('n'),
    });
    await raw.next(answerTo(t(1)), 'NON answer');
    raw.send({ code: Method.POST, token: t(2), options: uriOptions('ps/q/con'), payload: Buffer.from('c') });
    await raw.next(answerTo(t(2)), 'CON answer');
    raw.send({ code: Method.POST, token: t(3), options: uriOptions('ps/q/two', ['qos=2']), payload: Buffer.from('2') });
    await raw.next(answerTo(t(3)), 'QoS 2 answer');
    const byTopic = Object.fromEntries((await got).map((m) => [m.topic, m.packet.qos]));
    expect(byTopic).toEqual({ 'coap/q/non': 0, 'coap/q/con': 1, 'coap/q/two': 2 });

    raw.send({ code: Method.GET, token: t(4), options: uriOptions('ps/n/x', ['qos=1'], [observeOption(0)]) });
    expect((await raw.next(answerTo(t(4)), 'registration')).code).toBe(Rsp.Content);
    await app.publishAsync('coap/n/x', 'zero', { qos: 0 });
    const zero = await raw.next((m) => m.token.equals(t(4)) && m.payload.toString() === 'zero', 'QoS 0 notification');
    expect(zero.type).toBe('NON');
    await app.publishAsync('coap/n/x', 'one', { qos: 1 });
    const one = await raw.next((m) => m.token.equals(t(4)) && m.payload.toString() === 'one', 'QoS 1 notification');
    expect(one.type).toBe('CON');
    raw.send({ type: 'ACK', code: 0, messageId: one.messageId });
  });

  it('an observation queue bounded by bytes drops the oldest; with queue_overflow = drop_newest the new ones go', async () => {
    const run = async (observe: Record<string, unknown>, payloads: string[], drops: number) => {
      const { hub, raw } = await setup({ notify_type: 'con', observe: { window: 1, ...observe } });
      const token = Buffer.from([0x0f, 1]);
      raw.send({ code: Method.GET, token, options: uriOptions('ps/qb', [], [observeOption(0)]) });
      expect((await raw.next(answerTo(token), 'registration')).code).toBe(Rsp.Content);
      const app = await connectV5(hub.url);
      for (const p of payloads) await app.publishAsync('coap/qb', p, { qos: 1 });
      // the first is in flight; the rest were queued or dropped by now
      const dropped = () =>
        hub.hub.metrics.value('protohub_gateway_dropped_total', { gateway: 'coap.edge', reason: 'observe_queue_full' });
      await eventually(async () => (await dropped()) === drops, 'drops counted');
      const got: string[] = [];
      const acked = new Set<number>();
      for (let i = 0; i < payloads.length - drops; i++) {
        const n = await raw.next(
          (m) => m.token.equals(token) && m.type === 'CON' && !acked.has(m.messageId),
          `notification ${i + 1}`,
        );
        acked.add(n.messageId);
        got.push(n.payload.toString());
        raw.send({ type: 'ACK', code: 0, messageId: n.messageId });
      }
      await stopAllHubs();
      return got;
    };
    // 4 bytes of queue: 'bb' + 'cc' fill it, 'dd' pushes 'bb' out
    expect(await run({ max_queue_bytes: '4B' }, ['aa', 'bb', 'cc', 'dd'], 1)).toEqual(['aa', 'cc', 'dd']);
    expect(await run({ max_queue: 2, queue_overflow: 'drop_newest' }, ['m1', 'm2', 'm3', 'm4', 'm5'], 2)).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
  });

  it('answers a publish to a wildcard topic 4.00 with a diagnostic', async () => {
    const { raw } = await setup();
    const token = Buffer.from([0x40, 0]);
    raw.send({ code: Method.POST, token, options: uriOptions('ps/a/+'), payload: Buffer.from('x') });
    const r = await raw.next(answerTo(token), '4.00');
    expect(codeText(r.code)).toBe('4.00');
    expect(r.payload.length).toBeGreaterThan(0);
  });

  it('an MQTT 5 content type becomes the notification Content-Format; expiry= becomes the message expiry', async () => {
    const { hub, raw } = await setup({ notify_type: 'non' });
    const token = Buffer.from([0xcf, 1]);
    raw.send({ code: Method.GET, token, options: uriOptions('ps/typed', [], [observeOption(0)]) });
    expect((await raw.next(answerTo(token), 'registration')).code).toBe(Rsp.Content);
    const app = await connectV5(hub.url);
    await app.publishAsync('coap/typed', '{"t":1}', { qos: 0, properties: { contentType: 'application/json' } });
    const n = await raw.next((m) => m.token.equals(token) && m.type === 'NON', 'notification');
    expect(decodeUint(firstOption(n, Opt.ContentFormat)!)).toBe(50);
    await app.publishAsync('coap/typed', 'plain', { qos: 0 });
    const plain = await raw.next((m) => m.token.equals(token) && m.payload.toString() === 'plain', 'untyped');
    expect(firstOption(plain, Opt.ContentFormat)).toBeUndefined();

    await subscribe(app, 'coap/expiring', { qos: 1 });
    const got = collect(app, 1);
    const t2 = Buffer.from([0xcf, 2]);
    raw.send({
      code: Method.POST,
      token: t2,
      options: uriOptions('ps/expiring', ['expiry=120']),
      payload: Buffer.from('e'),
    });
    expect((await raw.next(answerTo(t2), 'publish')).code).toBe(Rsp.Changed);
    const [m] = await got;
    expect(m.packet.properties?.messageExpiryInterval).toBeGreaterThan(100);
    expect(m.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(120);
  });

  it('answers a Block1 block shorter than its size with more blocks announced 4.08 (RFC 7959 §2.3, §2.9.2)', async () => {
    const { hub, raw } = await setup();
    const token = Buffer.from([0x48, 1]);
    const block0 = { number: Opt.Block1, value: encodeBlock({ num: 0, more: true, szx: 2 }) };
    raw.send({ code: Method.POST, token, options: uriOptions('ps/short', [], [block0]), payload: Buffer.alloc(40) });
    expect(codeText((await raw.next(answerTo(token), '4.08')).code)).toBe('4.08');
    await eventually(async () => (await table(hub, 'block1_transfers')) === 0, 'nothing kept');
    const incomplete = { gateway: 'coap.edge', reason: 'block_incomplete' };
    expect(await hub.hub.metrics.value('protohub_gateway_dropped_total', incomplete)).toBe(1);
  });

  it('connection mode: the will named at connect is published when heartbeats stop, not after DELETE', async () => {
    const { hub, raw } = await setup({ connection_required: true, heartbeat: '1s' });
    const t = (n: number) => Buffer.from([0x3a, n]);
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/status/#', { qos: 1 });
    const got = collect(app, 1, { timeoutMs: 20_000 });
    const connect = (n: number, query: string[], payload = 'offline') => {
      raw.send({
        code: Method.POST,
        token: t(n),
        options: uriOptions('mqtt/connection', query),
        payload: Buffer.from(payload),
      });
      return raw.next(answerTo(t(n)), `connect ${n}`);
    };
    // a will without its topic, and a bad will QoS, are 4.00
    expect(codeText((await connect(1, ['clientid=w0', 'will_qos=1'])).code)).toBe('4.00');
    expect(codeText((await connect(2, ['clientid=w0', 'will_topic=status/w0', 'will_qos=3'])).code)).toBe('4.00');
    // w2 disconnects normally: its will is discarded
    const w2 = await connect(3, ['clientid=w2', 'will_topic=status/w2', 'will_qos=1'], 'w2 gone');
    expect(codeText(w2.code)).toBe('2.01');
    const q2 = ['clientid=w2', `token=${w2.payload.toString()}`];
    raw.send({ code: Method.DELETE, token: t(4), options: uriOptions('mqtt/connection', q2) });
    expect((await raw.next(answerTo(t(4)), 'DELETE')).code).toBe(Rsp.Deleted);
    // w1 stops heartbeating: the broker loses it and publishes its retained will
    expect(
      codeText((await connect(5, ['clientid=w1', 'will_topic=status/w1', 'will_qos=1', 'will_retain=true'])).code),
    ).toBe('2.01');
    const [will] = await got;
    expect(will.topic).toBe('coap/status/w1');
    expect(will.payload.toString()).toBe('offline');
    expect(will.packet.retain).toBe(false); // a live subscriber sees the retain flag cleared [MQTT-3.3.1-9]
    const late = await connectV5(hub.url);
    const retained = collect(late, 1);
    await subscribe(late, 'coap/status/#', { qos: 1 });
    expect((await retained).map((m) => m.topic)).toEqual(['coap/status/w1']);
  });

  it('bad input leaves a debug line with the peer next to its counter', async () => {
    const lines: { peer?: string; msg?: string; reason?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as (typeof lines)[number]);
        done();
      },
    });
    const port = await freeUdpPort();
    const hub = await startHub({ gateways: { coap: { edge: { bind: `127.0.0.1:${port}` } } } } as never, {
      logger: pino({ level: 'debug' }, sink),
    });
    const raw = await RawCoap.open(port);
    raws.push(raw);
    const token = Buffer.from([0x02, 1]);
    raw.send({
      code: Method.POST,
      token,
      options: uriOptions('ps/a', [], [{ number: 9999, value: Buffer.from('x') }]),
    });
    expect(codeText((await raw.next(answerTo(token), '4.02')).code)).toBe('4.02');
    raw.sendBytes(Buffer.from('40010203f0', 'hex')); // malformed CON: RST
    await raw.next((m) => m.type === 'RST' && m.messageId === 0x0203, 'RST');
    const dropped = (reason: string) =>
      hub.hub.metrics.value('protohub_gateway_dropped_total', { gateway: 'coap.edge', reason });
    expect(await dropped('bad_option')).toBe(1);
    expect(await dropped('malformed_option')).toBeGreaterThanOrEqual(1);
    const peerKey = /^127\.0\.0\.1:\d+$/;
    await eventually(() => lines.some((l) => peerKey.test(l.peer ?? '') && /4\.02/.test(l.msg ?? '')), '4.02 line');
    await eventually(() => lines.some((l) => peerKey.test(l.peer ?? '') && /malformed/.test(l.msg ?? '')), 'RST line');
  });
});
