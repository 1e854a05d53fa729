/**
 * A/B latency of protohub builds against mosquitto with the libmosquitto probe (issue 14), for judging a change
 * on a shared machine: every broker is started once, then each round runs the probe against each of them in
 * turn (order rotating per round), so load drift hits all alike. Prints per-round figures, medians, and the
 * broker's CPU time per message over the probe (µs/msg: a figure the machine's load does not inflate much).
 *
 *   npm run build && npx tsx bench/latency-ab.ts [--rounds 6] [--seconds 4] [--rate 5000] [--b /old/bin/protohub.js]
 *
 * `--b` adds a second protohub build (e.g. an older commit in a `git worktree`, built with `npx tsc -p
 * tsconfig.build.json`); `--defaults` runs protohub at its shipped defaults instead of the bench settings;
 * `--trace DIR` writes every sample (send time, latency in ns) to DIR/<target>-<round>.txt.
 */
import { parseArgs } from 'node:util';
import { startMosquitto, startProtohub, type Broker } from './brokers.js';
import { cpuSeconds } from './proc.js';
import { median } from './report.js';
import { hasMosqProbeToolchain, mosqLatency, MOSQ_PROBE_HINT } from './mosq-latency.js';

const { values: v } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '4' },
    rate: { type: 'string', default: '5000' },
    b: { type: 'string' },
    defaults: { type: 'boolean', default: false },
    trace: { type: 'string' },
  },
});
if (!hasMosqProbeToolchain()) {
  console.log(`latency-ab: ${MOSQ_PROBE_HINT}`);
  process.exit(0);
}
const [rounds, seconds, rate] = [Number(v.rounds), Number(v.seconds), Number(v.rate)];

const targets: Array<{ label: string; broker: Broker }> = [];
targets.push({ label: 'mosquitto', broker: await startMosquitto() });
targets.push({ label: 'protohub', broker: await startProtohub({ defaults: v.defaults }) });
if (v.b) targets.push({ label: 'protohub-B', broker: await startProtohub({ defaults: v.defaults, bin: v.b }) });

const rows: Record<string, Array<Record<string, number>>> = {};
try {
  for (const t of targets) await mosqLatency(t.broker.port, rate, 1, 0.2); // JIT warm-up, not counted
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      const cpu0 = cpuSeconds(t.broker.pid);
      const trace = v.trace ? `${v.trace}/${t.label}-${r + 1}.txt` : undefined;
      const f = await mosqLatency(t.broker.port, rate, seconds, 0.5, trace);
      const cpu = cpuSeconds(t.broker.pid) - cpu0;
      f.cpu_us_per_msg = (cpu * 1e6) / Math.max(1, f.received);
      (rows[t.label] ??= []).push(f);
      console.log(
        `round ${r + 1} ${t.label.padEnd(11)} p50 ${f.p50_us.toFixed(0).padStart(5)}  p90 ${f.p90_us.toFixed(0).padStart(5)}` +
          `  p99 ${f.p99_us.toFixed(0).padStart(6)}  p99.9 ${f.p999_us.toFixed(0).padStart(6)}  max ${f.max_us.toFixed(0).padStart(6)}` +
          `  cpu ${f.cpu_us_per_msg.toFixed(1)} µs/msg  late sends ${f.late_sends}`,
      );
    }
  }
} finally {
  await Promise.all(targets.map((t) => t.broker.stop()));
}
console.log('\nmedians over rounds (µs):');
const mosq = rows.mosquitto;
for (const [label, list] of Object.entries(rows)) {
  const m = (k: string): number => median(list.map((x) => x[k]));
  const ratio =
    label === 'mosquitto' ? '' : `  p99 ratio ${(m('p99_us') / median(mosq.map((x) => x.p99_us))).toFixed(2)}×`;
  console.log(
    `${label.padEnd(11)} p50 ${m('p50_us').toFixed(0)}  p90 ${m('p90_us').toFixed(0)}  p99 ${m('p99_us').toFixed(0)}` +
      `  p99.9 ${m('p999_us').toFixed(0)}  max ${m('max_us').toFixed(0)}  cpu ${m('cpu_us_per_msg').toFixed(1)} µs/msg${ratio}`,
  );
}
// per-round p99 ratios: each round's protohub against the same round's mosquitto
for (const label of Object.keys(rows).filter((l) => l !== 'mosquitto')) {
  const ratios = rows[label].map((x, i) => x.p99_us / mosq[i].p99_us);
  console.log(`${label} per-round p99 / mosquitto: ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
}
process.exit(0);
