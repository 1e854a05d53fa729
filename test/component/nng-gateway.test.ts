import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { closeAllClients, collect, eventually, subscribe } from '../support/clients.js';
import { stopAllHubs } from '../support/hub.js';
import { freePort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { startGatewayHub, type GatewayHub } from './gateway-contract-fixture.js';
import { nanocat, nngPeer, type LinePeer } from './nng-peer-helper.js';

const peers: LinePeer[] = [];
const hubs: GatewayHub[] = [];

afterEach(async () => {
  closeAllClients();
  await Promise.all(peers.splice(0).map((p) => p.kill()));
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
  await stopAllHubs();
});
afterAll(() => removeTempDirs());

const track = (p: LinePeer): LinePeer => (peers.push(p), p);
const url = async (): Promise<string> => `tcp://127.0.0.1:${await freePort()}`;

async function gateway(raw: Record<string, unknown>): Promise<GatewayHub> {
  const h = await startGatewayHub('nng', 't', raw);
  hubs.push(h);
  return h;
}

/** Publish on MQTT until the SP subscriber prints a line (PUB/SUB has no subscription-arrived event). */
async function publishUntilSeen(
  h: GatewayHub,
  topic: string,
  payload: string,
  peer: LinePeer,
  expected: string,
): Promise<void> {
  const c = await h.client();
  await eventually(() => {
    if (peer.lines.includes(expected)) return true;
    c.publish(topic, payload);
    return false;
  }, `${expected} seen by the SP peer`);
}

describeWithPeers(['nanocat', 'libnng'], 'nng gateway vs nanocat and libnng', () => {
  for (const [label, start] of [
    ['nanocat', (u: string) => nanocat(['--pub', '--bind', u, '--data', 'sensors/a 21.5', '-i', '0.05'])],
    ['libnng', (u: string) => nngPeer(['pub', u, 'sensors/a 21.5', '50'])],
  ] as const) {
    it(`sub dials a ${label} pub: body "sensors/a 21.5" → MQTT nng/t/up/sensors/a "21.5"`, async () => {
      const u = await url();
      const h = await gateway({ sockets: { in: { type: 'sub', dial: [u] } } });
      const c = await h.client();
      await subscribe(c, 'nng/t/up/#');
      const got = collect(c, 1);
      track(start(u));
      const [m] = await got;
      expect(m.topic).toBe('nng/t/up/sensors/a');
      expect(m.payload.toString()).toBe('21.5');
    });
  }

  for (const [label, start] of [
    ['nanocat', (u: string) => nanocat(['--push', '--connect', u, '--data', 'line/2 hello world'])],
    ['libnng', (u: string) => nngPeer(['push', u, 'line/2 hello world'])],
  ] as const) {
    it(`pull listens for a ${label} push`, async () => {
      const u = await url();
      const h = await gateway({ sockets: { in: { type: 'pull', listen: [u] } } });
      const c = await h.client();
      await subscribe(c, 'nng/t/up/#');
      const got = collect(c, 1);
      track(start(u));
      const [m] = await got;
      expect([m.topic, m.payload.toString()]).toEqual(['nng/t/up/line/2', 'hello world']);
    });
  }

  for (const [label, start] of [
    ['nanocat', (u: string) => nanocat(['--sub', '--connect', u])],
    ['libnng', (u: string) => nngPeer(['sub', u])],
  ] as const) {
    it(`pub listens; a ${label} sub receives "<address> <payload>"`, async () => {
      const u = await url();
      const h = await gateway({ sockets: { out: { type: 'pub', listen: [u] } } });
      const sub = track(start(u));
      await publishUntilSeen(h, 'nng/t/down/cmd/valve', 'open', sub, 'cmd/valve open');
    });
  }

  for (const [label, start] of [
    ['nanocat', (u: string) => nanocat(['--pull', '--bind', u])],
    ['libnng', (u: string) => nngPeer(['pull', u])],
  ] as const) {
    it(`push dials a ${label} pull`, async () => {
      const u = await url();
      const pull = track(start(u));
      const h = await gateway({ sockets: { out: { type: 'push', dial: [u] } } });
      const c = await h.client();
      c.publish('nng/t/down/x/y', 'pushed', { qos: 1 });
      await pull.waitFor((l) => l.includes('x/y pushed'));
    });
  }

  for (const kind of ['pair', 'bus'] as const) {
    it(`${kind}: both directions with nanocat`, async () => {
      const u = await url();
      const peer = track(nanocat([`--${kind}`, '--bind', u, '--data', `${kind}/x hi`, '-i', '0.05']));
      const h = await gateway({ sockets: { both: { type: kind, dial: [u] } } });
      const c = await h.client();
      await subscribe(c, 'nng/t/up/#');
      const [m] = await collect(c, 1);
      expect([m.topic, m.payload.toString()]).toEqual([`nng/t/up/${kind}/x`, 'hi']);
      c.publish('nng/t/down/p/q', 'hello', { qos: 1 });
      await peer.waitFor((l) => l.includes('p/q hello'));
    });
  }

  for (const [label, start] of [
    ['nanocat', (u: string) => nanocat(['--req', '--connect', u, '--data', 'calc/add 1 2'])],
    ['libnng', (u: string) => nngPeer(['req', u, 'calc/add 1 2'])],
  ] as const) {
    it(`rep: a ${label} request becomes an MQTT 5 request; the first response is the SP reply`, async () => {
      const u = await url();
      const h = await gateway({ sockets: { rpc: { type: 'rep', listen: [u] } } });
      const responder = await h.client();
      await subscribe(responder, 'nng/t/up/#');
      responder.on('message', (topic, payload, packet) => {
        const p = packet.properties;
        if (!p?.responseTopic) return;
        const [a, b] = payload.toString().split(' ').map(Number);
        responder.publish(p.responseTopic, String(a + b), {
          qos: 1,
          properties: { correlationData: p.correlationData },
        });
        responder.publish(p.responseTopic, 'second answer is ignored', { qos: 1 });
      });
      const req = track(start(u));
      await req.waitFor((l) => l.length > 0);
      expect(req.lines[0]).toBe('3');
    });
  }

  it('rep: an unanswered request gets a clear error reply after the configured timeout', async () => {
    const u = await url();
    const h = await gateway({ request_reply: { timeout: '200ms' }, sockets: { rpc: { type: 'rep', listen: [u] } } });
    const req = track(nanocat(['--req', '--connect', u, '--data', 'nobody/home ?']));
    await req.waitFor((l) => l.length > 0);
    expect(req.lines[0]).toMatch(/^ERROR timeout: no response within 200ms/);
    expect(await h.metric('protohub_gateway_dropped_total', { reason: 'reply_timeout' })).toBe(1);
  });

  it('a body without the topic delimiter goes to the DLQ and the stream lives on', async () => {
    const u = await url();
    const h = await gateway({ sockets: { in: { type: 'pull', listen: [u] } } });
    const c = await h.client();
    await subscribe(c, ['$hub/dlq/nng.t', 'nng/t/up/#']);
    const got = collect(c, 2);
    const bad = track(nanocat(['--push', '--connect', u, '--data', 'no-delimiter-here']));
    await bad.exited();
    track(nanocat(['--push', '--connect', u, '--data', 'ok/after alive']));
    const [first, second] = await got;
    expect(first.topic).toBe('$hub/dlq/nng.t');
    expect(first.payload.toString()).toBe('no-delimiter-here');
    expect((first.packet.properties?.userProperties as Record<string, string>).reason).toBe('malformed');
    expect([second.topic, second.payload.toString()]).toEqual(['nng/t/up/ok/after', 'alive']);
  });

  it('ipc and ws transports', async () => {
    const ipc = `ipc://${join(tempDir('nng-ipc-'), 'gw.ipc')}`;
    const ws = `ws://127.0.0.1:${await freePort()}`;
    const h = await gateway({
      sockets: { overIpc: { type: 'pull', listen: [ipc] }, overWs: { type: 'pull', listen: [ws] } },
    });
    const c = await h.client();
    await subscribe(c, 'nng/t/up/#');
    const got = collect(c, 2);
    track(nngPeer(['push', ipc, 'via/ipc 1']));
    track(nanocat(['--push', '--connect', ws, '--data', 'via/ws 2']));
    expect((await got).map((m) => m.topic).sort()).toEqual(['nng/t/up/via/ipc', 'nng/t/up/via/ws']);
  });
});

describe('nng config', () => {
  it('rejects a socket without endpoints and a ws URL with a path', async () => {
    await expect(startGatewayHub('nng', 'bad', { sockets: { s: { type: 'pull' } } })).rejects.toThrow(/listen or dial/);
    await expect(
      startGatewayHub('nng', 'bad', { sockets: { s: { type: 'pull', listen: ['ws://127.0.0.1:1/x'] } } }),
    ).rejects.toThrow(/ws:\/\/host:port/);
  });
});

describeWithPeers(['libnng'], 'nng gateway back-pressure', () => {
  it('overflow block: a burst far larger than the uplink buffer pauses reading at the socket; nothing is dropped', async () => {
    const u = await url();
    const h = await gateway({
      uplink_buffer: { max_messages: 8, overflow: 'block' },
      sockets: { in: { type: 'pull', listen: [u] } },
    });
    const c = await h.client();
    await subscribe(c, 'nng/t/up/burst/#');
    const total = 3000;
    const got = collect(c, total);
    // The receiver takes up to 1024 bodies per wake-up, so without the pause the 9th of a batch would be dropped.
    track(nngPeer(['burst', u, String(total)]));
    const messages = await got;
    expect(messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: total }, (_, i) => String(i)));
    expect(await h.metric('protohub_gateway_dropped_total', { reason: 'uplink_overflow' })).toBe(0);
  });

  it('a push peer that stops reading does not grow the downlink buffer; drops are counted', async () => {
    const u = await url();
    const stall = track(nngPeer(['stall', u, '1']));
    await stall.waitFor((l) => l.includes('ready'));
    const h = await gateway({
      dial_probe_interval: '0ms',
      downlink_buffer: { max_messages: 20, overflow: 'drop_newest' },
      sockets: { out: { type: 'push', dial: [u], send_buffer: '64KB' } },
    });
    const c = await h.client();
    const payload = Buffer.alloc(64 * 1024, 7);
    const total = 400;
    for (let i = 0; i < total; i++) c.publish('nng/t/down/flood', payload, { qos: 0 });
    await eventually(async () => {
      const dropped = await h.metric('protohub_gateway_dropped_total', { reason: 'downlink_overflow' });
      const sent = await h.metric('protohub_gateway_messages_total', { direction: 'downlink' });
      const queued = await h.metric('protohub_gateway_queue_depth', { direction: 'downlink' });
      return dropped > 0 && dropped + sent + queued + 1 >= total;
    }, 'every message sent, queued (bounded) or counted as dropped');
    expect(await h.metric('protohub_gateway_queue_depth', { direction: 'downlink' })).toBeLessThanOrEqual(20);
    expect(await h.metric('protohub_gateway_messages_total', { direction: 'downlink' })).toBeLessThan(total / 2);
  });
});

describeWithPeers(['nanocat'], 'nng gateway req socket', () => {
  it('an MQTT 5 request on a downlink topic goes to an SP rep server; its reply comes back on the Response Topic', async () => {
    const u = await url();
    track(nanocat(['--rep', '--bind', u, '--data', 'pong']));
    const h = await gateway({ sockets: { rpc: { type: 'req', dial: [u] } } });
    const c = await h.client();
    await subscribe(c, 'app/replies/#');
    const got = collect(c, 1);
    c.publish('nng/t/down/ping', 'hello', {
      qos: 1,
      properties: { responseTopic: 'app/replies/1', correlationData: Buffer.from('c-1') },
    });
    const [m] = await got;
    expect(m.topic).toBe('app/replies/1');
    expect(m.payload.toString()).toBe('pong');
    expect(m.packet.properties?.correlationData?.toString()).toBe('c-1');
  });
});
