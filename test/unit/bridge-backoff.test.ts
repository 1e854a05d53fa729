import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/bridge/backoff.js';

describe('backoffDelay', () => {
  const opts = { initial: 1000, max: 60_000, multiplier: 2, jitter: 0.5 };

  it('grows exponentially without jitter and stops at the cap', () => {
    const none = { ...opts, jitter: 0 };
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, none))).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });

  it('property: delay lies in [base·(1−jitter), base] and never exceeds the cap', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r, jitter) => {
          const o = { ...opts, jitter };
          const base = Math.min(o.max, o.initial * 2 ** Math.min(attempt, 64));
          const d = backoffDelay(attempt, o, () => r);
          expect(d).toBeLessThanOrEqual(o.max);
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
          expect(d).toBeLessThanOrEqual(base);
        },
      ),
    );
  });
});
