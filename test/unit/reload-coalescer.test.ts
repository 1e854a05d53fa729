import { describe, expect, it } from 'vitest';
import { ReloadCoalescer } from '../../src/reload/coalescer.js';

/** A run the test finishes by hand, so "in flight" is a state the test controls, not a timing. */
function manualRuns() {
  const pending: Array<(v: number) => void> = [];
  let started = 0;
  const run = () =>
    new Promise<number>((resolve) => {
      const n = ++started;
      pending.push(() => resolve(n));
    });
  const finishNext = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()!(0);
  };
  return { run, finishNext, started: () => started };
}

describe('ReloadCoalescer', () => {
  it('a burst while one runs becomes exactly one more run, shared by every caller', async () => {
    const m = manualRuns();
    const c = new ReloadCoalescer(m.run, { minIntervalMs: 0 });
    const first = c.request();
    await new Promise((r) => setImmediate(r));
    expect(m.started()).toBe(1);
    const burst = Array.from({ length: 50 }, () => c.request());
    expect(new Set(burst).size).toBe(1); // one queued promise for all of them
    await m.finishNext();
    expect(await first).toBe(1);
    await m.finishNext();
    expect(await Promise.all(burst)).toEqual(Array(50).fill(2));
    expect(m.started()).toBe(2);
    expect(c.stats).toEqual({ runs: 2, coalesced: 49 });
  });

  it('never runs two at once', async () => {
    let running = 0;
    let maxRunning = 0;
    const c = new ReloadCoalescer(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setImmediate(r));
        running--;
      },
      { minIntervalMs: 0 },
    );
    const all: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      all.push(c.request());
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(maxRunning).toBe(1);
    expect(c.stats.runs + c.stats.coalesced).toBe(200);
    expect(c.stats.runs).toBeLessThan(200);
  });

  it('rate-limits: the next run waits out minIntervalMs since the last start', async () => {
    let now = 1000;
    const sleeps: number[] = [];
    const c = new ReloadCoalescer(async () => now, {
      minIntervalMs: 5000,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    expect(await c.request()).toBe(1000);
    now += 1200;
    expect(await c.request()).toBe(6000); // waited 3800 ms
    expect(sleeps).toEqual([3800]);
    now += 10_000;
    expect(await c.request()).toBe(16_000); // long after: no wait
    expect(sleeps).toEqual([3800]);
  });

  it('a failed run does not block the next one', async () => {
    let n = 0;
    const c = new ReloadCoalescer(
      async () => {
        if (++n === 1) throw new Error('boom');
        return n;
      },
      { minIntervalMs: 0 },
    );
    await expect(c.request()).rejects.toThrow('boom');
    expect(await c.request()).toBe(2);
  });
});
