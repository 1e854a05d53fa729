/**
 * Messages between the bench coordinator and its workers, and the worker-side handler. The same handler runs
 * in a forked process, a worker thread or in-process, so every transport behaves alike.
 */
import { LoadRunner } from './runner.js';
import { DiscardServer, type DiscardOptions } from './discard-server.js';
import type { LoadJob, LoadStats } from './job.js';

export type ToWorker =
  { cmd: 'prepare'; job: LoadJob } | { cmd: 'serve'; opts: DiscardOptions } | { cmd: 'go' } | { cmd: 'stop' };

export type FromWorker =
  | { ev: 'prepared'; stats: LoadStats }
  | { ev: 'listening'; port: number }
  | { ev: 'finished' }
  | { ev: 'tick'; stats: LoadStats }
  | { ev: 'stopped'; stats: LoadStats }
  | { ev: 'failed'; message: string };

/** Counters pushed to the coordinator this often while traffic flows. */
export const TICK_MS = 100;

/** Worker side: returns the function to call with each coordinator message. */
export function workerHandler(post: (m: FromWorker) => void, exit: () => void): (m: ToWorker) => void {
  let runner: LoadRunner | null = null;
  let discard: DiscardServer | null = null;
  let ticker: NodeJS.Timeout | null = null;
  const snapshot = (): LoadStats => {
    if (runner) return runner.stats();
    const s = {
      clients: 0,
      connected: 0,
      connectFailed: 0,
      lost: 0,
      sent: 0,
      completed: 0,
      received: discard?.received ?? 0,
    };
    return { ...s, firstRecvAt: 0, lastRecvAt: 0, latencyUs: [], latencyOverflow: 0, errors: [] };
  };
  const fail = (err: unknown): void => post({ ev: 'failed', message: (err as Error).message ?? String(err) });
  return (m) => {
    switch (m.cmd) {
      case 'prepare':
        runner = new LoadRunner(m.job);
        runner.prepare().then(() => post({ ev: 'prepared', stats: runner!.stats() }), fail);
        return;
      case 'serve':
        discard = new DiscardServer(m.opts);
        discard.start().then((port) => post({ ev: 'listening', port }), fail);
        return;
      case 'go':
        ticker = setInterval(() => post({ ev: 'tick', stats: snapshot() }), TICK_MS);
        runner?.go().then(() => post({ ev: 'finished' }), fail);
        return;
      case 'stop': {
        if (ticker) clearInterval(ticker);
        const final = runner ? runner.stats(true) : snapshot();
        const closing = runner ? runner.stop() : (discard?.stop() ?? Promise.resolve());
        closing.then(() => {
          post({ ev: 'stopped', stats: final });
          exit();
        }, fail);
        return;
      }
    }
  };
}
