/**
 * CoAP gateway message layer and limits against a raw UDP endpoint (exact message ids, duplicates, withheld ACKs,
 * RSTs, malformed datagrams): what libcoap's client cannot be made to do.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/auth/password-file-write.js';
import { Method, Opt, Rsp, codeText, decodeUint, firstOption } from '../../gateways/coap/message.js';
import { encodeBlock } from '../../gateways/coap/block-option.js';
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
  return { hub, raw, port };
}

const dropped = (hub: StartedHub, reason: string) =>
  hub.hub.metrics.value('protohub_gateway_dropped_total', { gateway: 'coap.edge', reason });
const subscriptions = (hub: StartedHub) => hub.hub.metrics.value('protohub_subscriptions');

function responseTo(token: Buffer, code?: number) {
  return (m: { token: Buffer; code: number; type: string }) =>
    m.token.equals(token) && (code === undefined || m.code === code) && m.code !== 0;
}

describe('CoAP message layer (RFC 7252)', () => {
  it('answers a malformed CON with RST, drops a malformed NON, counts both, and keeps serving', async () => {
    const { hub, raw } = await setup();
    // CON, mid 0x0203, option delta 15 (reserved): a format error with a readable header.
    raw.sendBytes(Buffer.from('40010203f0', 'hex'));
    const rst = await raw.next((m) => m.type === 'RST' && m.messageId === 0x0203, 'RST to malformed CON');
    expect(rst.code).toBe(0);
    raw.sendBytes(Buffer.from('50010204f0', 'hex')); // the same as NON: no answer
    raw.sendBytes(Buffer.from([0xff, 0x00])); // not even a header
    // at least: stray datagrams from other tests' peers on loopback (e.g. RTPS discovery) count here too
    await eventually(async () => (await dropped(hub, 'malformed_option')) >= 2, 'two malformed counted');
    await eventually(async () => (await dropped(hub, 'malformed_truncated')) >= 1, 'truncated counted');
    expect(raw.received.filter((m) => m.messageId === 0x0204)).toHaveLength(0);
    const token = Buffer.from([7]);
    raw.send({ code: Method.POST, token, options: uriOptions('ps/after'), payload: Buffer.from('x') });
    expect((await raw.next(responseTo(token), 'publish after garbage')).code).toBe(Rsp.Changed);
  });

  it('answers an unrecognised critical option with 4.02 and a CoAP ping with RST', async () => {
    const { raw } = await setup();
    const token = Buffer.from([1]);
    raw.send({
      code: Method.POST,
      token,
      options: uriOptions('ps/a', [], [{ number: 9999, value: Buffer.from('x') }]),
    });
    expect(codeText((await raw.next(responseTo(token), '4.02')).code)).toBe('4.02');
    const ping = raw.send({ code: 0, type: 'CON' });
    await raw.next((m) => m.type === 'RST' && m.messageId === ping.messageId, 'RST to ping');
  });

  it('publishes a duplicated CON once and answers both copies with the same ACK (RFC 7252 §4.5)', async () => {
    const { hub, raw } = await setup();
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/dup', { qos: 1 });
    const got = collect(app, 1);
    const token = Buffer.from([0xaa]);
    const req = raw.send({ code: Method.POST, token, options: uriOptions('ps/dup'), payload: Buffer.from('once') });
    await raw.next(responseTo(token), 'first ACK');
    raw.sendBytes((await import('../../gateways/coap/codec.js')).encodeCoap(req));
    await eventually(() => raw.received.filter((m) => m.messageId === req.messageId).length === 2, 'second ACK');
    const [a, b] = raw.raw.filter((bytes) => bytes.readUInt16BE(2) === req.messageId);
    expect(a!.equals(b!)).toBe(true);
    await got;
    const more = collect(app, 1, { timeoutMs: 1500 }).catch(() => 'none');
    expect(await more).toBe('none');
  });
});

describe('CoAP observe (RFC 7641)', () => {
  async function observe(raw: RawCoap, filter: string, token: Buffer) {
    raw.send({ code: Method.GET, token, options: uriOptions(`ps/${filter}`, [], [observeOption(0)]) });
    const ack = await raw.next(responseTo(token, Rsp.Content), 'registration');
    expect(firstOption(ack, Opt.Observe)).toBeDefined();
    return ack;
  }
  const notifications = (raw: RawCoap, token: Buffer) =>
    raw.received.filter((m) => m.token.equals(token) && m.code === Rsp.Content && m.type !== 'ACK');

  it('holds CON notifications behind a window of 1 until ACKed, in order, dropping the oldest past max_queue', async () => {
    const { hub, raw } = await setup({ observe: { window: 1, max_queue: 2 }, notify_type: 'con' });
    const token = Buffer.from([0x11]);
    await observe(raw, 'w', token);
    const app = await connectV5(hub.url);
    for (let i = 1; i <= 5; i++) await app.publishAsync('coap/w', `m${i}`, { qos: 1 });
    const first = await raw.next((m) => m.token.equals(token) && m.type === 'CON', 'first CON notification');
    expect(first.payload.toString()).toBe('m1');
    await eventually(async () => (await dropped(hub, 'observe_queue_full')) === 2, 'two dropped from the queue');
    expect(notifications(raw, token).every((m) => m.payload.toString() === 'm1')).toBe(true);
    // m1 in flight, m4 and m5 queued: each leaves when the one before is ACKed (5 published, 2 dropped)
    const acked = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const n = await raw.next(
        (m) => m.token.equals(token) && m.type === 'CON' && !acked.has(m.messageId),
        `notification ${i + 1} of 3`,
      );
      acked.add(n.messageId);
      raw.send({ code: 0, type: 'ACK', messageId: n.messageId });
    }
    const order = [...new Set(notifications(raw, token).map((m) => m.payload.toString()))];
    expect(order).toEqual(['m1', 'm4', 'm5']);
    const seqs = notifications(raw, token).map((m) => decodeUint(firstOption(m, Opt.Observe)!));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('ends an observation whose CON notification is never acknowledged, and its subscription', async () => {
    const { hub, raw } = await setup({
      notify_type: 'con',
      transmission: { ack_timeout: '100ms', max_retransmit: 2 },
    });
    const token = Buffer.from([0x22]);
    await observe(raw, 'silent', token);
    expect(await subscriptions(hub)).toBe(1);
    const app = await connectV5(hub.url);
    await app.publishAsync('coap/silent', 'hello', { qos: 1 });
    await eventually(async () => (await dropped(hub, 'notify_timeout')) === 1, 'notification given up');
    // 1 transmission + 2 retransmissions of the same message id
    expect(notifications(raw, token)).toHaveLength(3);
    await eventually(async () => (await subscriptions(hub)) === 0, 'subscription removed');
  });

  it('a RST to a notification and a GET with Observe 1 both cancel the observation', async () => {
    const { hub, raw } = await setup({ notify_type: 'non' });
    const t1 = Buffer.from([0x31]);
    const t2 = Buffer.from([0x32]);
    await observe(raw, 'a', t1);
    await observe(raw, 'b', t2);
    expect(await subscriptions(hub)).toBe(2);
    const app = await connectV5(hub.url);
    await app.publishAsync('coap/a', 'x', { qos: 0 });
    const n = await raw.next((m) => m.token.equals(t1) && m.type === 'NON', 'NON notification');
    raw.send({ code: 0, type: 'RST', messageId: n.messageId });
    await eventually(async () => (await subscriptions(hub)) === 1, 'RST cancelled');
    raw.send({ code: Method.GET, token: t2, options: uriOptions('ps/b', [], [observeOption(1)]) });
    await eventually(async () => (await subscriptions(hub)) === 0, 'Observe 1 cancelled');
  });

  it('bounds observations per client and in all (5.03 past the limit)', async () => {
    const { hub, raw, port } = await setup({ observe: { max_per_client: 3, max_total: 5 } });
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) {
      const token = Buffer.from([0x40, i]);
      raw.send({ code: Method.GET, token, options: uriOptions(`ps/f${i}`, [], [observeOption(0)]) });
      answers.push((await raw.next(responseTo(token), `registration ${i}`)).code);
    }
    expect(answers.map(codeText)).toEqual(['2.05', '2.05', '2.05', '5.03', '5.03']);
    const others = await Promise.all([RawCoap.open(port), RawCoap.open(port)]);
    raws.push(...others);
    const more: number[] = [];
    for (const [j, r] of others.entries()) {
      for (let i = 0; i < 2; i++) {
        const token = Buffer.from([0x50 + j, i]);
        r.send({ code: Method.GET, token, options: uriOptions(`ps/g${i}`, [], [observeOption(0)]) });
        more.push((await r.next(responseTo(token), 'other client')).code);
      }
    }
    expect(more.map(codeText)).toEqual(['2.05', '2.05', '5.03', '5.03']);
    expect(await dropped(hub, 'observe_limit_total')).toBe(2);
  });
});

describe('CoAP blockwise limits (RFC 7959)', () => {
  it('forgets a Block1 transfer that never completes and answers its late block 4.08', async () => {
    const { hub, raw } = await setup({ block_timeout: '1s' });
    const token = Buffer.from([0x60]);
    const block = (num: number, more: boolean) => ({ number: Opt.Block1, value: encodeBlock({ num, more, szx: 0 }) });
    raw.send({
      code: Method.POST,
      token,
      options: uriOptions('ps/slow', [], [block(0, true)]),
      payload: Buffer.alloc(16),
    });
    expect((await raw.next(responseTo(token), 'continue')).code).toBe(Rsp.Continue);
    // past block_timeout the sweep (every second) forgets the transfer and counts it
    await eventually(async () => (await dropped(hub, 'block_transfer_expired')) === 1, 'transfer forgotten', 15_000);
    const t2 = Buffer.from([0x61]);
    raw.send({
      code: Method.POST,
      token: t2,
      options: uriOptions('ps/slow', [], [block(1, false)]),
      payload: Buffer.alloc(3),
    });
    expect(codeText((await raw.next(responseTo(t2), '4.08')).code)).toBe('4.08');
  });

  it('answers a body over max_body_size 4.13 with Size1', async () => {
    const { raw } = await setup({ max_body_size: '100B' });
    const token = Buffer.from([0x70]);
    raw.send({ code: Method.POST, token, options: uriOptions('ps/big'), payload: Buffer.alloc(200) });
    const r = await raw.next(responseTo(token), '4.13');
    expect(codeText(r.code)).toBe('4.13');
    expect(decodeUint(firstOption(r, Opt.Size1)!)).toBe(100);
  });
});

describe('CoAP clients are broker clients', () => {
  it('connection mode: token from POST mqtt/connection, 4.01 without it, heartbeat, DELETE', async () => {
    const { hub, raw } = await setup({ connection_required: true });
    const t = (n: number) => Buffer.from([0x80, n]);
    raw.send({ code: Method.POST, token: t(1), options: uriOptions('ps/x'), payload: Buffer.from('no') });
    expect(codeText((await raw.next(responseTo(t(1)), '4.01')).code)).toBe('4.01');
    raw.send({ code: Method.POST, token: t(2), options: uriOptions('mqtt/connection', ['clientid=dev1']) });
    const created = await raw.next(responseTo(t(2)), 'connect');
    expect(codeText(created.code)).toBe('2.01');
    const token = created.payload.toString();
    expect(await hub.hub.metrics.value('protohub_connections', { protocol: 'coap' })).toBe(1);
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/#', { qos: 1 });
    const got = collect(app, 1);
    const q = ['clientid=dev1', `token=${token}`];
    raw.send({ code: Method.POST, token: t(3), options: uriOptions('ps/x', q), payload: Buffer.from('yes') });
    expect((await raw.next(responseTo(t(3)), 'publish')).code).toBe(Rsp.Changed);
    expect((await got)[0].payload.toString()).toBe('yes');
    raw.send({ code: Method.PUT, token: t(4), options: uriOptions('mqtt/connection', q) });
    expect((await raw.next(responseTo(t(4)), 'heartbeat')).code).toBe(Rsp.Changed);
    raw.send({ code: Method.PUT, token: t(5), options: uriOptions('mqtt/connection', ['clientid=dev1', 'token=bad']) });
    expect(codeText((await raw.next(responseTo(t(5)), 'bad token')).code)).toBe('4.01');
    raw.send({ code: Method.DELETE, token: t(6), options: uriOptions('mqtt/connection', q) });
    expect((await raw.next(responseTo(t(6)), 'disconnect')).code).toBe(Rsp.Deleted);
    await eventually(
      async () => (await hub.hub.metrics.value('protohub_connections', { protocol: 'coap' })) === 0,
      'gone',
    );
  });

  it('connection mode: a client that stops heartbeating is disconnected by keep-alive', async () => {
    const { hub, raw } = await setup({ connection_required: true, heartbeat: '1s' });
    const token = Buffer.from([0x90]);
    raw.send({ code: Method.POST, token, options: uriOptions('mqtt/connection', ['clientid=sleepy']) });
    expect(codeText((await raw.next(responseTo(token), 'connect')).code)).toBe('2.01');
    expect(await hub.hub.metrics.value('protohub_connections', { protocol: 'coap' })).toBe(1);
    await eventually(
      async () => (await hub.hub.metrics.value('protohub_connections', { protocol: 'coap' })) === 0,
      'keep-alive expiry',
      15_000,
    );
  });

  it('authenticates with username/password from the query and authorizes by the hub rules (4.01, 4.03)', async () => {
    const passwordFile = join(tempDir('protohub-coap-auth-'), 'passwd');
    await upsertUser(passwordFile, 'alice', 'wonderland');
    const { hub, raw } = await setup(
      {},
      {
        auth: { allow_anonymous: false, password_file: passwordFile },
        authorization: {
          no_match: 'allow',
          rules: [{ permission: 'deny', who: 'all', action: 'publish', topics: ['coap/secret/#'] }],
        },
      },
    );
    const t = (n: number) => Buffer.from([0xa0, n]);
    raw.send({ code: Method.POST, token: t(1), options: uriOptions('ps/a', ['username=alice', 'password=nope']) });
    expect(codeText((await raw.next(responseTo(t(1)), 'bad password')).code)).toBe('4.01');
    const peer2 = await RawCoap.open((raw as unknown as { port: number }).port);
    raws.push(peer2);
    const creds = ['username=alice', 'password=wonderland'];
    peer2.send({ code: Method.POST, token: t(2), options: uriOptions('ps/open', creds), payload: Buffer.from('1') });
    expect((await peer2.next(responseTo(t(2)), 'allowed')).code).toBe(Rsp.Changed);
    peer2.send({
      code: Method.POST,
      token: t(3),
      options: uriOptions('ps/secret/x', creds),
      payload: Buffer.from('1'),
    });
    expect(codeText((await peer2.next(responseTo(t(3)), 'denied')).code)).toBe('4.03');
    expect(await hub.hub.metrics.value('protohub_connections', { protocol: 'coap' })).toBe(1);
  });
});

describe('CoAP transport', () => {
  it('listens on IPv6 ([::1]) as well', async () => {
    const port = await freeUdpPort();
    const hub = await startHub({ gateways: { coap: { edge: { bind: `[::1]:${port}` } } } } as never);
    const app = await connectV5(hub.url);
    await subscribe(app, 'v6/#', { qos: 1 });
    const got = collect(app, 1);
    const { createSocket } = await import('node:dgram');
    const { encodeCoap } = await import('../../gateways/coap/codec.js');
    const s = createSocket('udp6');
    const bytes = encodeCoap({
      type: 'CON',
      code: Method.POST,
      messageId: 5,
      token: Buffer.from([1]),
      options: uriOptions('ps/v6/a'),
      payload: Buffer.from('six'),
    });
    await new Promise<void>((resolve, reject) => s.send(bytes, port, '::1', (err) => (err ? reject(err) : resolve())));
    const [m] = await got;
    s.close();
    expect(m.topic).toBe('v6/a');
    expect(m.payload.toString()).toBe('six');
  });

  it('observes over IPv6: CON notifications retransmitted until ACKed, then the next one', async () => {
    const port = await freeUdpPort();
    const hub = await startHub({
      gateways: {
        coap: {
          edge: {
            bind: `[::1]:${port}`,
            mountpoint: 'coap/',
            notify_type: 'con',
            transmission: { ack_timeout: '200ms', max_retransmit: 4 },
          },
        },
      },
    } as never);
    const raw = await RawCoap.open(port, '::1');
    raws.push(raw);
    const token = Buffer.from([0x66]);
    raw.send({ code: Method.GET, token, options: uriOptions('ps/v6/obs', [], [observeOption(0)]) });
    expect((await raw.next(responseTo(token, Rsp.Content), 'registration over IPv6')).type).toBe('ACK');
    const app = await connectV5(hub.url);
    await app.publishAsync('coap/v6/obs', 'one', { qos: 1 });
    await app.publishAsync('coap/v6/obs', 'two', { qos: 1 });
    const first = await raw.next((m) => m.token.equals(token) && m.payload.toString() === 'one', 'one');
    // not ACKed: the same message (id) again after ack_timeout, and 'two' waits behind it
    await eventually(
      () => raw.received.filter((m) => m.type === 'CON' && m.messageId === first.messageId).length >= 2,
      'retransmission over IPv6',
    );
    expect(raw.received.some((m) => m.payload.toString() === 'two')).toBe(false);
    raw.send({ code: 0, type: 'ACK', messageId: first.messageId });
    const second = await raw.next((m) => m.token.equals(token) && m.payload.toString() === 'two', 'two');
    raw.send({ code: 0, type: 'ACK', messageId: second.messageId });
  });

  it('survives a burst of random datagrams from many ports and still answers', async () => {
    const { hub, raw, port } = await setup({ limits: { max_clients: 50 } });
    const fc = (await import('fast-check')).default;
    const senders = await Promise.all(Array.from({ length: 20 }, () => RawCoap.open(port)));
    raws.push(...senders);
    const samples = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 80 }), 2000);
    samples.forEach((b, i) => senders[i % senders.length]!.sendBytes(Buffer.from(b)));
    // a valid request after the burst is still served (the socket and the endpoint survived)
    const token = Buffer.from([0xee]);
    await eventually(async () => {
      raw.send({ code: Method.POST, token, options: uriOptions('ps/alive'), payload: Buffer.from('1') });
      return raw.received.some((m) => m.token.equals(token) && m.code === Rsp.Changed);
    }, 'answer after the burst');
    expect(await hub.hub.metrics.value('protohub_gateway_dropped_total', { gateway: 'coap.edge' })).toBeGreaterThan(0);
  });
});

describe('CoAP clients in $SYS', () => {
  it('a connection-mode CoAP client produces $SYS connected/disconnected events like an MQTT client', async () => {
    const { hub, raw } = await setup(
      { connection_required: true },
      { sys_topics: { enable: true, sys_event_messages: { client_connected: true, client_disconnected: true } } },
    );
    const app = await connectV5(hub.url);
    const got = collect(app, 2);
    await subscribe(app, '$SYS/brokers/+/clients/+/+', { qos: 0 });
    const t = (n: number) => Buffer.from([0xb0, n]);
    raw.send({ code: Method.POST, token: t(1), options: uriOptions('mqtt/connection', ['clientid=sysdev']) });
    const created = await raw.next(responseTo(t(1)), 'connect');
    const q = ['clientid=sysdev', `token=${created.payload.toString()}`];
    raw.send({ code: Method.DELETE, token: t(2), options: uriOptions('mqtt/connection', q) });
    const [connected, disconnected] = await got;
    expect(connected.topic).toMatch(/clients\/sysdev\/connected$/);
    expect(JSON.parse(connected.payload.toString())).toMatchObject({ clientid: 'sysdev', proto_name: 'CoAP' });
    expect(disconnected.topic).toMatch(/clients\/sysdev\/disconnected$/);
    expect(JSON.parse(disconnected.payload.toString())).toMatchObject({ clientid: 'sysdev', reason: 'normal' });
  });
});

describe('CoAP review fixes', () => {
  const t = (a: number, b: number) => Buffer.from([a, b]);

  it('keeps Block1 transfers of two clients to the same topic apart', async () => {
    const { hub, raw, port } = await setup();
    const other = await RawCoap.open(port);
    raws.push(other);
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/same', { qos: 1 });
    const got = collect(app, 2);
    const block = (num: number, more: boolean) => ({ number: Opt.Block1, value: encodeBlock({ num, more, szx: 0 }) });
    raw.send({
      code: Method.POST,
      token: t(1, 1),
      options: uriOptions('ps/same', [], [block(0, true)]),
      payload: Buffer.alloc(16, 'A'),
    });
    await raw.next(responseTo(t(1, 1)), 'A block 0');
    other.send({
      code: Method.POST,
      token: t(2, 1),
      options: uriOptions('ps/same', [], [block(0, true)]),
      payload: Buffer.alloc(16, 'B'),
    });
    await other.next(responseTo(t(2, 1)), 'B block 0');
    raw.send({
      code: Method.POST,
      token: t(1, 2),
      options: uriOptions('ps/same', [], [block(1, false)]),
      payload: Buffer.from('a-end'),
    });
    other.send({
      code: Method.POST,
      token: t(2, 2),
      options: uriOptions('ps/same', [], [block(1, false)]),
      payload: Buffer.from('b-end'),
    });
    const bodies = (await got).map((m) => m.payload.toString()).sort();
    expect(bodies).toEqual(['A'.repeat(16) + 'a-end', 'B'.repeat(16) + 'b-end']);
  });

  it('a plain GET is authorized like a subscription (4.03) and needs the token in connection mode (4.01)', async () => {
    const { hub, raw } = await setup(
      {},
      {
        authorization: {
          no_match: 'allow',
          rules: [{ permission: 'deny', who: 'all', action: 'subscribe', topics: ['coap/private/#'] }],
        },
      },
    );
    const app = await connectV5(hub.url);
    await app.publishAsync('coap/private/x', 'secret', { qos: 1, retain: true });
    await app.publishAsync('coap/public/x', 'hello', { qos: 1, retain: true });
    raw.send({ code: Method.GET, token: t(3, 1), options: uriOptions('ps/private/x') });
    expect(codeText((await raw.next(responseTo(t(3, 1)), 'denied read')).code)).toBe('4.03');
    raw.send({ code: Method.GET, token: t(3, 2), options: uriOptions('ps/public/x') });
    expect((await raw.next(responseTo(t(3, 2)), 'allowed read')).payload.toString()).toBe('hello');
    // an observation of a denied filter is refused the same way, and leaves no subscription
    raw.send({ code: Method.GET, token: t(3, 4), options: uriOptions('ps/private/#', [], [observeOption(0)]) });
    const denied = await raw.next(responseTo(t(3, 4)), 'denied observe');
    expect(codeText(denied.code)).toBe('4.03');
    expect(firstOption(denied, Opt.Observe)).toBeUndefined();
    expect(await subscriptions(hub)).toBe(0);
    expect(await dropped(hub, 'subscribe_not_authorized')).toBe(1);

    const conn = await setup({ connection_required: true });
    const app2 = await connectV5(conn.hub.url);
    await app2.publishAsync('coap/public/x', 'hello', { qos: 1, retain: true });
    conn.raw.send({ code: Method.GET, token: t(3, 3), options: uriOptions('ps/public/x') });
    expect(codeText((await conn.raw.next(responseTo(t(3, 3)), 'no token')).code)).toBe('4.01');
  });

  it('connection mode: the subscription and its messages outlive an observation that timed out', async () => {
    const { hub, raw } = await setup({
      connection_required: true,
      notify_type: 'con',
      observe: { window: 1 },
      transmission: { ack_timeout: '100ms', max_retransmit: 1 },
    });
    raw.send({ code: Method.POST, token: t(4, 1), options: uriOptions('mqtt/connection', ['clientid=keep']) });
    const q = ['clientid=keep', `token=${(await raw.next(responseTo(t(4, 1)), 'connect')).payload.toString()}`];
    raw.send({ code: Method.GET, token: t(4, 2), options: uriOptions('ps/keep/x', q, [observeOption(0)]) });
    await raw.next(responseTo(t(4, 2), Rsp.Content), 'registration');
    const app = await connectV5(hub.url);
    // never ACKed: 'first' is retransmitted, then the observation ends with 'second' and 'third' queued behind it
    for (const m of ['first', 'second', 'third']) await app.publishAsync('coap/keep/x', m, { qos: 1 });
    await eventually(
      async () =>
        (await hub.hub.metrics.value('protohub_gateway_socket_events_total', {
          gateway: 'coap.edge',
          event: 'observe_end_timeout',
        })) === 1,
      'observation given up',
    );
    expect(await subscriptions(hub)).toBe(1); // still in the broker session
    expect(await dropped(hub, 'observe_cancelled')).toBe(0);
    await app.publishAsync('coap/keep/x', 'while-away', { qos: 1 });
    raw.send({ code: Method.GET, token: t(4, 3), options: uriOptions('ps/keep/x', q, [observeOption(0)]) });
    const got: string[] = [];
    for (const expected of ['first', 'second', 'third', 'while-away']) {
      const n = await raw.next(
        (m) => m.token.equals(t(4, 3)) && m.type === 'CON' && m.payload.toString() === expected,
        `${expected} on the new observation`,
      );
      got.push(n.payload.toString());
      raw.send({ code: 0, type: 'ACK', messageId: n.messageId });
    }
    const order = raw.received
      .filter((m) => m.token.equals(t(4, 3)) && m.type === 'CON')
      .map((m) => m.payload.toString());
    expect([...new Set(order)]).toEqual(['first', 'second', 'third', 'while-away']);
  });

  it('a re-registration with the same token keeps increasing the Observe sequence (RFC 7641 §4.4)', async () => {
    const { hub, raw } = await setup({ notify_type: 'non' });
    const token = t(5, 1);
    const register = () => raw.send({ code: Method.GET, token, options: uriOptions('ps/seq', [], [observeOption(0)]) });
    const app = await connectV5(hub.url);
    register();
    await raw.next(responseTo(token, Rsp.Content), 'first registration');
    await app.publishAsync('coap/seq', 'a', { qos: 0 });
    const a = await raw.next((m) => m.token.equals(token) && m.payload.toString() === 'a', 'a');
    raw.received.length = 0;
    register();
    const again = await raw.next((m) => m.token.equals(token) && m.type === 'ACK', 're-registration');
    await app.publishAsync('coap/seq', 'b', { qos: 0 });
    const b = await raw.next((m) => m.token.equals(token) && m.payload.toString() === 'b', 'b');
    const seq = (m: typeof a) => decodeUint(firstOption(m, Opt.Observe)!);
    expect(seq(again)).toBeGreaterThan(seq(a));
    expect(seq(b)).toBeGreaterThan(seq(again));
    expect(await subscriptions(hub)).toBe(1);
  });
});

describe('CoAP limits as counters', () => {
  it('answers a CON datagram over max_datagram_size 4.13 with Size1 and a Block1 size hint', async () => {
    const { hub, raw } = await setup({ max_datagram_size: '600B', max_block_size: '1024B' });
    const token = Buffer.from([0xc0, 1]);
    raw.send({ code: Method.POST, token, options: uriOptions('ps/huge'), payload: Buffer.alloc(1000, 'x') });
    const r = await raw.next(responseTo(token), '4.13');
    expect(codeText(r.code)).toBe('4.13');
    expect(decodeUint(firstOption(r, Opt.Size1)!)).toBe(256 * 1024);
    // the hint is a block size that fits the datagram limit: 512 bytes (SZX 5) under 600
    expect(decodeUint(firstOption(r, Opt.Block1)!) & 0x07).toBe(5);
    expect(await dropped(hub, 'datagram_too_large')).toBe(1);
  });

  it('counts message ids the dedup table forgot early', async () => {
    const { hub, raw } = await setup({ limits: { max_dedup_entries: 100 } });
    // requests are deduplicated by message id: 150 NON publishes with fresh ids into a table of 100
    for (let i = 0; i < 150; i++)
      raw.send({ code: Method.POST, type: 'NON', options: uriOptions('ps/d'), payload: Buffer.from('1') });
    await eventually(async () => (await dropped(hub, 'dedup_evicted')) >= 50, 'evictions counted', 15_000);
    // the table itself stays at its limit (gauge updated every second)
    const dedupIds = () =>
      hub.hub.metrics.value('protohub_gateway_table_entries', { gateway: 'coap.edge', table: 'dedup_ids' });
    await eventually(async () => (await dedupIds()) === 100, 'dedup table at its limit');
  });
});
