/**
 * The bench tool against the real hub (in-process, loopback): its counting receiver must see exactly what was
 * published, and its QoS 1/2 acks must be ones the hub accepts — the hub's in-flight window towards a
 * subscriber is 32, so delivering more than 32 messages proves the acks released it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type StartedHub } from '../support/hub.js';
import { connectV3, connectV5 } from '../support/clients.js';
import { BenchConnection } from '../../src/bench/connection.js';
import { runFlow, type JobSpec } from '../../src/bench/measure.js';
import { DiscardServer } from '../../src/bench/discard-server.js';

let hub: StartedHub;

beforeAll(async () => {
  hub = await startHub({ mqtt: { max_inflight: 32 } });
});
afterAll(async () => {
  await hub?.stop();
});

function job(mode: JobSpec['mode'], over: Partial<JobSpec>): JobSpec {
  return {
    mode,
    host: '127.0.0.1',
    port: hub.port,
    version: 4,
    qos: 0,
    topic: 'bench/t',
    payloadSize: 16,
    limit: 0,
    intervalMs: 0,
    inflight: 16,
    batch: 8,
    clients: 1,
    clientPrefix: `${mode}-${Math.random().toString(36).slice(2)}-`,
    connectConcurrency: 8,
    keepaliveSec: 60,
    ...over,
  };
}

async function flow(qos: number, version: 4 | 5, publishers: number, perPublisher: number, subscribers: number) {
  return runFlow({
    pub: job('pub', { qos, version, clients: publishers, limit: perPublisher, topic: `bench/${qos}/${version}/%i` }),
    sub: job('sub', { qos, version, clients: subscribers, topic: `bench/${qos}/${version}/+` }),
    workers: { pub: 0, sub: 0 }, // in this process: vitest workers cannot fork TypeScript children cheaply
    fanout: subscribers,
    durationSec: 0,
    idleMs: 5000,
    maxWaitMs: 30_000,
  });
}

describe('bench tool vs the hub', () => {
  it.each([4, 5] as const)(
    'QoS 1 fan-in (v%i): every PUBLISH acked by the hub and counted once by the subscriber',
    async (version) => {
      const r = await flow(1, version, 5, 200, 1);
      expect(r.pub.completed).toBe(1000); // hub PUBACKed all our publishes
      expect(r.received).toBe(1000); // 1000 > 32 in flight: our PUBACKs freed the window
      expect(r.missing).toBe(0);
      expect(r.sub.lost + r.pub.lost).toBe(0);
    },
  );

  it('QoS 2 both ways: PUBREC→PUBREL→PUBCOMP completes and the subscriber gets each message once', async () => {
    const r = await flow(2, 4, 2, 100, 2);
    expect(r.pub.completed).toBe(200);
    expect(r.received).toBe(400);
  });

  it('QoS 0 fan-out 1 → 3: counts match exactly', async () => {
    const r = await flow(0, 4, 1, 500, 3);
    expect(r.sent).toBe(500);
    expect(r.received).toBe(1500);
  });

  it('counts what an independent client (MQTT.js) published', async () => {
    for (const connectClient of [connectV3, connectV5]) {
      const sub = new BenchConnection({
        host: '127.0.0.1',
        port: hub.port,
        clientId: `cnt-${Math.random()}`,
        version: 4,
      });
      await sub.open();
      expect(await sub.subscribe('ext/#', 1)).toBe(1);
      const pub = await connectClient(hub.url);
      for (let i = 0; i < 100; i++) await pub.publishAsync(`ext/${i % 7}`, Buffer.alloc(i), { qos: (i % 2) as 0 | 1 });
      await pub.endAsync();
      const deadline = Date.now() + 10_000;
      while (sub.receiver.publishes < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(sub.receiver.publishes).toBe(100);
      expect(sub.receiver.unexpected).toBe(0);
      await sub.close();
    }
  });

  it('a refused SUBSCRIBE is a typed PH_BENCH_SUBSCRIBE error', async () => {
    const c = new BenchConnection({ host: '127.0.0.1', port: hub.port, clientId: `bad-${Math.random()}`, version: 5 });
    await c.open();
    // a filter with # not last is invalid; v5 answers SUBACK 0x8F or disconnects — either way, no success
    await expect(c.subscribe('a/#/b', 0, 3000)).rejects.toMatchObject({ code: 'PH_BENCH_SUBSCRIBE' });
    await c.close();
  });
});

describe('discard server', () => {
  it('acks QoS 1 and relays QoS 0 to subscribers so the generator can measure itself', async () => {
    const server = new DiscardServer({ host: '127.0.0.1', port: 0, flood: false, payloadSize: 16 });
    const port = await server.start();
    try {
      const acked = await runFlow({
        pub: { ...job('pub', { qos: 1, clients: 2, limit: 300 }), port },
        sub: { ...job('sub', { clients: 1 }), port },
        workers: { pub: 0, sub: 0 },
        fanout: 0,
        durationSec: 0,
        idleMs: 1000,
        maxWaitMs: 10_000,
      });
      expect(acked.pub.completed).toBe(600);
      expect(server.received).toBe(600);
      const relayed = await runFlow({
        pub: { ...job('pub', { clients: 2, limit: 300 }), port },
        sub: { ...job('sub', { clients: 2 }), port },
        workers: { pub: 0, sub: 0 },
        fanout: 2,
        durationSec: 0,
        idleMs: 2000,
        maxWaitMs: 10_000,
      });
      expect(relayed.received).toBe(1200);
    } finally {
      await server.stop();
    }
  });
});
