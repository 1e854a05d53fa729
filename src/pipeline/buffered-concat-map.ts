/**
 * `bufferedConcatMap(project, opts)`: like concatMap, but the items waiting for the running projection sit in a
 * BoundedQueue with an overflow policy instead of an unbounded buffer.
 *
 * - Emits the values of each projected Observable, in source order, one projection at a time.
 * - Overflowing items are handed to `onDrop` (never emitted). Under policy `block` the operator calls
 *   `onPressure(true)` when the queue becomes full and `onPressure(false)` once it has room again, so the source
 *   can stop reading from its peers; items that still arrive while full are dropped as `overflow`.
 * - Completes when the source has completed and the queue and the running projection are done.
 * - Errors when the source errors (queued items go to `onDiscard`) or when a projection errors; per-item faults
 *   must therefore be caught inside `project`.
 * - On unsubscribe the queued items go to `onDiscard` (e.g. to ack broker deliveries that will never run).
 * - A projection that has its result at once may return `immediate(value)` instead of an Observable: the value
 *   is emitted and the next item runs without an inner subscription (the gateways' fire-and-forget uplink).
 */
import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { BoundedQueue, type Dropped, type OverflowPolicy } from './bounded-queue.js';

export interface BufferedConcatMapOptions<T> {
  maxMessages: number;
  maxBytes: number;
  policy: OverflowPolicy;
  sizeOf: (item: T) => number;
  onDrop?: (dropped: Dropped<T>) => void;
  onPressure?: (full: boolean) => void;
  onDiscard?: (item: T) => void;
  /** Called with the queue length whenever it changes (a gauge). */
  onDepth?: (depth: number) => void;
}

/** A projection's result that is already known: emitted synchronously, no inner Observable to subscribe. */
export class Immediate<R> {
  constructor(readonly value: R) {}
}

export const immediate = <R>(value: R): Immediate<R> => new Immediate(value);

export function bufferedConcatMap<T, R>(
  project: (item: T) => Observable<R> | Immediate<R>,
  opts: BufferedConcatMapOptions<T>,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const queue = new BoundedQueue<T>(opts);
      let active: Subscription | undefined;
      let sourceDone = false;
      let pressured = false;
      let depth = 0;

      const reportDepth = (): void => {
        if (queue.length === depth) return;
        depth = queue.length;
        opts.onDepth?.(depth);
      };

      /** Run one item's projection; true when it finished synchronously (the caller may start the next). */
      const run = (item: T): boolean => {
        const projected = project(item);
        if (projected instanceof Immediate) {
          subscriber.next(projected.value);
          return true;
        }
        let sync = true;
        let completedSync = false;
        const sub = projected.subscribe({
          next: (r) => subscriber.next(r),
          error: (e) => subscriber.error(e),
          complete: () => {
            if (sync) {
              completedSync = true;
              return;
            }
            active = undefined;
            next();
          },
        });
        sync = false;
        if (completedSync || sub.closed) return true;
        active = sub;
        return false;
      };

      const setPressure = (full: boolean): void => {
        if (opts.policy !== 'block' || full === pressured) return;
        pressured = full;
        opts.onPressure?.(full);
      };

      const next = (): void => {
        // Loop rather than recurse so a long run of synchronous projections cannot overflow the stack.
        while (!active && !subscriber.closed) {
          const item = queue.shift();
          reportDepth();
          if (!queue.isFull()) setPressure(false);
          if (item === undefined) {
            if (sourceDone) subscriber.complete();
            return;
          }
          run(item);
        }
      };

      const sourceSub = source.subscribe({
        next: (item) => {
          // Nothing waiting and nothing running: the item skips the queue (the common case at any rate the
          // projections keep up with); it is still refused when it could never fit.
          if (!active && queue.length === 0) {
            if (opts.sizeOf(item) > opts.maxBytes) {
              opts.onDrop?.({ item, reason: 'too_large' });
              return;
            }
            run(item);
            return;
          }
          for (const d of queue.push(item)) opts.onDrop?.(d);
          next();
          reportDepth();
          if (queue.isFull()) setPressure(true);
        },
        error: (e) => {
          for (const item of queue.drain()) opts.onDiscard?.(item);
          subscriber.error(e);
        },
        complete: () => {
          sourceDone = true;
          next();
        },
      });

      return () => {
        sourceSub.unsubscribe();
        active?.unsubscribe();
        for (const item of queue.drain()) opts.onDiscard?.(item);
        reportDepth();
      };
    });
}
