/**
 * The measurements both `protohub bench` and `npm run bench` are made of: a publish → subscribe flow
 * (throughput, with drops counted as sent − expected deliveries), a paced latency run and a connection hold.
 */
import { LoadGroup, type WorkerKind } from './pool.js';
import { percentile } from './latency-recorder.js';
import type { LoadJob, LoadStats } from './job.js';

export type JobSpec = Omit<LoadJob, 'clientFrom' | 'clientTo'> & { clients: number };

/** Poll `cond` every `pollMs` until true or `deadlineMs` passed; counters arrive by tick, so there is no event. */
export async function waitUntil(cond: () => boolean, deadlineMs: number, pollMs = 50): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

/**
 * Wait until `expected` messages have arrived, or nothing new arrived for `idleMs` (the broker drained what
 * it will deliver), bounded by `deadlineMs`.
 */
export async function waitForArrivals(
  received: () => number,
  expected: number,
  idleMs: number,
  deadlineMs: number,
): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  await waitUntil(() => {
    const got = received();
    if (got !== last) {
      last = got;
      lastChange = Date.now();
    }
    return got >= expected || Date.now() - lastChange > idleMs;
  }, deadlineMs);
}

export interface FlowResult {
  sent: number;
  /** Deliveries the subscribers should have seen: sent × subscribers per message. */
  expected: number;
  received: number;
  /** expected − received (≥ 0): messages the broker dropped or never delivered within the wait. */
  missing: number;
  /** received / (last − first receive). */
  receivedPerSec: number;
  /** sent / time until every publisher finished. */
  sentPerSec: number;
  pub: LoadStats;
  sub: LoadStats;
}

export interface FlowOptions {
  pub: JobSpec;
  sub: JobSpec;
  workers: { pub: number; sub: number; kind?: WorkerKind };
  /** Subscribers that receive each message (1 for fan-in, N for fan-out). */
  fanout: number;
  /** Used when the publishers have no limit: stop them after this long. */
  durationSec: number;
  /** Stop waiting for stragglers after this long without a new delivery. */
  idleMs: number;
  maxWaitMs: number;
  /** Called around the traffic only (not connection set-up), e.g. to sample the broker's CPU over it. */
  window?: TrafficWindow;
}

export interface TrafficWindow {
  start(): void;
  end(): void;
}

export async function runFlow(o: FlowOptions): Promise<FlowResult> {
  const sub = await LoadGroup.prepare(o.sub, o.workers.sub, o.workers.kind);
  let pub: LoadGroup;
  try {
    pub = await LoadGroup.prepare(o.pub, o.workers.pub, o.workers.kind);
  } catch (err) {
    await sub.stop();
    throw err;
  }
  o.window?.start();
  void sub.go();
  const t0 = Date.now();
  const finished = pub.go();
  if (o.pub.limit > 0) await Promise.race([finished, new Promise((r) => setTimeout(r, o.maxWaitMs))]);
  else await new Promise((r) => setTimeout(r, o.durationSec * 1000));
  const pubElapsed = Date.now() - t0;
  const pubStats = await pub.stop();
  const expected = pubStats.sent * o.fanout;
  // wait for the broker to drain its queues: done when all arrived or nothing new came for idleMs
  await waitForArrivals(() => sub.current().received, expected, o.idleMs, o.maxWaitMs);
  o.window?.end();
  const subStats = await sub.stop();
  const span = subStats.lastRecvAt - subStats.firstRecvAt;
  return {
    sent: pubStats.sent,
    expected,
    received: subStats.received,
    missing: Math.max(0, expected - subStats.received),
    receivedPerSec: span > 0 ? (subStats.received / span) * 1000 : 0,
    sentPerSec: pubElapsed > 0 ? (pubStats.sent / pubElapsed) * 1000 : 0,
    pub: pubStats,
    sub: subStats,
  };
}

export interface LatencyResult {
  samples: number;
  sent: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  stats: LoadStats;
}

/** One client publishing timestamped messages to a topic it subscribes to, at `ratePerSec`. */
export async function runLatency(
  job: JobSpec,
  ratePerSec: number,
  durationSec: number,
  workers = 1,
  warmupSec = 0.5,
  window?: TrafficWindow,
): Promise<LatencyResult> {
  const intervalMs = (job.clients * 1000) / ratePerSec;
  const group = await LoadGroup.prepare(
    { ...job, intervalMs, limit: Math.round((ratePerSec / job.clients) * (durationSec + warmupSec)), mode: 'latency' },
    workers,
  );
  window?.start();
  await Promise.race([group.go(), new Promise((r) => setTimeout(r, (durationSec + warmupSec) * 1000 + 5000))]);
  await waitUntil(() => group.current().received >= group.current().sent, 2000);
  window?.end();
  const stats = await group.stop();
  // the first warmupSec of samples see connection warm-up (JIT, buffers), not steady state
  const skip = Math.round(ratePerSec * warmupSec);
  const values = stats.latencyUs.slice(skip);
  return {
    samples: values.length,
    sent: stats.sent,
    p50Us: percentile(values, 50),
    p90Us: percentile(values, 90),
    p99Us: percentile(values, 99),
    maxUs: values.reduce((m, v) => (v > m ? v : m), values.length ? 0 : NaN),
    stats,
  };
}

/** Open `clients` idle connections and keep them until the returned close() is called. */
export async function holdConnections(
  job: JobSpec,
  workers: number,
): Promise<{ stats: LoadStats; close(): Promise<LoadStats> }> {
  const group = await LoadGroup.prepare({ ...job, mode: 'conn' }, workers);
  const stats = group.current();
  return { stats, close: () => group.stop() };
}
