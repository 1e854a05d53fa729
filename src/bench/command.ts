/**
 * `protohub bench pub|sub|conn|latency|discard`: the load tool. Prints one line per second while running and a
 * summary at the end; `--ceiling` first runs the same job against a discard server to show the generator's own
 * limit on this machine.
 */
import { HubError } from '../errors.js';
import { BENCH_USAGE, parseBenchArgs, type BenchArgs } from './args.js';
import { DiscardWorker, LoadGroup } from './pool.js';
import { runLatency, type JobSpec } from './measure.js';
import { DiscardServer } from './discard-server.js';
import { BenchError } from './connection.js';

type Out = (line: string) => void;

function jobOf(a: BenchArgs, port = a.port): JobSpec {
  return {
    mode: a.mode === 'discard' ? 'conn' : a.mode,
    host: a.host,
    port,
    version: a.version,
    qos: a.qos,
    topic: a.topic,
    payloadSize: a.payloadSize,
    limit: a.limit,
    intervalMs: a.intervalMs,
    inflight: a.inflight,
    batch: a.batch,
    clients: a.clients,
    clientPrefix: a.prefix,
    connectConcurrency: 64,
    keepaliveSec: 600,
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Run one load job against `port`, printing per-second progress; returns the rate it measured. */
async function runLoad(a: BenchArgs, port: number, label: string, out: Out): Promise<number> {
  const job = jobOf(a, port);
  if (a.mode === 'latency') {
    const rate = a.intervalMs > 0 ? (a.clients * 1000) / a.intervalMs : 1000;
    const r = await runLatency(job, rate, a.durationSec, a.workers);
    out(
      `${label} latency at ${fmt(rate)} msg/s: n=${r.samples} p50=${r.p50Us.toFixed(0)}µs p90=${r.p90Us.toFixed(0)}µs p99=${r.p99Us.toFixed(0)}µs max=${r.maxUs.toFixed(0)}µs`,
    );
    return r.p99Us;
  }
  const t0 = Date.now();
  const group = await LoadGroup.prepare(job, a.workers, a.workerKind);
  const ready = group.current();
  out(
    `${label} ${a.mode}: ${ready.connected}/${a.clients} connected in ${Date.now() - t0} ms${ready.connectFailed ? `, ${ready.connectFailed} failed: ${ready.errors[0]}` : ''}`,
  );
  if (ready.connected === 0) {
    await group.stop();
    throw new BenchError('PH_BENCH_CONNECT', `no client connected: ${ready.errors[0] ?? 'unknown error'}`);
  }
  const start = Date.now();
  let finished = false;
  // only publishers have an end of their own; sub and conn run for the duration
  const done =
    a.mode === 'pub'
      ? group.go().then(() => {
          finished = true;
        })
      : (void group.go(), new Promise<void>(() => undefined));
  let prev = 0;
  while (!finished && Date.now() - start < a.durationSec * 1000) {
    await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
    const s = group.current();
    const count = a.mode === 'pub' ? s.sent : s.received;
    if (a.mode !== 'conn')
      out(`${label} ${a.mode}: ${fmt(count - prev)} msg/s (total ${fmt(count)}${s.lost ? `, ${s.lost} lost` : ''})`);
    prev = count;
  }
  const elapsed = (Date.now() - start) / 1000;
  const s = await group.stop();
  const count = a.mode === 'pub' ? s.sent : s.received;
  const rate = count / elapsed;
  out(
    `${label} ${a.mode} total: ${fmt(count)} in ${elapsed.toFixed(2)} s = ${fmt(rate)} msg/s; acked ${fmt(s.completed)}; lost connections ${s.lost}`,
  );
  for (const e of s.errors.slice(0, 3)) out(`${label}   error: ${e}`);
  return rate;
}

export async function runBenchCommand(
  argv: string[],
  out: Out = (l) => process.stdout.write(l + '\n'),
): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help') {
    out(BENCH_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let a: BenchArgs;
  try {
    a = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${BENCH_USAGE}`);
    return 2;
  }
  try {
    if (a.mode === 'discard') {
      const server = new DiscardServer({ host: a.host, port: a.port, flood: a.flood, payloadSize: a.payloadSize });
      out(`discard server on ${a.host}:${await server.start()}${a.flood ? ' (flood)' : ''}; Ctrl-C to stop`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await server.stop();
      return 0;
    }
    if (a.ceiling) {
      const discard = await DiscardWorker.start({
        host: '127.0.0.1',
        port: 0,
        flood: a.mode === 'sub',
        payloadSize: a.payloadSize,
      });
      try {
        await runLoad({ ...a, durationSec: Math.min(a.durationSec, 5) }, discard.port, '[ceiling]', out);
      } finally {
        await discard.stop();
      }
    }
    await runLoad(a, a.port, `[${a.host}:${a.port}]`, out);
    return 0;
  } catch (err) {
    const code = err instanceof HubError ? err.code : 'PH_BENCH_FAILED';
    process.stderr.write(`bench failed (${code}): ${(err as Error).message}\n`);
    return 1;
  }
}
