import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Deadlines } from '../../gateways/lwm2m/deadlines.js';

it('pops exactly the entries due, earliest first, whatever the push order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 1000 })),
      fc.array(fc.integer({ min: 0, max: 1100 })),
      (ats, nows) => {
        const d = new Deadlines<number>();
        ats.forEach((at, i) => d.push(at, i));
        const popped: number[] = [];
        for (const now of [...nows].sort((a, b) => a - b)) {
          const due = d.popDue(now);
          for (const e of due) expect(e.at).toBeLessThanOrEqual(now);
          popped.push(...due.map((e) => e.at));
        }
        const last = Math.max(-1, ...nows);
        expect(popped).toEqual(ats.filter((a) => a <= last).sort((a, b) => a - b));
        expect(d.size).toBe(ats.filter((a) => a > last).length);
      },
    ),
  );
});
