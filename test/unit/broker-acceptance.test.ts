/**
 * Acceptance (a publisher's acknowledgement waiting for durable consumers) and OrderedAcks (acknowledgements in
 * PUBLISH order, [MQTT-4.6.0-2]) from src/broker/acceptance.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Acceptance, OrderedAcks } from '../../src/broker/acceptance.js';

describe('Acceptance', () => {
  it('settles once every hold is released, runs each waiter once, and ignores extra releases', () => {
    const a = new Acceptance();
    const ran: string[] = [];
    a.hold();
    a.hold();
    a.whenSettled(() => ran.push('first'));
    a.release();
    expect(ran).toEqual([]);
    a.whenSettled(() => ran.push('second'));
    a.release();
    expect(ran).toEqual(['first', 'second']);
    a.release(); // more releases than holds: nothing runs again
    expect(a.settled).toBe(true);
    a.whenSettled(() => ran.push('now'));
    expect(ran).toEqual(['first', 'second', 'now']);
  });
});

describe('OrderedAcks', () => {
  it('sends in enqueue order whatever order they become ready in, each exactly once', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 40 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n })),
          ),
        ([n, readyOrder]) => {
          const acks = new OrderedAcks();
          const sent: number[] = [];
          const ready = Array.from({ length: n }, (_, i) => acks.enqueue(() => sent.push(i)));
          expect(acks.idle).toBe(false);
          for (const i of readyOrder) {
            ready[i]();
            // sent is always a prefix 0..k-1 of the enqueue order
            expect(sent).toEqual([...Array(sent.length).keys()]);
          }
          expect(sent).toEqual([...Array(n).keys()]);
          expect(acks.idle).toBe(true);
        },
      ),
    );
  });

  it('a ready call made twice sends once; entries added after draining start a fresh queue', () => {
    const acks = new OrderedAcks();
    const sent: string[] = [];
    const a = acks.enqueue(() => sent.push('a'));
    a();
    a();
    expect(sent).toEqual(['a']);
    expect(acks.idle).toBe(true);
    const b = acks.enqueue(() => sent.push('b'));
    const c = acks.enqueue(() => sent.push('c'));
    c();
    expect(sent).toEqual(['a']);
    b();
    expect(sent).toEqual(['a', 'b', 'c']);
  });
});
