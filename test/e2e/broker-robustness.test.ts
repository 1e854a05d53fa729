/**
 * Hostile and broken network input against a spawned hub: random bytes, truncated packets, a 256 MB
 * remaining-length claim, a CONNECT flood and a client that never reads. Each time the process stays up,
 * serves a fresh client, its RSS (/proc/<pid>/status VmRSS) stays bounded and /metrics counts what happened.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeAllClients,
  collect,
  connectV3,
  connectV5,
  encode,
  eventually,
  RawClient,
  withTimeout,
} from '../support/clients.js';
import { scrapeMetric, spawnConfig, spawnHub, stopAllHubs, type SpawnedHub } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

let hub: SpawnedHub;
let port: number;
let httpPort: number;
let baselineRssKb: number;

beforeAll(async () => {
  hub = await spawnHub(
    spawnConfig({
      store: { type: 'memory' },
      http: { enable: true, bind: '127.0.0.1:0' },
      mqtt: {
        idle_timeout: '2s',
        max_mqueue_len: 1000,
        max_mqueue_bytes: '2MB',
        outbound_buffer: '256KB',
        max_packet_size: '1MB',
      },
    }),
  );
  port = hub.address('tcp').port;
  httpPort = hub.address('http').port;
  await servesAFreshClient();
  baselineRssKb = hub.rssKb();
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const metric = (name: string, labels: Record<string, string> = {}) => scrapeMetric(httpPort, name, labels);

/** The hub is alive and routes a QoS 1 message between two new clients. */
async function servesAFreshClient(): Promise<void> {
  expect(hub.child.exitCode, hub.output()).toBeNull();
  const url = `mqtt://127.0.0.1:${port}`;
  const sub = await connectV5(url, { clientId: `fresh-sub-${Date.now()}` });
  await withTimeout(sub.subscribeAsync('fresh/t', { qos: 1 }), 10_000, 'fresh client got no SUBACK');
  const got = collect(sub, 1);
  const pub = await connectV3(url, { clientId: `fresh-pub-${Date.now()}` });
  await pub.publishAsync('fresh/t', 'ok', { qos: 1 });
  expect((await got)[0].payload.toString()).toBe('ok');
  sub.end(true);
  pub.end(true);
}

/** RSS must not grow by more than `mb` over the baseline taken after start-up. */
function expectRssBounded(mb: number): void {
  const grownMb = (hub.rssKb() - baselineRssKb) / 1024;
  expect(grownMb, `RSS grew by ${grownMb.toFixed(1)} MB`).toBeLessThan(mb);
}

/** Send bytes on a fresh socket and close it once written. */
async function sendAndClose(bytes: Buffer, closeAfterWrite = true): Promise<RawClient> {
  const c = await RawClient.open(port, { version: 5 });
  await new Promise<void>((r) => c.socket.write(bytes, () => r()));
  if (closeAfterWrite) c.close();
  return c;
}

const connectBytes = encode({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 5,
  clean: true,
  keepalive: 30,
  clientId: 'fuzz',
});
const publishBytes = encode({
  cmd: 'publish',
  topic: 'fuzz/t',
  payload: Buffer.from('payload'),
  qos: 1,
  messageId: 9,
  retain: false,
  dup: false,
  properties: { contentType: 'text/plain' },
});

describe('robustness of a spawned hub', () => {
  it('random bytes: no crash, protocol errors counted, still serving', async () => {
    const before = await metric('protohub_protocol_errors_total');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        await sendAndClose(Buffer.from(bytes));
      }),
      { numRuns: 100 },
    );
    // Garbage after a valid CONNECT reaches the packet parser rather than the CONNECT check. We half-close
    // (FIN) after it: a garbage prefix of a valid packet may wait for more bytes, but EOF must end it.
    const garbled = await Promise.all(
      Array.from({ length: 50 }, () => sendAndClose(Buffer.concat([connectBytes, randomBytes(64)]), false)),
    );
    for (const c of garbled) c.end();
    await Promise.all(garbled.map((c) => c.waitClose()));
    await servesAFreshClient();
    expect(await metric('protohub_protocol_errors_total')).toBeGreaterThan(before);
    expectRssBounded(64);
  });

  it('truncated CONNECT and PUBLISH at every length: no crash, still serving', async () => {
    for (let cut = 1; cut < connectBytes.length; cut++) await sendAndClose(connectBytes.subarray(0, cut));
    for (let cut = 1; cut < publishBytes.length; cut++)
      await sendAndClose(Buffer.concat([connectBytes, publishBytes.subarray(0, cut)]));
    await servesAFreshClient();
    // Connections whose peer vanished mid-packet are cleaned up (the gauge counts only the fresh clients, now gone).
    await eventually(async () => (await metric('protohub_connections')) === 0, 'all broken connections closed');
  });

  it('[MQTT-2.2.3] remaining length of 256 MB: refused without allocating it (v5 DISCONNECT 0x95)', async () => {
    const claim = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]); // PUBLISH claiming 268,435,455 bytes
    const { client } = await RawClient.connect(port, { clientId: 'huge' });
    client.sendBytes(Buffer.concat([claim, randomBytes(1024)]));
    expect((await client.waitClose()).find((p) => p.cmd === 'disconnect')).toMatchObject({ reasonCode: 0x95 });
    const first = await RawClient.open(port);
    first.sendBytes(Buffer.concat([Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), randomBytes(1024)])); // as first packet
    await first.waitClose();
    await servesAFreshClient();
    expectRssBounded(64);
  });

  it('a flood of 400 CONNECTs: all answered or refused, then cleaned up, still serving', async () => {
    const total = await metric('protohub_connections_total');
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) =>
        RawClient.connect(port, { clientId: `flood-${i}` }, { version: i % 2 ? 4 : 5 }),
      ),
    );
    const connacks = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof RawClient.connect>>>).value);
    expect(connacks.length).toBe(400);
    expect(await metric('protohub_connections_total')).toBeGreaterThanOrEqual(total + 400);
    closeAllClients();
    // Plus 200 sockets that never send CONNECT: the idle timeout must reap them.
    const idle = await Promise.all(Array.from({ length: 200 }, () => RawClient.open(port)));
    await Promise.all(idle.map((c) => c.waitClose(15_000)));
    await eventually(async () => (await metric('protohub_connections')) === 0, 'flood connections closed');
    await servesAFreshClient();
    expectRssBounded(96);
  });

  it('[MQTT-4.5.0] a subscriber that never reads: hub memory stays bounded, drops are counted, others served', async () => {
    const { client: stuck } = await RawClient.connect(port, {
      clientId: 'never-reads',
      properties: { receiveMaximum: 65535 },
    });
    stuck.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/#', qos: 1 }] });
    await stuck.next('suback');
    stuck.socket.pause(); // stop reading: the kernel buffers fill and the hub must stop writing
    const watcher = await connectV5(`mqtt://127.0.0.1:${port}`, { clientId: 'flood-watcher' });
    await watcher.subscribeAsync('flood/last', { qos: 1 });
    const last = collect(watcher, 1, { timeoutMs: 60_000 });
    const droppedBefore = await metric('protohub_messages_dropped_total');
    let maxRss = 0;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, hub.rssKb());
    }, 50);
    try {
      const pub = await connectV5(`mqtt://127.0.0.1:${port}`, { clientId: 'flood-pub' });
      const payload = randomBytes(4096);
      for (let i = 0; i < 25_000; i++) pub.publish('flood/data', payload, { qos: 0 }); // ~100 MB
      await pub.publishAsync('flood/last', 'done', { qos: 1 });
      await last;
    } finally {
      clearInterval(sampler);
    }
    const grownMb = (maxRss - baselineRssKb) / 1024;
    expect(grownMb, `peak RSS grew by ${grownMb.toFixed(1)} MB while ~100 MB were published`).toBeLessThan(96);
    expect(await metric('protohub_messages_dropped_total')).toBeGreaterThan(droppedBefore);
    await servesAFreshClient();
  });

  it('[MQTT-3.8.3-2][MQTT-3.3.1-4] packets mqtt-packet cannot re-encode (empty SUBSCRIBE, QoS 3) do not kill the process', async () => {
    // Its own hub: if this kills the process, the other robustness tests still say something.
    const own = await spawnHub(spawnConfig({ store: { type: 'memory' } }));
    const ownPort = own.address('tcp').port;
    const connectOrExplain = (clientId: string, after: string) =>
      RawClient.connect(ownPort, { clientId }).catch((err: Error) => {
        throw new Error(
          `hub stopped serving after ${after} (exit code ${own.child.exitCode}): ${err.message}\n${own.output().slice(-1500)}`,
        );
      });
    const frames: Array<[string, number[]]> = [
      ['SUBSCRIBE without topic filters', [0x82, 3, 0, 1, 0]],
      ['PUBLISH with QoS 3', [0x36, 9, 0, 3, 0x61, 0x2f, 0x62, 0, 1, 0, 0x78]],
      ['UNSUBSCRIBE without topic filters', [0xa2, 3, 0, 2, 0]],
    ];
    let previous = 'start-up';
    for (const [name, frame] of frames) {
      const { client } = await connectOrExplain('bad-frame', previous);
      client.sendBytes(Buffer.from(frame));
      await client.waitClose(3_000).catch(() => client.close());
      previous = name;
    }
    const probe = await connectOrExplain('after-bad-frames', previous);
    expect(probe.connack.reasonCode).toBe(0);
  });
});
