/**
 * Floods from hundreds of UDP source ports (loopback only): observe registrations, fresh tokens, partial Block1
 * transfers. Every table stays at its configured limit (asserted through protohub_gateway_table_entries), every
 * refusal is a 5.03 counted under its own reason, and the gateway keeps serving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBlock } from '../../gateways/coap/block-option.js';
import { Method, Opt, Rsp, codeText, decodeUint, firstOption, type CoapMessage } from '../../gateways/coap/message.js';
import { closeAllClients, connectV5, eventually } from '../support/clients.js';
import { RawCoap, observeOption, uriOptions } from '../support/coap-raw.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { freeUdpPort } from '../support/net.js';

const raws: RawCoap[] = [];
afterEach(async () => {
  closeAllClients();
  raws.splice(0).forEach((r) => r.close());
  await stopAllHubs();
});

async function setup(coap: Record<string, unknown>): Promise<{ hub: StartedHub; port: number }> {
  const port = await freeUdpPort();
  const hub = await startHub({
    gateways: { coap: { edge: { bind: `127.0.0.1:${port}`, mountpoint: 'coap/', ...coap } } },
  } as never);
  return { hub, port };
}

async function sockets(port: number, n: number): Promise<RawCoap[]> {
  const out = await Promise.all(Array.from({ length: n }, () => RawCoap.open(port)));
  raws.push(...out);
  return out;
}

const dropped = (hub: StartedHub, reason: string) =>
  hub.hub.metrics.value('protohub_gateway_dropped_total', { gateway: 'coap.edge', reason });
const table = (hub: StartedHub, name: string) =>
  hub.hub.metrics.value('protohub_gateway_table_entries', { gateway: 'coap.edge', table: name });
const answerTo = (token: Buffer) => (m: CoapMessage) => m.token.equals(token) && m.code !== 0;

/**
 * Send `perSocket` requests from every socket, `batch` sockets at a time, and wait for every answer (so a loaded
 * machine loses no datagram to a full receive buffer and the counts are exact). Returns the answers per socket.
 */
async function flood(
  peers: RawCoap[],
  perSocket: number,
  request: (peer: number, j: number, token: Buffer) => Partial<CoapMessage> & { code: number },
  batch = 50,
): Promise<CoapMessage[][]> {
  const answers: CoapMessage[][] = [];
  for (let start = 0; start < peers.length; start += batch) {
    const group = peers.slice(start, start + batch);
    const waits = group.map((raw, k) => {
      const i = start + k;
      const tokens = Array.from({ length: perSocket }, (_, j) => Buffer.from([i >> 8, i & 0xff, j]));
      tokens.forEach((token, j) => raw.send({ ...request(i, j, token), token }));
      return Promise.all(tokens.map((t) => raw.next(answerTo(t), `answer to socket ${i}`, 30_000)));
    });
    answers.push(...(await Promise.all(waits)));
  }
  return answers;
}

const codes = (answers: CoapMessage[][]) => {
  const count = new Map<string, number>();
  for (const m of answers.flat()) count.set(codeText(m.code), (count.get(codeText(m.code)) ?? 0) + 1);
  return Object.fromEntries(count);
};

describe('CoAP floods from many source ports', () => {
  it('an observe flood from 300 ports stops at max_clients, observe.max_per_client and observe.max_total', async () => {
    const limits = { clients: 200, perClient: 2, total: 300 };
    const { hub, port } = await setup({
      notify_type: 'non',
      limits: { max_clients: limits.clients },
      observe: { max_per_client: limits.perClient, max_total: limits.total },
    });
    const peers = await sockets(port, 300);
    const answers = await flood(peers, 3, (i, j) => ({
      code: Method.GET,
      options: uriOptions(`ps/flood/${i}/${j}`, [], [observeOption(0)]),
    }));
    // 200 clients × 3 registrations compete for 300 observations; the 100 clients over max_clients get 5.03 each time
    expect(codes(answers)).toEqual({ '2.05': limits.total, '5.03': 900 - limits.total });
    for (const a of answers) expect(a.filter((m) => m.code === Rsp.Content).length).toBeLessThanOrEqual(2);
    expect(await dropped(hub, 'clients_limit')).toBe(300);
    // RFC 7252 §5.9.3.4: the 5.03 says when to retry (Max-Age = heartbeat, when idle clients are forgotten)
    const overClients = answers.flat().filter((m) => m.payload.toString().includes('clients_limit'));
    expect(overClients).toHaveLength(300);
    for (const m of overClients) expect(decodeUint(firstOption(m, Opt.MaxAge)!)).toBe(30);
    const peer = await dropped(hub, 'observe_limit_peer');
    const total = await dropped(hub, 'observe_limit_total');
    expect(peer + total).toBe(200 * 3 - limits.total);
    expect(peer).toBeGreaterThan(0);
    expect(total).toBeGreaterThan(0);
    // the gauges are refreshed every second: wait for a snapshot taken after the flood
    await eventually(
      async () =>
        (await table(hub, 'observations')) === limits.total && (await table(hub, 'clients')) === limits.clients,
      'observations and clients table gauges',
    );
    expect(await hub.hub.metrics.value('protohub_connections', { protocol: 'coap' })).toBe(limits.clients);
    expect(await hub.hub.metrics.value('protohub_subscriptions')).toBe(limits.total);

    // a second wave from 100 fresh ports changes nothing but the counters
    const more = await sockets(port, 100);
    const again = await flood(more, 2, (i, j) => ({
      code: Method.GET,
      options: uriOptions(`ps/again/${i}/${j}`, [], [observeOption(0)]),
    }));
    expect(codes(again)).toEqual({ '5.03': 200 });
    expect(await dropped(hub, 'clients_limit')).toBe(500);
    await eventually(async () => (await table(hub, 'clients')) === limits.clients, 'clients table gauge');
    expect(await table(hub, 'observations')).toBe(limits.total);

    // and the observations that were accepted still get their notifications
    const accepted = answers.findIndex((a) => a[0]?.code === Rsp.Content);
    const app = await connectV5(hub.url);
    await app.publishAsync(`coap/flood/${accepted}/0`, 'still here', { qos: 0 });
    const n = await peers[accepted]!.next(
      (m) => m.type === 'NON' && m.payload.toString() === 'still here',
      'notification after the flood',
    );
    expect(n.code).toBe(Rsp.Content);
  });

  it('a token flood from one port: fresh tokens are new observations up to max_per_client; a known token re-registers', async () => {
    const { hub, port } = await setup({ observe: { max_per_client: 4 } });
    const [raw] = await sockets(port, 1);
    const answers = await flood([raw!], 200, (_i, j) => ({
      code: Method.GET,
      options: uriOptions(`ps/tokens/${j}`, [], [observeOption(0)]),
    }));
    expect(codes(answers)).toEqual({ '2.05': 4, '5.03': 196 });
    expect(await dropped(hub, 'observe_limit_peer')).toBe(196);
    // re-registering an accepted token replaces its observation (RFC 7641 §4.1) and is not refused
    const accepted = answers[0]!.find((m) => m.code === Rsp.Content)!;
    raw!.received.length = 0;
    raw!.send({
      code: Method.GET,
      token: accepted.token,
      options: uriOptions('ps/tokens/again', [], [observeOption(0)]),
    });
    expect((await raw!.next(answerTo(accepted.token), 're-registration')).code).toBe(Rsp.Content);
    await eventually(async () => (await table(hub, 'observations')) === 4, 'observations table gauge');
    expect(await dropped(hub, 'observe_limit_peer')).toBe(196);
  });

  it('a partial-Block1 flood from 300 ports stops at the per-client and total transfer limits, then expires', async () => {
    const { hub, port } = await setup({
      // long enough that no transfer expires while a loaded machine is still sending the flood
      block_timeout: '8s',
      limits: { max_block_transfers: 100, max_block_transfers_per_client: 2 },
    });
    const peers = await sockets(port, 300);
    const block0 = { number: Opt.Block1, value: encodeBlock({ num: 0, more: true, szx: 0 }) };
    // every socket opens 3 transfers (block 0 of a longer body) to different topics and never sends block 1
    const answers = await flood(peers, 3, (i, j) => ({
      code: Method.POST,
      options: uriOptions(`ps/partial/${i}/${j}`, [], [block0]),
      payload: Buffer.alloc(16, 'p'),
    }));
    expect(codes(answers)).toEqual({ '2.31': 100, '5.03': 800 });
    for (const a of answers) expect(a.filter((m) => codeText(m.code) === '2.31').length).toBeLessThanOrEqual(2);
    const peer = await dropped(hub, 'block_transfers_peer');
    const total = await dropped(hub, 'block_transfers_total');
    expect(peer + total).toBe(800);
    const refused = answers.flat().find((m) => m.code === Rsp.ServiceUnavailable)!;
    expect(decodeUint(firstOption(refused, Opt.MaxAge)!)).toBe(8); // block_timeout
    expect(peer).toBeGreaterThan(0);
    await eventually(async () => (await table(hub, 'block1_transfers')) === 100, 'block1 table gauge');
    // a partial transfer opens no broker session
    expect(await table(hub, 'clients')).toBe(0);
    // nothing completes them: after block_timeout they are forgotten (counted) and room is back
    await eventually(async () => (await table(hub, 'block1_transfers')) === 0, 'transfers expired', 30_000);
    await eventually(async () => (await dropped(hub, 'block_transfer_expired')) === 100, 'expiry counted');
    const [late] = await flood([peers[0]!], 1, () => ({
      code: Method.POST,
      options: uriOptions('ps/partial/after', [], [block0]),
      payload: Buffer.alloc(16, 'q'),
    }));
    expect(codeText(late![0]!.code)).toBe('2.31');
  });
});
