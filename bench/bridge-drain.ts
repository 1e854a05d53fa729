/**
 * Bridge backlog drain to a real mosquitto upstream, protohub as a separate process at its defaults (SQLite
 * store in a temp dir, max_inflight 32): N QoS 1 messages are published to the hub while the upstream is down
 * (they wait in the bridge cache), then mosquitto is started on the bridge's port and the drain is timed from
 * that spawn, twice, each time with a fresh hub and upstream:
 *
 * - *drained*: until the hub's bridge backlog is 0, i.e. mosquitto has PUBACKed every message and the hub has
 *   deleted it from its cache (polled on the HTTP status API every 5 ms). The QoS 1 subscriber on mosquitto
 *   connects afterwards and must then receive all N from its queued session: that is the verification.
 *   This is the judged figure: in production the upstream's subscribers are not on the hub's two cores.
 * - *live subscriber*: until a subscriber connected during the drain has received all N (or 5 s passed
 *   without progress) — the same path with the subscriber's CPU and mosquitto's fan-out on the same machine.
 *
 * The subscriber's session is persistent (created in an earlier run of the same mosquitto, which persists it),
 * so mosquitto queues for it whichever of the subscriber and the bridge reconnects first, and drops nothing
 * (max_queued_messages 1,000,000, max_inflight_messages 0). Payloads carry the message index: missing and
 * duplicates are counted exactly. Bridge reconnect is 20 ms flat so the drain starts as soon as mosquitto is up.
 *
 * Ad hoc (after `npx tsc -p tsconfig.build.json`; protohub runs from dist/):
 *   npx tsx bench/bridge-drain.ts [messages=50000] [--store sqlite|memory] [--inflight 32] [--runs 3] [--live] [--ceiling]
 * --live: time at a live subscriber instead of until the backlog is 0.
 * --ceiling: no protohub, a raw publisher with the same window straight into mosquitto (the upstream's limit),
 * timed until every PUBACK arrived (with --live: until the subscriber has all).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../src/cli/args.js';
import { UsageError } from '../src/errors.js';
import { freePort } from '../test/support/net.js';
import { startMosquitto, type MosquittoInstance } from '../test/support/mosquitto.js';
import { waitForArrivals } from '../src/bench/measure.js';
import type { TrafficWindow } from '../src/bench/measure.js';
import { startProtohub, type Broker } from './brokers.js';
import { ProcessWindow, cpuSeconds } from './proc.js';
import { RawClient } from './raw-client.js';
import type { Figures } from './scenarios.js';

export interface BridgeDrainOptions {
  /** Time until a subscriber connected during the drain has everything, instead of until the backlog is 0. */
  liveSubscriber?: boolean;
  store?: 'sqlite' | 'memory';
  /** Bridge max_inflight; undefined = the default (32). */
  inflight?: number;
  /** node flags for protohub, e.g. --cpu-prof. */
  nodeFlags?: string[];
  onHub?: (hub: Broker) => void;
  traffic?: TrafficWindow;
}

/** Messages per drain in `npm run bench` (full) and `--quick`; fewer than ~20k and JIT warm-up and the reconnect dominate. */
export const BRIDGE_MESSAGES = { full: 50_000, quick: 20_000 };

const UP_TOPIC = 'edge/edge1/#';

/** Kept-alive connection for the status polls: fetch() per poll cost the bench process ~20% CPU during a drain. */
const statusAgent = new Agent({ keepAlive: true, maxSockets: 1 });

function bridgeStatus(httpPort: number): Promise<{ state: string; backlog: number } | undefined> {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port: httpPort, path: '/api/v1/status', agent: statusAgent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        try {
          resolve(
            (JSON.parse(body) as { components: { bridges: Array<{ state: string; backlog: number }> } }).components
              .bridges[0],
          );
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
  });
}

/** Poll the bridge status every `everyMs` until `done` holds (a backlog count raises no event outside the process). */
async function pollStatus(
  httpPort: number,
  done: (s: { state: string; backlog: number }) => boolean,
  everyMs: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await bridgeStatus(httpPort);
    if (s && done(s)) return;
    if (Date.now() > deadline) throw new Error(`bridge status ${JSON.stringify(s)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Both drains of the file comment: `msg_per_s`, `missing`, `duplicates` from the drained-backlog timing (the
 * judged figures), `live_sub_*` from the live-subscriber one, and mosquitto's own ceiling at the same window
 * (`upstream_ceiling_msg_per_s`). Profiling runs only the drained timing (bridgeDrainOnce).
 */
export async function bridgeDrain(messages: number, o: BridgeDrainOptions = {}): Promise<Figures> {
  const drained = await bridgeDrainOnce(messages, { ...o, liveSubscriber: false });
  const live = await bridgeDrainOnce(messages, { ...o, liveSubscriber: true });
  const ceiling = await upstreamCeiling(messages, o.inflight ?? 32, false);
  return {
    ...drained,
    live_sub_msg_per_s: live.msg_per_s,
    live_sub_missing: live.missing,
    live_sub_duplicates: live.duplicates,
    live_sub_cpu_us_per_msg: live.cpu_us_per_msg,
    ...(ceiling ? { upstream_ceiling_msg_per_s: ceiling.msg_per_s } : {}),
  };
}

/** One drain of `messages` QoS 1 messages; see the file comment. */
export async function bridgeDrainOnce(messages: number, o: BridgeDrainOptions = {}): Promise<Figures> {
  const [upPort, httpPort] = [await freePort(), await freePort()];
  const mosqDir = mkdtempSync(join(tmpdir(), 'drain-mosq-'));
  const storeDir = mkdtempSync(join(tmpdir(), 'drain-store-'));
  const subId = `drain-sub-${process.pid}`;
  let mosq: MosquittoInstance | undefined;
  let hub: Broker | undefined;
  const sub = new RawClient(messages);
  try {
    // 1. the subscriber's persistent session, saved by mosquitto on exit
    mosq = await startMosquitto({
      port: upPort,
      dir: mosqDir,
      persistence: true,
      extraConfig: ['set_tcp_nodelay true'],
    });
    await sub.connect(upPort, subId, false);
    await sub.subscribe(UP_TOPIC);
    sub.close();
    await mosq.stop();
    mosq = undefined;

    // 2. protohub at its defaults (SQLite store, max_inflight 32) with the upstream down; fill the cache
    hub = await startProtohub({
      nodeFlags: o.nodeFlags,
      extraConfig: {
        node: { name: 'edge1' },
        store: { type: o.store ?? 'sqlite', dir: storeDir },
        http: { enable: true, bind: `127.0.0.1:${httpPort}` },
        bridges: {
          mqtt: {
            up: {
              servers: [`mqtt://127.0.0.1:${upPort}`],
              reconnect: { initial: '20ms', max: '20ms', jitter: 0 },
              forwards: [{ local: 'bench/#', remote: 'edge/edge1/{topic}', qos: 1 }],
              ...(o.inflight !== undefined ? { max_inflight: o.inflight } : {}),
            },
          },
        },
      },
    });
    o.onHub?.(hub);
    const pub = new RawClient(0);
    await pub.connect(hub.port, `drain-pub-${process.pid}`, true);
    // hub CPU while forwards are accepted into the cache (PUBACK each): the bridge's live path, upstream down
    const fillCpu0 = cpuSeconds(hub.pid);
    await pub.publish(messages, 1000);
    pub.close();
    await pollStatus(httpPort, (s) => s.backlog >= messages, 50, 120_000);
    const fillCpuS = cpuSeconds(hub.pid) - fillCpu0;

    // 3. upstream up: time until the backlog is 0 (then verify at the subscriber), or until a live subscriber has all
    const window = new ProcessWindow(hub.pid);
    const w0 = Date.now();
    o.traffic?.start();
    const t0 = Date.now();
    mosq = await startMosquitto({
      port: upPort,
      dir: mosqDir,
      persistence: true,
      extraConfig: ['set_tcp_nodelay true'],
    });
    const upstream = new ProcessWindow(mosq.process.pid!);
    const self0 = process.cpuUsage();
    let ms: number;
    if (o.liveSubscriber) {
      await sub.connect(upPort, subId, false);
      await waitForArrivals(() => sub.distinct, messages, 5000, 600_000);
      ms = (sub.lastAt || Date.now()) - t0;
    } else {
      await pollStatus(httpPort, (s) => s.state === 'connected' && s.backlog === 0, 5, 600_000);
      ms = Date.now() - t0;
    }
    const usage = window.end();
    const upUsage = upstream.end();
    const self = process.cpuUsage(self0);
    const cpuMs = (usage.cpuPercent / 100) * (Date.now() - w0);
    o.traffic?.end();
    if (!o.liveSubscriber) {
      await sub.connect(upPort, subId, false);
      await waitForArrivals(() => sub.distinct, messages, 5000, 600_000);
    }
    sub.close();
    return {
      msg_per_s: sub.distinct > 0 && ms > 0 ? (sub.distinct / ms) * 1000 : 0,
      drain_ms: ms,
      sent: messages,
      received: sub.received,
      missing: messages - sub.distinct,
      duplicates: sub.duplicates,
      // hub CPU time per message: less sensitive than the rate to what else the shared machine runs
      cpu_us_per_msg: (cpuMs * 1000) / messages,
      // the same while publishing into the cache before the drain (broker session → bridge cache → PUBACK)
      fill_cpu_us_per_msg: (fillCpuS * 1e6) / messages,
      cpu_percent: usage.cpuPercent,
      rss_mb: usage.rssKb / 1024,
      peak_rss_mb: usage.peakRssKb / 1024,
      // the other processes on the machine: mosquitto, and this one (the status poller, or the live subscriber)
      mosquitto_cpu_percent: upUsage.cpuPercent,
      bench_cpu_percent: ((self.user + self.system) / 1000 / (Date.now() - w0)) * 100,
    };
  } finally {
    await hub?.stop();
    await mosq?.stop();
    rmSync(mosqDir, { recursive: true, force: true });
    rmSync(storeDir, { recursive: true, force: true });
  }
}

/**
 * The same upstream path without protohub: a raw-socket publisher keeping `window` QoS 1 PUBLISHes in flight
 * straight to mosquitto, same persistent subscriber: what mosquitto + subscriber allow at that window here.
 */
export async function upstreamCeiling(messages: number, window: number, live: boolean): Promise<Figures> {
  const mosqDir = mkdtempSync(join(tmpdir(), 'drain-mosq-'));
  const mosq = await startMosquitto({ dir: mosqDir, extraConfig: ['set_tcp_nodelay true'] });
  try {
    const sub = new RawClient(messages);
    const subId = `ceil-sub-${process.pid}`;
    await sub.connect(mosq.port, subId, false);
    await sub.subscribe('bench/#');
    if (!live) sub.close(); // offline persistent session: mosquitto queues, as in the drained timing
    const pub = new RawClient(0);
    await pub.connect(mosq.port, `ceil-pub-${process.pid}`, true);
    const t0 = Date.now();
    await pub.publish(messages, window);
    let ms = Date.now() - t0;
    if (!live) await sub.connect(mosq.port, subId, false);
    await waitForArrivals(() => sub.distinct, messages, 5000, 600_000);
    if (live) ms = sub.lastAt - t0;
    pub.close();
    sub.close();
    return { msg_per_s: (messages / ms) * 1000, missing: messages - sub.distinct, duplicates: sub.duplicates };
  } finally {
    await mosq.stop();
    rmSync(mosqDir, { recursive: true, force: true });
  }
}

async function cli(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      store: { kind: 'string', choices: ['sqlite', 'memory'] },
      inflight: { kind: 'number', min: 1, max: 65535 },
      runs: { kind: 'number', min: 1, max: 100 },
      ceiling: { kind: 'boolean' },
      live: { kind: 'boolean' },
    },
    { positionals: true },
  );
  if (positionals.length > 1 || (positionals.length === 1 && !/^\d+$/.test(positionals[0])))
    throw new UsageError('PH_CLI_USAGE', `expected one message count, got ${positionals.join(' ')}`);
  const messages = positionals.length === 1 ? Number(positionals[0]) : 50_000;
  const runs = values.runs ?? 3;
  const ceiling = values.ceiling ?? false;
  const o: BridgeDrainOptions = {
    store: values.store as BridgeDrainOptions['store'],
    inflight: values.inflight,
    liveSubscriber: values.live,
  };
  console.log(
    `bridge drain to mosquitto: ${messages} QoS 1 messages, ${o.store ?? 'sqlite'} store, max_inflight ${o.inflight ?? '32 (default)'}${o.liveSubscriber ? ', timed at a live subscriber' : ', timed until the backlog is 0'}`,
  );
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const f = ceiling
      ? await upstreamCeiling(messages, o.inflight ?? 32, o.liveSubscriber ?? false)
      : await bridgeDrainOnce(messages, o);
    rates.push(f.msg_per_s);
    console.log(
      Object.entries(f)
        .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`)
        .join(' '),
    );
  }
  rates.sort((a, b) => a - b);
  console.log(`median msg/s: ${Math.round(rates[Math.floor(rates.length / 2)])}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(
          `${err.message}\nusage: tsx bench/bridge-drain.ts [--store sqlite|memory] [--inflight N] [--runs N] [--ceiling] [--live] [MESSAGES]`,
        );
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}
