import { connect } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { collect, collectUntil, payloadIs, subscribe, closeAllClients, eventually } from '../support/clients.js';
import { stopAllHubs } from '../support/hub.js';
import { freePort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { startGatewayHub, type GatewayHub } from './gateway-contract-fixture.js';
import { PyZmqPeer } from './zeromq-peer-helper.js';

const peers: PyZmqPeer[] = [];
const hubs: GatewayHub[] = [];

afterEach(async () => {
  closeAllClients();
  await Promise.all(peers.splice(0).map((p) => p.kill()));
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
  await stopAllHubs();
});

async function peer(...args: Parameters<typeof PyZmqPeer.start>): Promise<PyZmqPeer> {
  const p = await PyZmqPeer.start(...args);
  peers.push(p);
  return p;
}

async function gateway(raw: Record<string, unknown>): Promise<GatewayHub> {
  const h = await startGatewayHub('zeromq', 't', raw);
  hubs.push(h);
  return h;
}

/** PUB/SUB has no event for "subscription arrived": send probes until one gets through (deadline-bounded). */
async function untilDelivered(send: () => void, arrived: Promise<unknown>): Promise<void> {
  let done = false;
  void arrived.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await eventually(() => {
    if (!done) send();
    return done;
  }, 'probe delivered');
  await arrived;
}

describeWithPeers(['pyzmq'], 'zeromq gateway vs python3-zmq', () => {
  it('SUB uplink: [topic, bytes] from a python PUB becomes an MQTT publish with the bytes unchanged (default convention)', async () => {
    const port = await freePort();
    const pub = await peer('pub', 'bind', `tcp://127.0.0.1:${port}`);
    const h = await gateway({ sockets: { in: { type: 'sub', connect: [`tcp://127.0.0.1:${port}`] } } });
    const c = await h.client();
    await subscribe(c, 'zmq/t/up/#');
    await untilDelivered(() => pub.send(['probe', 'x']), collect(c, 1));
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe]);
    const got = collect(c, 1, { filter: (m) => m.topic !== 'zmq/t/up/probe' });
    pub.send(['sensors/line1/temp', bytes]);
    const [m] = await got;
    expect(m.topic).toBe('zmq/t/up/sensors/line1/temp');
    expect(m.payload.equals(bytes)).toBe(true);
    expect(await h.metric('protohub_gateway_messages_total', { direction: 'uplink' })).toBeGreaterThanOrEqual(2);
  });

  it('SUB subscription prefixes filter what the gateway receives', async () => {
    const port = await freePort();
    const pub = await peer('pub', 'bind', `tcp://127.0.0.1:${port}`);
    const h = await gateway({
      sockets: { in: { type: 'sub', connect: [`tcp://127.0.0.1:${port}`], subscribe: ['keep/'] } },
    });
    const c = await h.client();
    await subscribe(c, 'zmq/t/up/#');
    await untilDelivered(() => pub.send(['keep/probe', 'x']), collect(c, 1));
    // One PUB connection keeps order, so a delivered drop/me would arrive before the sentinel.
    const before = collectUntil(c, payloadIs('end'));
    pub.send(['drop/me', 'no']);
    pub.send(['keep/x', 'end']);
    expect((await before).map((m) => m.topic)).not.toContain('zmq/t/up/drop/me');
  });

  it('PULL uplink bound, python PUSH connects; prefix framing', async () => {
    const port = await freePort();
    const h = await gateway({
      framing: { mode: 'prefix', delimiter: ' ' },
      sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${port}`] } },
    });
    const c = await h.client();
    await subscribe(c, 'zmq/t/up/#');
    const push = await peer('push', 'connect', `tcp://127.0.0.1:${port}`);
    const got = collect(c, 1);
    push.send(['line2/pressure 1.5 bar']);
    const [m] = await got;
    expect(m.topic).toBe('zmq/t/up/line2/pressure');
    expect(m.payload.toString()).toBe('1.5 bar');
  });

  it('overflow block: a burst far larger than the uplink buffer pauses the receive loop; nothing is dropped', async () => {
    const port = await freePort();
    const h = await gateway({
      uplink_buffer: { max_messages: 8, overflow: 'block' },
      sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${port}`] } },
    });
    const c = await h.client();
    await subscribe(c, 'zmq/t/up/burst/#');
    const total = 3000;
    const got = collect(c, total);
    // The receive loop takes up to 256 queued messages per turn, so without the pause the 9th would be dropped.
    const push = await peer('push', 'connect', `tcp://127.0.0.1:${port}`);
    push.burst(total);
    const messages = await got;
    expect(messages.map((m) => m.payload.toString())).toEqual(Array.from({ length: total }, (_, i) => String(i)));
    expect(await h.metric('protohub_gateway_dropped_total', { reason: 'uplink_overflow' })).toBe(0);
  });

  it('PUB downlink: MQTT messages leave as [address, bytes] to a python SUB', async () => {
    const port = await freePort();
    const h = await gateway({ sockets: { out: { type: 'pub', bind: [`tcp://127.0.0.1:${port}`] } } });
    const sub = await peer('sub', 'connect', `tcp://127.0.0.1:${port}`);
    const c = await h.client();
    await untilDelivered(
      () => c.publish('zmq/t/down/probe', 'x'),
      sub.waitFor((r) => r.length > 0),
    );
    c.publish('zmq/t/down/line1/valve', Buffer.from([9, 8, 7]), { qos: 1 });
    await sub.waitFor((r) => r.some((f) => f[0].toString() === 'line1/valve'));
    const msg = sub.received.find((f) => f[0].toString() === 'line1/valve')!;
    expect(msg[1].equals(Buffer.from([9, 8, 7]))).toBe(true);
  });

  it('PUSH downlink connects to a python PULL', async () => {
    const port = await freePort();
    const pull = await peer('pull', 'bind', `tcp://127.0.0.1:${port}`);
    const h = await gateway({ sockets: { out: { type: 'push', connect: [`tcp://127.0.0.1:${port}`] } } });
    const c = await h.client();
    await eventually(async () => (await h.manager.health())[0].state === 'running', 'gateway running');
    c.publish('zmq/t/down/a/b', 'hello', { qos: 1 });
    await pull.waitFor((r) => r.length === 1);
    expect(pull.received[0].map((f) => f.toString())).toEqual(['a/b', 'hello']);
  });

  it('a malformed message goes to the DLQ with reason and payload, and the stream lives on', async () => {
    const port = await freePort();
    const h = await gateway({ sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${port}`] } } });
    const c = await h.client();
    await subscribe(c, ['$hub/dlq/zeromq.t', 'zmq/t/up/#']);
    const push = await peer('push', 'connect', `tcp://127.0.0.1:${port}`);
    const got = collect(c, 2);
    push.send(['single-frame-only']);
    push.send(['ok/after', 'alive']);
    const [dlq, ok] = await got;
    expect(dlq.topic).toBe('$hub/dlq/zeromq.t');
    expect(dlq.payload.toString()).toBe('single-frame-only');
    const props = dlq.packet.properties?.userProperties as Record<string, string>;
    expect(props.reason).toBe('malformed');
    expect(props.error).toMatch(/frame/);
    expect(ok.topic).toBe('zmq/t/up/ok/after');
    expect(await h.metric('protohub_gateway_dlq_total', { reason: 'malformed' })).toBe(1);
  });

  it('a dead peer shows in health (connection and last error) and a restarted peer reconnects', async () => {
    const port = await freePort();
    const pub = await peer('pub', 'bind', `tcp://127.0.0.1:${port}`);
    const h = await gateway({
      sockets: { in: { type: 'sub', connect: [`tcp://127.0.0.1:${port}`], reconnect_interval: '50ms' } },
    });
    await eventually(() => h.manager.health()[0].connection === 'connected', 'connected');
    await pub.kill();
    await eventually(() => h.manager.health()[0].connection === 'connecting', 'connection lost shows');
    const health = h.manager.health()[0];
    expect(health.peers).toBe(0);
    expect(health.lastError).toMatch(/disconnected/);
    expect(await h.metric('protohub_gateway_socket_events_total', { event: 'disconnect' })).toBeGreaterThanOrEqual(1);
    await peer('pub', 'bind', `tcp://127.0.0.1:${port}`);
    await eventually(() => h.manager.health()[0].connection === 'connected', 'reconnected');
  });

  it('back-pressure: a PULL peer that stops reading does not grow the downlink buffer; drops are counted', async () => {
    const port = await freePort();
    const pull = await peer('pull', 'bind', `tcp://127.0.0.1:${port}`, 1);
    const h = await gateway({
      sockets: { out: { type: 'push', connect: [`tcp://127.0.0.1:${port}`], send_hwm: 1 } },
      downlink_buffer: { max_messages: 20, overflow: 'drop_newest' },
    });
    const c: MqttClient = await h.client();
    await eventually(() => h.manager.health()[0].connection === 'connected', 'connected');
    pull.stopReading();
    const payload = Buffer.alloc(64 * 1024, 1);
    const total = 400;
    for (let i = 0; i < total; i++) c.publish('zmq/t/down/flood', payload, { qos: 0 });
    // Every message is either still in flight at the socket, queued (≤ 20), or counted as dropped.
    await eventually(
      async () => (await h.metric('protohub_gateway_dropped_total', { reason: 'downlink_overflow' })) > 0,
      'drops counted',
    );
    await eventually(async () => {
      const dropped = await h.metric('protohub_gateway_dropped_total', { reason: 'downlink_overflow' });
      const sent = await h.metric('protohub_gateway_messages_total', { direction: 'downlink' });
      const queued = await h.metric('protohub_gateway_queue_depth', { direction: 'downlink' });
      return dropped + sent + queued + 1 >= total;
    }, 'all messages accounted for');
    expect(await h.metric('protohub_gateway_queue_depth', { direction: 'downlink' })).toBeLessThanOrEqual(20);
    expect(await h.metric('protohub_gateway_messages_total', { direction: 'downlink' })).toBeLessThan(total / 2);
  });

  it('a peer that fails the ZMTP handshake is counted and shows in health', async () => {
    const port = await freePort();
    const h = await gateway({ sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${port}`] } } });
    const raw = connect(port, '127.0.0.1', () => {
      // A ZMTP 3.0 signature followed by a greeting with an invalid mechanism.
      raw.write(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0]));
      raw.write(Buffer.alloc(64, 0xee));
    });
    raw.on('error', () => undefined);
    await eventually(
      async () => (await h.metric('protohub_gateway_socket_events_total', { event: 'handshake_failed' })) >= 1,
      'handshake failure counted',
    );
    raw.destroy();
    expect(h.manager.health()[0].lastError).toMatch(/handshake .* failed|disconnected/);
    expect(h.manager.health()[0].state).toBe('running');
  });
});
