/**
 * `npm run bench [-- --quick] [-- --only fanin-q0,latency] [-- --runs N] [-- --no-build] [-- --profile fanin-q0,fanout]`
 *
 * protohub and mosquitto side by side on free loopback ports, same generator, A/B alternating per scenario,
 * median of N runs (3; --quick: 1 run, smaller sizes). Writes bench/results/latest.{json,md}. With --profile,
 * instead runs the named scenarios once against protohub under --cpu-prof and prints the top self-time frames.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { DiscardWorker } from '../src/bench/pool.js';
import { startMosquitto, startProtohub, mosquittoVersion, REPO, type Broker } from './brokers.js';
import { FULL, QUICK, SCENARIOS, subFloodCeiling, type Figures, type Target } from './scenarios.js';
import { markdownTable, medians } from './report.js';
import { rssKb } from './proc.js';
import { profileScenarios } from './profile.js';
import { hasNngToolchain, hasPyzmq, nngToMqtt, zeromqToMqtt } from './gateway-scenarios.js';

interface Options { quick: boolean; runs: number; only: string[] | null; build: boolean; profile: string[] | null }

function parse(argv: string[]): Options {
  const o: Options = { quick: false, runs: 3, only: null, build: true, profile: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--no-build') o.build = false;
    else if (a === '--profile') o.profile = argv[++i].split(',');
    else throw new Error(`unknown option ${a}`);
  }
  if (o.quick && !argv.includes('--runs')) o.runs = 1;
  return o;
}

const TODO = ['bridge backlog drain to mosquitto upstream (target ≥ 20k msg/s; bench/bridge-drain.ts is another engineer\'s)'];

/** Gateway scenarios (protohub only): id → availability of the native peer, and the run. */
const GATEWAYS: Array<{ id: string; available: () => boolean; run: (n: number) => Promise<Figures> }> = [
  { id: 'zeromq', available: hasPyzmq, run: zeromqToMqtt },
  { id: 'nng', available: hasNngToolchain, run: nngToMqtt },
];

function targetOf(b: Broker): Target {
  return { name: b.name, port: b.port, pid: b.pid, dropped: () => b.dropped() };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const sizes = o.quick ? QUICK : FULL;
  if (o.build) {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' });
    } catch {
      // tsc still emits on type errors (noEmitOnError is off); a half-finished file elsewhere must not stop the run
      if (!existsSync(join(REPO, 'dist/src/cli/main.js'))) throw new Error('build failed and there is no dist/ to run');
      console.log('warning: build reported type errors (see above); benchmarking the emitted dist/ anyway');
    }
  }
  if (o.profile) return profileScenarios(o.profile, sizes);
  const mosq = mosquittoVersion();
  if (!mosq) console.log('mosquitto not on PATH: its column is skipped (apt-get install -y mosquitto)');
  const scenarios = SCENARIOS.filter((s) => !o.only || o.only.includes(s.id));
  const runs: Record<string, Record<string, Figures[]>> = {};
  const record = (id: string, target: string, f: Figures): void => {
    ((runs[id] ??= {})[target] ??= []).push(f);
    console.log(`  ${id.padEnd(9)} ${target.padEnd(9)} ${Object.entries(f).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`).join(' ')}`);
  };
  const started = new Date();
  const loadStart = loadavg();
  for (let r = 0; r < o.runs; r++) {
    console.log(`run ${r + 1}/${o.runs}`);
    const relay = await DiscardWorker.start({ host: '127.0.0.1', port: 0, flood: false, payloadSize: 16 });
    const ceiling: Target = { name: 'ceiling', port: relay.port, pid: null, dropped: async () => null };
    for (const s of scenarios.filter((x) => x.ceiling)) record(s.id, 'ceiling', await s.run(ceiling, sizes));
    // which worker kind carries more: the same fan-in with worker_threads instead of forked processes
    const fanin = scenarios.find((x) => x.id === 'fanin-q0');
    if (fanin) record('fanin-q0', 'ceiling-threads', await fanin.run({ ...ceiling, workerKind: 'thread' }, sizes));
    await relay.stop();
    const flood = await DiscardWorker.start({ host: '127.0.0.1', port: 0, flood: true, payloadSize: 16 });
    record('sub-flood', 'ceiling', await subFloodCeiling(flood.port, o.quick ? 1 : 2));
    record('sub-flood', 'ceiling-threads', await subFloodCeiling(flood.port, o.quick ? 1 : 2, 'thread'));
    await flood.stop();

    // alternate which broker starts (and runs each scenario) first, so drift in machine load hits both alike
    const starters = [startProtohub, ...(mosq ? [startMosquitto] : [])];
    if (r % 2 === 1) starters.reverse();
    const brokers: Broker[] = [];
    try {
      for (const start of starters) {
        const b = await start();
        brokers.push(b);
        await new Promise((res) => setTimeout(res, 500)); // idle RSS after start-up work settled
        record('startup', b.name, { ready_ms: b.readyMs, idle_rss_mb: rssKb(b.pid) / 1024 });
      }
      for (const s of scenarios) {
        for (const b of brokers) record(s.id, b.name, await s.run(targetOf(b), sizes));
      }
    } finally {
      await Promise.all(brokers.map((b) => b.stop()));
    }
    for (const g of GATEWAYS.filter((x) => !o.only || o.only.includes(x.id))) {
      if (g.available()) record(g.id, 'protohub', await g.run(sizes.gatewayMessages));
      else console.log(`  ${g.id}: skipped, native peer missing`);
    }
  }
  const loadEnd = loadavg();
  const med = Object.fromEntries(Object.entries(runs).map(([id, byTarget]) => [id, Object.fromEntries(Object.entries(byTarget).map(([t, f]) => [t, medians(f)]))]));
  const table = markdownTable({ medians: med, runsPerTarget: o.runs, todo: TODO });
  const command = `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gb: +(totalmem() / 2 ** 30).toFixed(1), kernel: release(),
    node: process.version, mosquitto: mosq ?? 'not installed',
    loadavg_start: loadStart.map((x) => +x.toFixed(2)), loadavg_end: loadEnd.map((x) => +x.toFixed(2)),
  };
  const sizesNote = `sizes: ${JSON.stringify(sizes)}; 16-byte payloads, MQTT 3.1.1, one generator (protohub bench workers) for every target`;
  const md = [
    '# protohub vs mosquitto — latest benchmark run', '',
    `Command: \`${command}\`  `,
    `Date: ${started.toISOString()} → ${new Date().toISOString()}  `,
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gb} GB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.mosquitto}  `,
    `Load average (1/5/15 min) at start ${machine.loadavg_start.join(' / ')}, at end ${machine.loadavg_end.join(' / ')} — the machine is shared with other test runs.  `,
    `${sizesNote}.`, '',
    table, '',
    'How each figure is measured: docs/performance.md.', '',
  ].join('\n');
  const dir = join(REPO, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ command, started: started.toISOString(), machine, sizes, runs, medians: med, todo: TODO }, null, 2) + '\n');
  writeFileSync(join(dir, 'latest.md'), md);
  console.log('\n' + md);
}

main().then(
  () => process.exit(0), // workers and sockets are closed; exit even if a stray handle remains
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
