/**
 * The issue-5 scenarios, each run against one target (a broker, or the discard server for the generator's own
 * ceiling). A scenario returns named figures; the report takes medians over runs.
 */
import { runFlow, runLatency, holdConnections, type JobSpec, type TrafficWindow } from '../src/bench/measure.js';
import { ProcessWindow, rssKb } from './proc.js';
import type { WorkerKind } from '../src/bench/pool.js';
import { hasMosqProbeToolchain, mosqLatency, MOSQ_PROBE_HINT } from './mosq-latency.js';

export interface Target {
  name: string;
  port: number;
  /** Broker process to sample (null for the discard server, which runs inside the generator). */
  pid: number | null;
  dropped(): Promise<number | null>;
  /** Told when the traffic of a scenario starts and ends (the profiler keeps only that part of a profile). */
  traffic?: TrafficWindow;
  /** Generator workers as processes (default) or worker threads. */
  workerKind?: WorkerKind;
}

export interface Sizes {
  gatewayMessages: number;
  /** Issue 14: QoS 1 fan-in at the brokers' defaults (protohub) / limits off (mosquitto), per publisher. */
  q1DefaultsPerPublisher: number;
  faninQ0PerPublisher: number;
  faninQ1PerPublisher: number;
  fanoutMessages: number;
  latencySec: number;
  connections: number;
}

export const FULL: Sizes = {
  gatewayMessages: 200_000,
  q1DefaultsPerPublisher: 20_000,
  faninQ0PerPublisher: 50_000,
  faninQ1PerPublisher: 20_000,
  fanoutMessages: 10_000,
  latencySec: 5,
  connections: 10_000,
};
export const QUICK: Sizes = {
  gatewayMessages: 30_000,
  q1DefaultsPerPublisher: 5_000,
  faninQ0PerPublisher: 10_000,
  faninQ1PerPublisher: 4_000,
  fanoutMessages: 2_000,
  latencySec: 2,
  connections: 2_000,
};

export type Figures = Record<string, number>;

export interface Scenario {
  id: string;
  title: string;
  /** The discard server can stand in for a broker here (it relays QoS 0 and acks QoS 1). */
  ceiling: boolean;
  run(t: Target, s: Sizes): Promise<Figures>;
}

let runSeq = 0;
export function job(t: Target, mode: JobSpec['mode'], over: Partial<JobSpec>): JobSpec {
  return {
    mode,
    host: '127.0.0.1',
    port: t.port,
    version: 4,
    qos: 0,
    topic: 'bench/%i',
    payloadSize: 16,
    limit: 0,
    intervalMs: 0,
    inflight: 32,
    batch: 64,
    clients: 1,
    clientPrefix: `${mode}-${process.pid}-${runSeq++}-`,
    connectConcurrency: 100,
    keepaliveSec: 600,
    ...over,
  };
}

/**
 * Broker CPU% and RSS over the traffic window only (set-up and worker start are outside it), plus the drops
 * the broker itself counted.
 */
export async function sampled(t: Target, body: (window: TrafficWindow) => Promise<Figures>): Promise<Figures> {
  let proc: ProcessWindow | null = null;
  let usage: ReturnType<ProcessWindow['end']> | null = null;
  const window: TrafficWindow = {
    start: () => {
      if (t.pid) proc = new ProcessWindow(t.pid);
      t.traffic?.start();
    },
    end: () => {
      usage = proc?.end() ?? null;
      t.traffic?.end();
    },
  };
  const dropped0 = await t.dropped();
  const figures = await body(window);
  const dropped1 = await t.dropped();
  const u = usage as ReturnType<ProcessWindow['end']> | null;
  if (u) Object.assign(figures, { cpu_percent: u.cpuPercent, rss_mb: u.rssKb / 1024, peak_rss_mb: u.peakRssKb / 1024 });
  if (dropped0 !== null && dropped1 !== null) figures.broker_dropped = dropped1 - dropped0;
  return figures;
}

async function fanIn(t: Target, qos: number, perPublisher: number): Promise<Figures> {
  return sampled(t, async (window) => {
    const r = await runFlow({
      window,
      pub: job(t, 'pub', { qos, clients: 10, limit: perPublisher, topic: 'bench/in/%i' }),
      sub: job(t, 'sub', { qos, clients: 1, topic: 'bench/in/+' }),
      workers: { pub: 1, sub: 1, kind: t.workerKind },
      fanout: 1,
      durationSec: 0,
      idleMs: 2000,
      maxWaitMs: 120_000,
    });
    return {
      msg_per_s: r.receivedPerSec,
      sent_per_s: r.sentPerSec,
      sent: r.sent,
      received: r.received,
      missing: r.missing,
      lost_connections: r.pub.lost + r.sub.lost,
    };
  });
}

export const SCENARIOS: Scenario[] = [
  // first, so 'before' is the idle broker and not a heap grown by the load scenarios
  {
    id: 'conn',
    title: 'idle connections',
    ceiling: false,
    run: async (t, s): Promise<Figures> => {
      if (!t.pid) return {};
      await new Promise((r) => setTimeout(r, 500)); // let the previous scenario's sockets close
      const before = rssKb(t.pid);
      const started = Date.now();
      const held = await holdConnections(job(t, 'conn', { clients: s.connections }), 2);
      const connectMs = Date.now() - started;
      await new Promise((r) => setTimeout(r, 1000)); // RSS settles after the accept burst
      const after = rssKb(t.pid);
      await held.close();
      return {
        connected: held.stats.connected,
        failed: held.stats.connectFailed,
        rss_before_mb: before / 1024,
        rss_after_mb: after / 1024,
        kb_per_conn: (after - before) / Math.max(1, held.stats.connected),
        connect_per_s: (held.stats.connected / connectMs) * 1000,
      };
    },
  },
  { id: 'fanin-q0', title: 'QoS 0 fan-in 10 → 1', ceiling: true, run: (t, s) => fanIn(t, 0, s.faninQ0PerPublisher) },
  { id: 'fanin-q1', title: 'QoS 1 fan-in 10 → 1', ceiling: false, run: (t, s) => fanIn(t, 1, s.faninQ1PerPublisher) },
  {
    id: 'fanout',
    title: 'QoS 0 fan-out 1 → 100',
    ceiling: false,
    run: (t, s) =>
      sampled(t, async (window) => {
        const r = await runFlow({
          window,
          pub: job(t, 'pub', { clients: 1, limit: s.fanoutMessages, topic: 'bench/out' }),
          sub: job(t, 'sub', { clients: 100, topic: 'bench/out' }),
          workers: { pub: 1, sub: 1 },
          fanout: 100,
          durationSec: 0,
          idleMs: 2000,
          maxWaitMs: 120_000,
        });
        return {
          deliveries_per_s: r.receivedPerSec,
          sent: r.sent,
          received: r.received,
          missing: r.missing,
          lost_connections: r.pub.lost + r.sub.lost,
        };
      }),
  },
  {
    id: 'latency',
    title: 'latency at 5k msg/s (QoS 0)',
    ceiling: true,
    run: (t, s) =>
      sampled(t, async (window) => {
        const r = await runLatency(
          job(t, 'latency', { topic: 'bench/lat/%i', batch: 64 }),
          5000,
          s.latencySec,
          1,
          0.5,
          window,
        );
        return { p50_us: r.p50Us, p90_us: r.p90Us, p99_us: r.p99Us, max_us: r.maxUs, samples: r.samples, sent: r.sent };
      }),
  },
  {
    // the same 5k msg/s QoS 0 probe written in C on libmosquitto (issue 14): publisher and subscriber in one
    // process and one thread, so the figure has no Node event loop of its own in it
    id: 'latency-mosq',
    title: 'latency at 5k msg/s (QoS 0), libmosquitto probe',
    ceiling: true,
    run: async (t, s): Promise<Figures> => {
      if (!hasMosqProbeToolchain()) {
        console.log(`  latency-mosq: skipped, ${MOSQ_PROBE_HINT}`);
        return {};
      }
      return sampled(t, async (window) => {
        window.start();
        try {
          return await mosqLatency(t.port, 5000, s.latencySec + 0.5, 0.5);
        } finally {
          window.end();
        }
      });
    },
  },
];

/** Receiver ceiling: one subscriber drinking from a discard server in flood mode for `seconds`. */
export async function subFloodCeiling(port: number, seconds: number, kind: WorkerKind = 'process'): Promise<Figures> {
  const { LoadGroup } = await import('../src/bench/pool.js');
  const group = await LoadGroup.prepare(
    job({ name: 'ceiling', port, pid: null, dropped: async () => null }, 'sub', { topic: 'bench/flood' }),
    1,
    kind,
  );
  void group.go();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const s = await group.stop();
  const span = s.lastRecvAt - s.firstRecvAt;
  return { msg_per_s: span > 0 ? (s.received / span) * 1000 : 0, received: s.received };
}
