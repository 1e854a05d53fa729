import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelay } from '../../src/gateway/backoff.js';

describe('backoffDelay', () => {
  it('stays within [0, max] and within the jitter band of the exponential value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, initialMs, extra, jitter, r) => {
          const maxMs = initialMs + extra;
          const d = backoffDelay(attempt, { initialMs, maxMs, jitter }, () => r);
          const base = Math.min(maxMs, initialMs * 2 ** attempt);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(maxMs);
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)) - 1);
        },
      ),
    );
  });

  it('doubles per attempt without jitter until the cap', () => {
    const o = { initialMs: 100, maxMs: 1000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
