/**
 * Coordinator side: spreads a job's clients over N workers (forked processes, worker threads, or in-process
 * when N = 0), and exposes the merged live counters and the final stats.
 */
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { workerHandler, type FromWorker, type ToWorker } from './worker-protocol.js';
import { mergeStats, type LoadJob, type LoadStats } from './job.js';
import { BenchError } from './connection.js';
import type { DiscardOptions } from './discard-server.js';

export type WorkerKind = 'process' | 'thread';

interface Link {
  send(m: ToWorker): void;
  onMessage(cb: (m: FromWorker) => void): void;
  kill(): void;
  /** The worker's process id when it is a forked process (for its CPU time), else undefined. */
  readonly pid?: number;
}

const HERE = fileURLToPath(import.meta.url);
const WORKER_FILE = HERE.replace(/pool\.(ts|js)$/, `worker${extname(HERE)}`);
// Running from TypeScript sources (tsx, vitest): children need the tsx loader to import worker.ts.
const LOADER = extname(HERE) === '.ts' ? ['--import', 'tsx'] : [];

function forkLink(): Link {
  const child = fork(WORKER_FILE, [], {
    execArgv: LOADER,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    send: (m) => child.send(m),
    onMessage: (cb) => child.on('message', (m) => cb(m as FromWorker)),
    kill: () => child.kill('SIGKILL'),
    pid: child.pid,
  };
}

/** Worker threads ignore --import loaders on Node 20, so from sources the thread registers tsx itself. */
function threadLink(): Link {
  const w =
    LOADER.length === 0
      ? new Worker(WORKER_FILE)
      : new Worker(
          `import('tsx/esm/api').then((api) => api.register()).then(() => import(${JSON.stringify(pathToFileURL(WORKER_FILE).href)}))`,
          { eval: true },
        );
  return {
    send: (m) => w.postMessage(m),
    onMessage: (cb) => w.on('message', cb),
    kill: () => void w.terminate(),
  };
}

function inProcessLink(): Link {
  let deliver: (m: FromWorker) => void = () => undefined;
  const handle = workerHandler(
    (m) => queueMicrotask(() => deliver(m)),
    () => undefined,
  );
  return {
    send: (m) => handle(m),
    onMessage: (cb) => {
      deliver = cb;
    },
    kill: () => undefined,
  };
}

function link(kind: WorkerKind, inProcess: boolean): Link {
  if (inProcess) return inProcessLink();
  return kind === 'thread' ? threadLink() : forkLink();
}

/** One worker: tracks its latest counters and the events it has sent. */
class Member {
  latest: LoadStats | null = null;
  finished = false;
  private waiters: Array<{ ev: FromWorker['ev']; resolve: (m: FromWorker) => void; reject: (e: Error) => void }> = [];

  constructor(readonly link: Link) {
    link.onMessage((m) => {
      if (m.ev === 'tick' || m.ev === 'prepared' || m.ev === 'stopped') this.latest = m.stats;
      if (m.ev === 'finished') this.finished = true;
      for (const w of [...this.waiters]) {
        if (m.ev === 'failed') w.reject(new BenchError('PH_BENCH_WORKER', m.message));
        else if (w.ev === m.ev) w.resolve(m);
        else continue;
        this.waiters.splice(this.waiters.indexOf(w), 1);
      }
    });
  }

  next(ev: FromWorker['ev']): Promise<FromWorker> {
    return new Promise((resolve, reject) => this.waiters.push({ ev, resolve, reject }));
  }
}

export class LoadGroup {
  private constructor(private readonly members: Member[]) {}

  /** Fork `workers` workers (0 = run in this process), hand each a slice of clients, and wait until connected. */
  static async prepare(
    job: Omit<LoadJob, 'clientFrom' | 'clientTo'> & { clients: number },
    workers: number,
    kind: WorkerKind = 'process',
  ): Promise<LoadGroup> {
    const n = Math.max(1, Math.min(workers, job.clients));
    const members = Array.from({ length: n }, () => new Member(link(kind, workers === 0)));
    const per = Math.ceil(job.clients / n);
    await Promise.all(
      members.map((m, k) => {
        const { clients: _all, ...rest } = job;
        const ready = m.next('prepared');
        m.link.send({
          cmd: 'prepare',
          job: { ...rest, clientFrom: k * per, clientTo: Math.min(job.clients, (k + 1) * per) },
        });
        return ready;
      }),
    ).catch((err: unknown) => {
      for (const m of members) m.link.kill();
      throw err;
    });
    return new LoadGroup(members);
  }

  /** Start the traffic; resolves when every worker reached its message limit. */
  go(): Promise<void> {
    const all = this.members.map((m) => m.next('finished'));
    for (const m of this.members) m.link.send({ cmd: 'go' });
    return Promise.all(all).then(() => undefined);
  }

  /** Process ids of forked workers (empty for threads and in-process runs). */
  pids(): number[] {
    return this.members.flatMap((m) => (m.link.pid === undefined ? [] : [m.link.pid]));
  }

  /** Merged counters as of the latest tick (≤ TICK_MS old). */
  current(): LoadStats {
    return mergeStats(this.members.flatMap((m) => (m.latest ? [m.latest] : [])));
  }

  /** Stop traffic, close clients, end workers; returns the final merged stats (with latency samples). */
  async stop(): Promise<LoadStats> {
    const finals = await Promise.all(
      this.members.map((m) => {
        const done = m.next('stopped');
        m.link.send({ cmd: 'stop' });
        return done;
      }),
    );
    return mergeStats(finals.map((f) => (f as { stats: LoadStats }).stats));
  }
}

/** A discard server in its own worker, so it never shares an event loop with the generator. */
export class DiscardWorker {
  private constructor(
    private readonly member: Member,
    readonly port: number,
  ) {}

  static async start(opts: DiscardOptions, inProcess = false): Promise<DiscardWorker> {
    const m = new Member(link('process', inProcess));
    const listening = m.next('listening');
    m.link.send({ cmd: 'serve', opts });
    const ev = (await listening) as { port: number };
    m.link.send({ cmd: 'go' });
    return new DiscardWorker(m, ev.port);
  }

  received(): number {
    return this.member.latest?.received ?? 0;
  }

  async stop(): Promise<void> {
    const done = this.member.next('stopped');
    this.member.link.send({ cmd: 'stop' });
    await done;
  }
}
