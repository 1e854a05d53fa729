import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/bridge/bounded-cache.js';
import type { CachedMessage, OutboundMessage } from '../../src/bridge/cache-types.js';
import { Drainer } from '../../src/bridge/drainer.js';
import { MemoryCacheBackend } from '../../src/bridge/memory-cache.js';

const msg = (i: number, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  topic: `t/${i}`,
  payload: Buffer.from(String(i)),
  qos: 1,
  retain: false,
  receivedAt: Date.now(),
  ...extra,
});
type Done = (err?: Error & { code?: unknown }) => void;

function setup(n: number) {
  const cache = new BoundedCache(new MemoryCacheBackend(), {
    maxMessages: 100_000,
    maxBytes: 1 << 30,
    overflow: 'drop_oldest',
  });
  cache.append(
    Array.from({ length: n }, (_, i) => msg(i)),
    new Set(),
  );
  const events = { acked: 0, discarded: [] as string[] };
  const drainer = new Drainer(cache, {
    sent: () => undefined,
    acked: () => {
      events.acked++;
    },
    discarded: (_m, reason) => {
      events.discarded.push(reason);
    },
    error: (e) => {
      throw e;
    },
  });
  const wire: Array<{ m: CachedMessage; done: Done }> = [];
  const send = (m: CachedMessage, done: Done) => {
    wire.push({ m, done });
  };
  return { cache, drainer, wire, send, events };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('Drainer', () => {
  it('keeps at most `window` messages unacknowledged and refills as acks arrive', async () => {
    const { cache, drainer, wire, send, events } = setup(100);
    drainer.attach(send, 8);
    expect(wire.length).toBe(8);
    for (let round = 0; wire.length < 100; round++) {
      const outstanding = wire.slice(wire.length - 8);
      outstanding.forEach((w) => w.done());
      await turn(); // deletions commit once per turn, then the window refills
      expect(drainer.inflight.size).toBeLessThanOrEqual(8);
    }
    wire.slice(-8).forEach((w) => w.done());
    await turn();
    expect(wire.map((w) => w.m.topic)).toEqual(Array.from({ length: 100 }, (_, i) => `t/${i}`));
    expect(events.acked).toBe(100);
    expect(cache.count).toBe(0);
  });

  it('a lost connection keeps unacknowledged rows; the next attach resends them first, in order', async () => {
    const { cache, drainer, wire, send } = setup(10);
    drainer.attach(send, 4);
    wire[0].done();
    wire[1].done();
    await turn();
    drainer.detach();
    wire[2].done(); // late ack of the dead connection is ignored
    await turn();
    expect(cache.count).toBe(8);
    wire.length = 0;
    drainer.attach(send, 4);
    expect(wire.map((w) => w.m.topic)).toEqual(['t/2', 't/3', 't/4', 't/5']);
  });

  it('interleaves live traffic with the backlog, each in order', () => {
    const { cache, drainer, wire, send } = setup(5);
    drainer.attach(send, 100);
    cache.append([msg(100), msg(101)], new Set());
    wire.slice().forEach((w) => w.done());
    drainer.pump();
    const topics = wire.map((w) => w.m.topic);
    expect(topics.slice(0, 5)).toEqual(['t/0', 't/1', 't/2', 't/3', 't/4']);
    expect(topics.slice(5)).toEqual(['t/100', 't/101']);
  });

  it('a v5 refusal (reason code ≥ 0x80) removes the message and counts it; a transport error does not', async () => {
    const { cache, drainer, wire, send, events } = setup(2);
    drainer.attach(send, 2);
    wire[0].done(Object.assign(new Error('Not authorized'), { code: 0x87 }));
    wire[1].done(new Error('Connection closed'));
    await turn();
    expect(events.discarded).toEqual(['rejected']);
    expect(cache.count).toBe(1);
  });

  it('expired messages are not sent; the rest carry the time left ([MQTT-3.3.2-5], [MQTT-3.3.2-6])', async () => {
    const cache = new BoundedCache(new MemoryCacheBackend(), {
      maxMessages: 10,
      maxBytes: 1 << 20,
      overflow: 'drop_oldest',
    });
    cache.append(
      [
        msg(1, { properties: { messageExpiryInterval: 5 }, receivedAt: Date.now() - 10_000 }),
        msg(2, { properties: { messageExpiryInterval: 60 }, receivedAt: Date.now() - 10_000 }),
      ],
      new Set(),
    );
    const discarded: string[] = [];
    const d = new Drainer(cache, {
      sent: () => undefined,
      acked: () => undefined,
      discarded: (_m, r) => discarded.push(r),
      error: () => undefined,
    });
    const sent: CachedMessage[] = [];
    d.attach((m) => sent.push(m), 4);
    expect(discarded).toEqual(['expired']);
    expect(sent.map((m) => m.topic)).toEqual(['t/2']);
    expect(sent[0].properties?.messageExpiryInterval).toBeLessThanOrEqual(50);
  });
});
