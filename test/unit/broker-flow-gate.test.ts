/**
 * QueueGate (src/broker/flow-control.ts): holds while raised, releases waiters on lower() or on a stall, a stall
 * needs stall_timeout without progress counted from the later of the episode start and the last ack, and an
 * acknowledgement ends a stall episode. Fake timers: the gate's only clock is setTimeout + Date.now.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueueGate, whenRelieved } from '../../src/broker/flow-control.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function gate(stallMs = 1000) {
  const stalls: QueueGate[] = [];
  const g = new QueueGate('c', stallMs, (x) => stalls.push(x));
  return { g, stalls };
}

describe('QueueGate', () => {
  it('does not hold until raised; onRelief runs at once then', () => {
    const { g } = gate();
    let ran = false;
    g.onRelief(() => (ran = true));
    expect(g.holding).toBe(false);
    expect(ran).toBe(true);
  });

  it('holds while raised and releases every waiter once on lower()', () => {
    const { g } = gate();
    g.raise(Date.now());
    const calls: number[] = [];
    g.onRelief(() => calls.push(1));
    g.onRelief(() => calls.push(2));
    expect(calls).toEqual([]);
    g.lower();
    g.lower();
    expect(calls).toEqual([1, 2]);
    expect(g.holding).toBe(false);
  });

  it('stalls after stall_timeout without an ack, once, releasing waiters; an ack ends the episode', () => {
    const { g, stalls } = gate(1000);
    g.raise(Date.now());
    let released = false;
    g.onRelief(() => (released = true));
    vi.advanceTimersByTime(999);
    expect(released).toBe(false);
    vi.advanceTimersByTime(1);
    expect(released).toBe(true);
    expect(stalls).toHaveLength(1);
    expect(g.stalled).toBe(true);
    expect(g.holding).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(stalls).toHaveLength(1); // logged and counted once per episode
    g.progress(Date.now());
    expect(g.stalled).toBe(false);
    expect(g.holding).toBe(true); // still over the watermark: holds again, a new episode may stall
    vi.advanceTimersByTime(1000);
    expect(stalls).toHaveLength(2);
  });

  it('acknowledgements within the timeout keep it from stalling', () => {
    const { g, stalls } = gate(1000);
    g.raise(Date.now());
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(900);
      g.progress(Date.now());
    }
    expect(stalls).toHaveLength(0);
    expect(g.holding).toBe(true);
  });

  it('property: whenRelieved fires exactly once, after the last gate releases, whatever the order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (raised, order) => {
          const gates = raised.map(() => new QueueGate('x', 1000, () => {}));
          gates.forEach((g, i) => raised[i] && g.raise(0));
          let fired = 0;
          whenRelieved(gates, () => fired++);
          const pending = gates.filter((g) => g.holding);
          expect(fired).toBe(pending.length === 0 ? 1 : 0);
          const seq = [...order.map((n) => n % gates.length), ...gates.keys()];
          for (const i of seq) {
            const before = gates.filter((g) => g.holding).length;
            gates[i].lower();
            const after = gates.filter((g) => g.holding).length;
            if (before > 0 && after === 0) expect(fired).toBe(1);
            else if (after > 0) expect(fired).toBe(0);
          }
          expect(fired).toBe(1);
        },
      ),
    );
  });
});
