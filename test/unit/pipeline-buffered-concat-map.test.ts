import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import type { Observable } from 'rxjs';
import {
  bufferedConcatMap,
  immediate,
  type BufferedConcatMapOptions,
  type Immediate,
} from '../../src/pipeline/buffered-concat-map.js';
import type { OverflowPolicy } from '../../src/pipeline/bounded-queue.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function opts(
  policy: OverflowPolicy,
  record: { dropped: string[]; pressure: boolean[]; discarded: string[] },
  maxMessages = 1,
): BufferedConcatMapOptions<string> {
  return {
    maxMessages,
    maxBytes: 1000,
    policy,
    sizeOf: (s) => s.length,
    onDrop: (d) => record.dropped.push(`${d.item}:${d.reason}`),
    onPressure: (full) => record.pressure.push(full),
    onDiscard: (item) => record.discarded.push(item),
  };
}

const rec = () => ({ dropped: [] as string[], pressure: [] as boolean[], discarded: [] as string[] });

describe('bufferedConcatMap', () => {
  it('runs projections one at a time in order and completes after the queue drains', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('---(r|)', { r: x.toUpperCase() });
      const source = cold('ab|');
      expectObservable(source.pipe(bufferedConcatMap(project, opts('drop_newest', rec(), 10)))).toBe('---A--(B|)');
    });
  });

  it('drop_newest drops the arriving item when the queue is full', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('---(r|)', { r: x.toUpperCase() });
      expectObservable(cold('abc----|').pipe(bufferedConcatMap(project, opts('drop_newest', r)))).toBe('---A--B|');
    });
    expect(r.dropped).toEqual(['c:overflow']);
    expect(r.pressure).toEqual([]);
  });

  it('drop_oldest drops the oldest queued item for the new one', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('---(r|)', { r: x.toUpperCase() });
      expectObservable(cold('abc----|').pipe(bufferedConcatMap(project, opts('drop_oldest', r)))).toBe('---A--C|');
    });
    expect(r.dropped).toEqual(['b:overflow']);
  });

  it('block signals pressure while full and resumes when there is room; late arrivals still drop', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('---(r|)', { r: x.toUpperCase() });
      expectObservable(cold('abc----|').pipe(bufferedConcatMap(project, opts('block', r)))).toBe('---A--B|');
    });
    expect(r.pressure).toEqual([true, false]);
    expect(r.dropped).toEqual(['c:overflow']);
  });

  it('drops an item bigger than max bytes as too_large under every policy', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('(r|)', { r: x });
      const o = { ...opts('drop_oldest', r, 10), maxBytes: 3 };
      expectObservable(cold('a-b|', { a: 'ok', b: 'toolong' }).pipe(bufferedConcatMap(project, o))).toBe('a--|', {
        a: 'ok',
      });
    });
    expect(r.dropped).toEqual(['toolong:too_large']);
  });

  it('errors when the source errors and hands the queued items to onDiscard', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('-----(r|)', { r: x });
      expectObservable(cold('ab#').pipe(bufferedConcatMap(project, opts('drop_newest', r, 10)))).toBe('--#');
    });
    expect(r.discarded).toEqual(['b']);
  });

  it('errors when a projection errors', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const project = (): Observable<string> => cold('-#', undefined, new Error('boom'));
      expectObservable(cold('a|').pipe(bufferedConcatMap(project, opts('drop_newest', rec(), 10)))).toBe(
        '-#',
        undefined,
        new Error('boom'),
      );
    });
  });

  it('handles long runs of synchronous projections without recursion', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('(r|)', { r: x });
      const values = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [String.fromCharCode(97 + i), `v${i}`]));
      const marbles = `${Object.keys(values).join('')}|`;
      expectObservable(cold(marbles, values).pipe(bufferedConcatMap(project, opts('drop_newest', r, 2)))).toBe(
        marbles,
        values,
      );
    });
    expect(r.dropped).toEqual([]);
  });

  it('unsubscribing discards what is still queued', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('----(r|)', { r: x });
      expectObservable(cold('abc|').pipe(bufferedConcatMap(project, opts('drop_newest', r, 10))), '---!').toBe('---');
    });
    expect(r.discarded).toEqual(['b', 'c']);
  });

  it('immediate results are emitted in order, mixed with asynchronous projections, and the queue still applies', () => {
    const r = rec();
    scheduler().run(({ cold, expectObservable }) => {
      // upper-case letters take 3 frames, the rest is known at once
      const project = (x: string): Observable<string> | Immediate<string> =>
        x === x.toUpperCase() ? cold('---(r|)', { r: `${x}!` }) : immediate(x);
      expectObservable(cold('aBcd-----e|').pipe(bufferedConcatMap(project, opts('drop_newest', r, 1)))).toBe(
        'a---(Bc)-e|',
        { a: 'a', B: 'B!', c: 'c', e: 'e' },
      );
    });
    // while B ran, c waited in the one-slot queue and d found it full
    expect(r.dropped).toEqual(['d:overflow']);
  });

  it('reports the queue depth only when it changes', () => {
    const depths: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const project = (x: string): Observable<string> => cold('--(r|)', { r: x });
      const o = { ...opts('drop_newest', rec(), 10), onDepth: (n: number) => depths.push(n) };
      expectObservable(cold('abc|').pipe(bufferedConcatMap(project, o))).toBe('--a-b-(c|)');
    });
    expect(depths).toEqual([1, 2, 1, 0]);
  });
});
