/**
 * One session with 100k queued messages: enqueue, load in order, ack everything. Checks correctness at volume;
 * the elapsed times are printed for the record (bench/ owns performance; timings never gate tests).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore, type StoredMessage } from '../../src/store/index.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const N = 100_000;
const PER_TURN = 1000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SqliteStore at volume', () => {
  it(`queues, loads and acknowledges ${N} messages of one session in batched transactions`, async () => {
    const store = new SqliteStore({ dir: tempDir('protohub-volume-'), synchronous: 'normal' });
    store.open();
    const base: StoredMessage = {
      topic: 'plant/line1/temp',
      payload: Buffer.alloc(100, 7),
      qos: 1,
      retain: false,
      receivedAt: 0,
      properties: { contentType: 'application/octet-stream', correlationData: Buffer.from('c0ffee', 'hex') },
    };
    store.enqueue('other', base, 1); // a neighbour whose queue must be unaffected

    let t = performance.now();
    for (let i = 0; i < N; i++) {
      store.enqueue('big', { ...base, receivedAt: i }, 1, [1]);
      if (i % PER_TURN === PER_TURN - 1) await nextTurn();
    }
    await new Promise<void>((resolve) => store.afterCommit(resolve));
    const enqueueMs = performance.now() - t;

    t = performance.now();
    const loaded = store.loadMessages('big');
    const loadMs = performance.now() - t;
    expect(loaded).toHaveLength(N);
    expect(loaded.every((m, i) => m.message.receivedAt === i && (i === 0 || m.seq > loaded[i - 1].seq))).toBe(true);
    expect(store.countMessages('big')).toBe(N);

    t = performance.now();
    for (let i = 0; i < N; i++) {
      store.markInflight('big', loaded[i].seq, (i % 65535) + 1, 'publish');
      store.remove('big', loaded[i].seq);
      if (i % PER_TURN === PER_TURN - 1) await nextTurn();
    }
    await new Promise<void>((resolve) => store.afterCommit(resolve));
    const ackMs = performance.now() - t;

    expect(store.countMessages('big')).toBe(0);
    expect(store.countMessages('other')).toBe(1);
    store.close();
    console.log(
      `store volume: enqueue ${N} ${enqueueMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms, markInflight+remove ${ackMs.toFixed(0)} ms`,
    );
  });
});
