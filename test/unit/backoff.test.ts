/** The one backoff rule (src/backoff.ts) used by gateway restarts and bridge reconnects. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/backoff.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0.5 };

  it('grows exponentially without jitter and stops at the cap', () => {
    const none = { ...opts, jitter: 0 };
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, none))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    const triple = { ...none, multiplier: 3 };
    expect([0, 1, 2].map((a) => backoffDelay(a, triple))).toEqual([1000, 3000, 9000]);
  });

  it('property: delay lies in [base·(1−jitter), base], never above the cap nor below 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3, max: 1000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, initialMs, extra, multiplier, jitter, r) => {
          const o = { initialMs, maxMs: initialMs + extra, multiplier, jitter };
          const base = Math.min(o.maxMs, initialMs * multiplier ** Math.min(Math.max(attempt, 0), 64));
          const d = backoffDelay(attempt, o, () => r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(o.maxMs);
          expect(d).toBeLessThanOrEqual(Math.round(base));
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
        },
      ),
    );
  });

  it('at the cap the delays still spread (no pile-up at max)', () => {
    const samples = [0, 0.25, 0.5, 0.75, 0.99].map((r) => backoffDelay(50, opts, () => r));
    expect(new Set(samples).size).toBe(samples.length);
    expect(Math.max(...samples)).toBe(60_000);
  });
});
