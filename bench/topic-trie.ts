/**
 * Micro-benchmark of SubscriptionTrie.match: `npx tsx bench/topic-trie.ts [seconds-per-case]`.
 * 100k subscriptions per workload; prints match() calls and subscriptions visited per CPU second (process CPU
 * time, so a loaded machine slows the run but skews the figure less), with the match cache on
 * (hot set of 5k topics, as a broker sees from steady device traffic) and off (every match walks the trie).
 * "wire" rows decode each topic from a Buffer first, as topics arrive from the network: fresh strings whose hash
 * V8 has not cached yet; "interned" rows reuse the same string objects.
 */
import { SubscriptionTrie } from '../src/broker/topic/trie.js';

const SUBSCRIPTIONS = 100_000;
const HOT_TOPICS = 5_000;
const secondsPerCase = Number(process.argv[2] ?? 0.5);

interface Workload {
  name: string;
  filters: (i: number) => string;
  topic: (i: number) => string;
}

const workloads: Workload[] = [
  { name: 'exact', filters: (i) => `site/${i % 100}/dev/${i}/cmd`, topic: (i) => `site/${i % 100}/dev/${i}/cmd` },
  {
    name: '+ heavy',
    // Every topic is matched by one "site/+/dev/{d}/+" and by one of 100 "+/{s}/+/…" style filters.
    filters: (i) => (i % 1000 === 0 ? `+/${(i / 1000) % 100}/+/+/temp` : `site/+/dev/${i}/+`),
    topic: (i) => `site/${i % 100}/dev/${i}/temp`,
  },
  {
    name: '# heavy',
    filters: (i) => (i % 1000 === 0 ? `site/${(i / 1000) % 100}/#` : `site/${i % 100}/dev/${i}/#`),
    topic: (i) => `site/${i % 100}/dev/${i}/sensor/temp/raw`,
  },
];

function build(w: Workload, cacheTopics: number): SubscriptionTrie<number> {
  const trie = new SubscriptionTrie<number>({ cacheTopics });
  for (let i = 0; i < SUBSCRIPTIONS; i++) trie.insert(w.filters(i), `client-${i}`, i);
  return trie;
}

function run(
  trie: SubscriptionTrie<number>,
  topics: string[],
  wire: Buffer[] | undefined,
): { perSec: number; visitsPerSec: number } {
  let visits = 0;
  const visit = (): void => {
    visits++;
  };
  const deadline = process.hrtime.bigint() + BigInt(Math.round(secondsPerCase * 1e9));
  let calls = 0;
  // CPU time, not wall time: on a shared 2-core box other processes would otherwise set the figure.
  const cpuStart = process.cpuUsage();
  let now = process.hrtime.bigint();
  while (now < deadline) {
    // Check the clock every 4096 calls so timing does not dominate the loop.
    for (let j = 0; j < 4096; j++, calls++) {
      const idx = calls % topics.length;
      trie.match(wire === undefined ? topics[idx] : wire[idx].toString('utf8'), visit);
    }
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  const seconds = (cpu.user + cpu.system) / 1e6;
  return { perSec: calls / seconds, visitsPerSec: visits / seconds };
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;
}

/** Baseline for the "wire" rows: decoding the topic alone, which a broker pays whatever its matcher. */
function decodeOnly(wire: Buffer[]): number {
  let chars = 0;
  const cpuStart = process.cpuUsage();
  const deadline = process.hrtime.bigint() + BigInt(Math.round(secondsPerCase * 1e9));
  let calls = 0;
  while (process.hrtime.bigint() < deadline)
    for (let j = 0; j < 4096; j++, calls++) chars += wire[calls % wire.length].toString('utf8').length;
  const cpu = process.cpuUsage(cpuStart);
  if (chars === 0) throw new Error('unreachable: keeps the decode from being optimised away');
  return calls / ((cpu.user + cpu.system) / 1e6);
}

console.log(
  `SubscriptionTrie, ${SUBSCRIPTIONS} subscriptions per workload, ${secondsPerCase}s per case, node ${process.version}`,
);
console.log('workload   cache  strings    matches/s   visits/s   (per CPU second)');
for (const w of workloads) {
  // A pseudo-random but fixed hot set of topics spread over the whole subscription space.
  const topics = Array.from({ length: HOT_TOPICS }, (_, k) => w.topic((k * 7919) % SUBSCRIPTIONS));
  const wire = topics.map((t) => Buffer.from(t, 'utf8'));
  for (const cacheTopics of [10_000, 0]) {
    const trie = build(w, cacheTopics);
    run(trie, topics, undefined); // warm-up: JIT and cache fill
    for (const mode of ['interned', 'wire'] as const) {
      const r = run(trie, topics, mode === 'wire' ? wire : undefined);
      console.log(
        `${w.name.padEnd(10)} ${(cacheTopics > 0 ? 'on' : 'off').padEnd(6)} ${mode.padEnd(9)} ${fmt(r.perSec).padStart(10)} ${fmt(r.visitsPerSec).padStart(10)}`,
      );
    }
  }
  console.log(`${w.name.padEnd(10)} -      decode only ${fmt(decodeOnly(wire)).padStart(8)}`);
}
