/**
 * Block size negotiation (RFC 7959 §2.4 Block2 early/late negotiation, §2.5 Block1 size preference) through the
 * hub: with libcoap's coap-client (`-b` sets its block size) where it can drive it, and with a raw UDP endpoint
 * for exact option values.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock, type BlockOption } from '../../gateways/coap/block-option.js';
import { Method, Opt, Rsp, codeText, firstOption } from '../../gateways/coap/message.js';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import { coapClient, coapObserve, type CoapObserver } from '../support/coap-client.js';
import { startCoapEdge } from '../support/coap-hub.js';
import { RawCoap, observeOption, uriOptions } from '../support/coap-raw.js';
import { stopAllHubs } from '../support/hub.js';
import { describeWithPeers } from '../support/peers.js';
import { tempDir } from '../support/tmp.js';

const raws: RawCoap[] = [];
const observers: CoapObserver[] = [];
afterEach(async () => {
  closeAllClients();
  raws.splice(0).forEach((r) => r.close());
  await Promise.all(observers.splice(0).map((o) => o.stop()));
  await stopAllHubs();
});

const setup = (coap: Record<string, unknown> = {}) => startCoapEdge(coap);

async function rawPeer(port: number): Promise<RawCoap> {
  const raw = await RawCoap.open(port);
  raws.push(raw);
  return raw;
}

/** A body whose every byte says where it is, so a block from the wrong offset shows. */
const patterned = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => 65 + (i % 26)));
const block1 = (b: BlockOption) => ({ number: Opt.Block1, value: encodeBlock(b) });
const block2 = (b: BlockOption) => ({ number: Opt.Block2, value: encodeBlock(b) });
const blockOf = (m: { options: readonly { number: number; value: Buffer }[] }, n: number) => {
  const v = firstOption(m as never, n);
  return v === undefined ? undefined : decodeBlock(v);
};
const answerTo = (token: Buffer) => (m: { token: Buffer; code: number }) => m.token.equals(token) && m.code !== 0;
/** libcoap -v 7 logs each PDU as `… Block1:NUM/M/SIZE …`: the sizes it used for one option. */
const sizesLogged = (log: string, option: 'Block1' | 'Block2') =>
  new Set([...log.matchAll(new RegExp(`${option}:\\d+/[M_]/(\\d+)`, 'g'))].map((m) => Number(m[1])));

describeWithPeers(['coap_client'], 'CoAP block size negotiation with libcoap coap-client', () => {
  it('Block1: a client sending 1024-byte blocks to max_block_size 256 is told 256 in the 2.31 and continues at 256', async () => {
    const { hub, url } = await setup({ max_block_size: '256B' });
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/up/#', { qos: 1 });
    const got = collect(app, 1);
    const body = patterned(3000).toString();
    const file = join(tempDir(), 'body.txt');
    writeFileSync(file, body);
    const r = await coapClient(['-m', 'post', '-b', '1024', '-v', '7', '-f', file, `${url}/ps/up/dev1`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [m] = await got;
    expect(m.payload.toString()).toBe(body);
    // the first block went at the client's size, the rest at ours; the server's 2.31 named 256
    const log = r.stdout + r.stderr; // libcoap writes its debug lines to stdout
    expect(log).toMatch(/t:CON c:POST .*Block1:0\/M\/1024/);
    expect(log).toMatch(/c:2\.31 .*Block1:0\/M\/256/);
    expect(log).toMatch(/t:CON c:POST .*Block1:4\/M\/256/);
    expect([...sizesLogged(log, 'Block1')].sort((a, b) => a - b)).toEqual([256, 1024]);
    expect(
      await hub.hub.metrics.value('protohub_gateway_socket_events_total', {
        gateway: 'coap.edge',
        event: 'block1_size_reduced',
      }),
    ).toBe(1);
  });

  it('Block2 early negotiation: an observer asking for 64-byte blocks gets every notification in 64-byte blocks', async () => {
    const { hub, url } = await setup({ max_block_size: '1024B' });
    const obs = coapObserve(`${url}/ps/big/a`, 30, ['-b', '64', '-v', '7'], join(tempDir(), 'notifications.txt'));
    observers.push(obs);
    await eventually(async () => (await hub.hub.metrics.value('protohub_subscriptions')) > 0, 'observation');
    const app = await connectV5(hub.url);
    const first = patterned(700).toString();
    const second = patterned(300).toString().toLowerCase();
    await app.publishAsync('coap/big/a', first, { qos: 0 });
    await eventually(() => obs.lines().length >= 1, 'first notification');
    await app.publishAsync('coap/big/a', second, { qos: 0 });
    await eventually(() => obs.lines().length >= 2, 'second notification');
    expect(obs.lines().slice(0, 2)).toEqual([first, second]);
    // the registration asked for 64 (Block2:0/_/64); everything the hub sent was cut at 64
    expect(obs.log()).toMatch(/c:GET .*Observe:0.*Block2:0\/_\/64/);
    expect(sizesLogged(obs.log(), 'Block2')).toEqual(new Set([64]));
    // both notifications carried their first 64-byte block (a 700-byte one would fit max_block_size whole)
    expect(obs.log()).toMatch(/c:2\.05 .*Observe:\d+, Block2:0\/M\/64, Size2:700/);
    expect(obs.log()).toMatch(/c:2\.05 .*Observe:\d+, Block2:0\/M\/64, Size2:300/);
  });

  it('Block2 early negotiation on a plain GET: the retained message comes in the 32-byte blocks asked for', async () => {
    const { hub, url } = await setup({ max_block_size: '512B' });
    const app = await connectV5(hub.url);
    const body = patterned(500).toString();
    await app.publishAsync('coap/state/x', body, { qos: 1, retain: true });
    const out = join(tempDir(), 'read.txt');
    const r = await coapClient(['-m', 'get', '-b', '32', '-v', '7', '-o', out, `${url}/ps/state/x`]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(body);
    const log = r.stdout + r.stderr;
    expect(sizesLogged(log, 'Block2')).toEqual(new Set([32]));
    expect(log).toMatch(/c:2\.05 .*Block2:15\/_\/32/); // 500 bytes = 16 blocks of 32, though 512 would fit
  });
});

describe('CoAP block size negotiation on the wire (raw UDP)', () => {
  it('Block1: a block over max_block_size is kept whole, answered 2.31 at our size, and the body continues there', async () => {
    const { hub, port } = await setup({ max_block_size: '32B' });
    const raw = await rawPeer(port);
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/b1', { qos: 1 });
    const got = collect(app, 1);
    const body = patterned(128 + 32 + 10);
    const t = (n: number) => Buffer.from([0xb1, n]);
    // block 0 at 128 bytes (SZX 3): acknowledged as 0/1/32 (SZX 1), RFC 7959 §2.5
    raw.send({
      code: Method.POST,
      token: t(0),
      options: uriOptions('ps/b1', [], [block1({ num: 0, more: true, szx: 3 })]),
      payload: body.subarray(0, 128),
    });
    const c0 = await raw.next(answerTo(t(0)), '2.31 for block 0');
    expect(codeText(c0.code)).toBe('2.31');
    expect(blockOf(c0, Opt.Block1)).toEqual({ num: 0, more: true, szx: 1 });
    // the client goes on at 32 bytes from byte 128: block 4
    raw.send({
      code: Method.POST,
      token: t(1),
      options: uriOptions('ps/b1', [], [block1({ num: 4, more: true, szx: 1 })]),
      payload: body.subarray(128, 160),
    });
    const c1 = await raw.next(answerTo(t(1)), '2.31 for block 4');
    expect(codeText(c1.code)).toBe('2.31');
    expect(blockOf(c1, Opt.Block1)).toEqual({ num: 4, more: true, szx: 1 });
    raw.send({
      code: Method.POST,
      token: t(2),
      options: uriOptions('ps/b1', [], [block1({ num: 5, more: false, szx: 1 })]),
      payload: body.subarray(160),
    });
    const done = await raw.next(answerTo(t(2)), '2.04');
    expect(done.code).toBe(Rsp.Changed);
    expect((await got)[0].payload.equals(body)).toBe(true);
  });

  it('Block1: a later block over max_block_size is acknowledged with its NUM counted in our block size', async () => {
    const { port } = await setup({ max_block_size: '16B' });
    const raw = await rawPeer(port);
    const t = (n: number) => Buffer.from([0xb2, n]);
    const payload = patterned(64);
    // a client that ignores the first hint: block 1 at 64 bytes starts at byte 64 = block 4 of 16 bytes
    raw.send({
      code: Method.POST,
      token: t(0),
      options: uriOptions('ps/b2', [], [block1({ num: 0, more: true, szx: 2 })]),
      payload,
    });
    expect(blockOf(await raw.next(answerTo(t(0)), 'block 0'), Opt.Block1)).toEqual({ num: 0, more: true, szx: 0 });
    raw.send({
      code: Method.POST,
      token: t(1),
      options: uriOptions('ps/b2', [], [block1({ num: 1, more: true, szx: 2 })]),
      payload,
    });
    expect(blockOf(await raw.next(answerTo(t(1)), 'block 1'), Opt.Block1)).toEqual({ num: 4, more: true, szx: 0 });
    // and a block that does not continue the bytes held is 4.08 (RFC 7959 §2.9.2)
    raw.send({
      code: Method.POST,
      token: t(2),
      options: uriOptions('ps/b2', [], [block1({ num: 3, more: false, szx: 0 })]),
      payload: Buffer.from('x'),
    });
    expect(codeText((await raw.next(answerTo(t(2)), '4.08')).code)).toBe('4.08');
  });

  it('Block2: early negotiation at registration, late negotiation later, and never larger than max_block_size', async () => {
    const { hub, port } = await setup({ max_block_size: '64B', notify_type: 'non' });
    const raw = await rawPeer(port);
    const app = await connectV5(hub.url);
    const token = Buffer.from([0xb3, 0]);
    const resource = 'ps/neg';
    // registration asks for 32-byte blocks (SZX 1)
    raw.send({
      code: Method.GET,
      token,
      options: uriOptions(resource, [], [observeOption(0), block2({ num: 0, more: false, szx: 1 })]),
    });
    expect((await raw.next(answerTo(token), 'registration')).code).toBe(Rsp.Content);
    const body = patterned(200);
    await app.publishAsync('coap/neg', body, { qos: 0 });
    const n1 = await raw.next((m) => m.token.equals(token) && m.type === 'NON', 'first notification');
    expect(blockOf(n1, Opt.Block2)).toEqual({ num: 0, more: true, szx: 1 });
    expect(n1.payload.equals(body.subarray(0, 32))).toBe(true);
    const get = async (b: BlockOption, n: number) => {
      const tk = Buffer.from([0xb3, n]);
      raw.send({ code: Method.GET, token: tk, options: uriOptions(resource, [], [block2(b)]) });
      return raw.next(answerTo(tk), `block ${b.num}/${b.szx}`);
    };
    const b1 = await get({ num: 1, more: false, szx: 1 }, 1);
    expect(blockOf(b1, Opt.Block2)).toEqual({ num: 1, more: true, szx: 1 });
    expect(b1.payload.equals(body.subarray(32, 64))).toBe(true);
    // asking for more than max_block_size: block 1 of 128 bytes = bytes 128…, served as block 2 of 64 bytes
    const capped = await get({ num: 1, more: false, szx: 3 }, 2);
    expect(blockOf(capped, Opt.Block2)).toEqual({ num: 2, more: true, szx: 2 });
    expect(capped.payload.equals(body.subarray(128, 192))).toBe(true);
    // late negotiation: 16-byte blocks from byte 64 (block 4 of 16)
    const late = await get({ num: 4, more: false, szx: 0 }, 4);
    expect(blockOf(late, Opt.Block2)).toEqual({ num: 4, more: true, szx: 0 });
    expect(late.payload.equals(body.subarray(64, 80))).toBe(true);
    // … which the observation keeps: the next notification comes in 16-byte blocks
    raw.received.length = 0;
    await app.publishAsync('coap/neg', patterned(100), { qos: 0 });
    const n2 = await raw.next((m) => m.token.equals(token) && m.type === 'NON', 'second notification');
    expect(blockOf(n2, Opt.Block2)).toEqual({ num: 0, more: true, szx: 0 });
    expect(n2.payload).toHaveLength(16);
  });
});
