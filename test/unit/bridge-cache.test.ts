import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/bridge/bounded-cache.js';
import type { CacheBackend, OutboundMessage } from '../../src/bridge/cache-types.js';
import { MemoryCacheBackend } from '../../src/bridge/memory-cache.js';
import { SqliteCacheBackend } from '../../src/bridge/sqlite-cache.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const msg = (i: number, payload = `m${i}`): OutboundMessage => ({
  topic: `t/${i}`,
  payload: Buffer.from(payload),
  qos: 1,
  retain: false,
  receivedAt: 1000 + i,
});

const backends: Array<[string, () => CacheBackend]> = [
  ['memory', () => new MemoryCacheBackend()],
  ['sqlite', () => new SqliteCacheBackend(join(tempDir('bridge-cache-'), 'bridge-x.db'))],
];

describe.each(backends)('%s cache backend', (_kind, make) => {
  it('reads back in append order, after a cursor, up to a bound, and deletes', () => {
    const b = make();
    b.open();
    const c = new BoundedCache(b, { maxMessages: 100, maxBytes: 1 << 20, overflow: 'drop_oldest' });
    const { seqs } = c.append([msg(1), msg(2), msg(3), msg(4)], new Set());
    expect(seqs.every((s) => typeof s === 'number')).toBe(true);
    expect(c.readAfter(0, 10).map((m) => m.topic)).toEqual(['t/1', 't/2', 't/3', 't/4']);
    expect(c.readAfter(seqs[1]!, 10).map((m) => m.topic)).toEqual(['t/3', 't/4']);
    expect(c.readAfter(0, 10, seqs[2]).length).toBe(3);
    c.remove([seqs[0]!, seqs[2]!]);
    expect(c.readAfter(0, 10).map((m) => m.topic)).toEqual(['t/2', 't/4']);
    expect(c.count).toBe(2);
    expect(c.bytes).toBe(2 * 5);
    expect(c.oldestAgeSeconds(1002 + 3000)).toBe(3);
    b.close();
  });

  it('deletes ranges of rows with known sizes, and recounts when a row was already gone', () => {
    const b = make();
    b.open();
    const c = new BoundedCache(b, { maxMessages: 100, maxBytes: 1 << 20, overflow: 'drop_oldest' });
    const seqs = c.append(
      [1, 2, 3, 4, 5, 6].map((i) => msg(i)),
      new Set(),
    ).seqs as number[];
    c.remove([seqs[4], seqs[0], seqs[1]], 15); // two ranges, out of order
    expect(c.readAfter(0, 10).map((m) => m.topic)).toEqual(['t/3', 't/4', 't/6']);
    expect([c.count, c.bytes]).toEqual([3, 15]);
    c.remove([seqs[0], seqs[2]], 10); // seqs[0] is gone: the given bytes are wrong, the tallies must not be
    expect(c.readAfter(0, 10).map((m) => m.topic)).toEqual(['t/4', 't/6']);
    expect([c.count, c.bytes]).toEqual([2, 10]);
    b.close();
  });

  it('keeps v5 properties including binary correlation data', () => {
    const b = make();
    b.open();
    const props = {
      contentType: 'application/json',
      correlationData: Buffer.from([0, 255, 7]),
      messageExpiryInterval: 60,
      userProperties: { a: 'b', h: ['x', 'y'] },
    };
    b.insert({ ...msg(1), properties: props }, 4);
    expect(b.readAfter(0, 1)[0].properties).toEqual(props);
    b.close();
  });

  it('drop_oldest keeps the newest max_messages and never drops in-flight rows', () => {
    const b = make();
    b.open();
    const c = new BoundedCache(b, { maxMessages: 10, maxBytes: 1 << 20, overflow: 'drop_oldest' });
    const first = c.append([msg(0)], new Set()).seqs[0]!;
    const r = c.append(
      Array.from({ length: 49 }, (_, i) => msg(i + 1)),
      new Set([first]),
    );
    expect(r.dropped).toBe(40);
    const left = c.readAfter(0, 100).map((m) => m.topic);
    expect(left).toEqual(['t/0', ...Array.from({ length: 9 }, (_, i) => `t/${i + 41}`)]);
    b.close();
  });

  it('drop_new keeps the oldest; max_bytes counts topic + payload', () => {
    const b = make();
    b.open();
    const c = new BoundedCache(b, { maxMessages: 1000, maxBytes: 25, overflow: 'drop_new' });
    const r = c.append([msg(1), msg(2), msg(3), msg(4)], new Set()); // 5 bytes each? t/1 + m1 = 5
    expect(r.dropped).toBe(0);
    const r2 = c.append([msg(5), msg(6), msg(7)], new Set());
    expect(r2.dropped).toBe(2);
    expect(c.readAfter(0, 100).map((m) => m.topic)).toEqual(['t/1', 't/2', 't/3', 't/4', 't/5']);
    b.close();
  });

  it('property: count ≤ max_messages and stored + dropped = offered, for both policies', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom<'drop_oldest' | 'drop_new'>('drop_oldest', 'drop_new'),
        (batches, max, overflow) => {
          const b = new MemoryCacheBackend();
          const c = new BoundedCache(b, { maxMessages: max, maxBytes: 1 << 20, overflow });
          let offered = 0;
          let dropped = 0;
          for (const n of batches) {
            dropped += c.append(
              Array.from({ length: n }, (_, i) => msg(offered + i)),
              new Set(),
            ).dropped;
            offered += n;
            expect(c.count).toBeLessThanOrEqual(max);
          }
          expect(c.count + dropped).toBe(offered);
          const kept = c.readAfter(0, 10_000).map((m) => Number(m.topic.slice(2)));
          const expected =
            overflow === 'drop_oldest'
              ? Array.from({ length: Math.min(max, offered) }, (_, i) => offered - Math.min(max, offered) + i)
              : Array.from({ length: Math.min(max, offered) }, (_, i) => i);
          expect(kept).toEqual(expected);
        },
      ),
    );
  });
});

describe('sqlite cache across restarts', () => {
  it('reopens with rows, tallies and a seq that keeps increasing after the tail was deleted', () => {
    const file = join(tempDir('bridge-cache-'), 'bridge-r.db');
    const a = new SqliteCacheBackend(file);
    a.open();
    const c = new BoundedCache(a, { maxMessages: 100, maxBytes: 1 << 20, overflow: 'drop_oldest' });
    const { seqs } = c.append([msg(1), msg(2), msg(3)], new Set());
    c.remove([seqs[2]!]);
    a.close();
    const b = new SqliteCacheBackend(file);
    b.open();
    expect(b.count()).toBe(2);
    expect(b.bytes()).toBe(10);
    expect(b.lastSeq()).toBe(seqs[2]);
    expect(b.insert(msg(4), 5)).toBeGreaterThan(seqs[2]!);
    b.close();
    b.close(); // idempotent
  });

  it('a failed transaction rolls back the tallies too', () => {
    const b = new SqliteCacheBackend(join(tempDir('bridge-cache-'), 'bridge-t.db'));
    b.open();
    expect(() =>
      b.transaction(() => {
        b.insert(msg(1), 5);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(b.count()).toBe(0);
    expect(b.readAfter(0, 10)).toEqual([]);
    b.close();
  });

  it('an unopenable file is a StoreError PH_BRIDGE_CACHE_OPEN', () => {
    const blocker = join(tempDir('bridge-cache-'), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const b = new SqliteCacheBackend(join(blocker, 'sub', 'bridge.db'));
    expect(() => b.open()).toThrow(expect.objectContaining({ code: 'PH_BRIDGE_CACHE_OPEN' }));
  });
});
