import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedQueue, type OverflowPolicy } from '../../src/pipeline/bounded-queue.js';

const policy = fc.constantFrom<OverflowPolicy>('drop_oldest', 'drop_newest', 'block');

describe('BoundedQueue', () => {
  it('never exceeds its limits and loses nothing silently', () => {
    fc.assert(
      fc.property(
        policy,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.oneof(fc.record({ push: fc.integer({ min: 0, max: 80 }) }), fc.constant({ shift: true })), {
          maxLength: 200,
        }),
        (pol, maxMessages, maxBytes, ops) => {
          const q = new BoundedQueue<number>({ maxMessages, maxBytes, policy: pol, sizeOf: (n) => n });
          let pushed = 0;
          let dropped = 0;
          let shifted = 0;
          for (const op of ops) {
            if ('push' in op) {
              pushed++;
              dropped += q.push(op.push).length;
            } else if (q.shift() !== undefined) shifted++;
            expect(q.length).toBeLessThanOrEqual(maxMessages);
            expect(q.bytes).toBeLessThanOrEqual(maxBytes);
          }
          expect(pushed).toBe(dropped + shifted + q.length);
        },
      ),
    );
  });

  it('drop_oldest keeps the newest items, drop_newest the oldest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 10 }),
        (items, max) => {
          const oldest = new BoundedQueue<number>({
            maxMessages: max,
            maxBytes: 1e9,
            policy: 'drop_oldest',
            sizeOf: () => 1,
          });
          const newest = new BoundedQueue<number>({
            maxMessages: max,
            maxBytes: 1e9,
            policy: 'drop_newest',
            sizeOf: () => 1,
          });
          for (const i of items) {
            oldest.push(i);
            newest.push(i);
          }
          expect(oldest.drain()).toEqual(items.slice(-max));
          expect(newest.drain()).toEqual(items.slice(0, max));
        },
      ),
    );
  });

  it('reports an item bigger than the byte limit as too_large', () => {
    const q = new BoundedQueue<string>({ maxMessages: 5, maxBytes: 3, policy: 'drop_oldest', sizeOf: (s) => s.length });
    expect(q.push('abcd')).toEqual([{ item: 'abcd', reason: 'too_large' }]);
    expect(q.length).toBe(0);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new BoundedQueue({ maxMessages: 0, maxBytes: 1, policy: 'block', sizeOf: () => 0 })).toThrow(
      RangeError,
    );
  });
});
