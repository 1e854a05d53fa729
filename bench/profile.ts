/**
 * `npm run bench -- --profile fanin-q0,fanout`: each named scenario once against a protohub started under
 * `node --cpu-prof`; the profile is written when protohub exits on SIGTERM, then summarised into
 * bench/results/profile-<scenario>.md (the .cpuprofile stays in bench/results/profiles/, not committed).
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startProtohub, REPO } from './brokers.js';
import { SCENARIOS, type Sizes } from './scenarios.js';
import { formatSummary, summarize, type CpuProfile } from './profile-summary.js';

export async function profileScenarios(ids: string[], sizes: Sizes): Promise<void> {
  const dir = join(REPO, 'bench/results/profiles');
  mkdirSync(dir, { recursive: true });
  for (const id of ids) {
    const scenario = SCENARIOS.find((s) => s.id === id);
    if (!scenario) throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
    const name = `protohub-${id}.cpuprofile`;
    const broker = await startProtohub({ nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`] });
    let figures;
    // profile time 0 is roughly process start; the traffic window is kept apart from start-up by wall clock
    let trafficFrom = 0;
    let trafficTo = Infinity;
    const traffic = { start: () => { trafficFrom = Date.now() - broker.spawnedAt; }, end: () => { trafficTo = Date.now() - broker.spawnedAt; } };
    try {
      figures = await scenario.run({ name: 'protohub', port: broker.port, pid: broker.pid, dropped: () => broker.dropped(), traffic }, sizes);
    } finally {
      await broker.stop();
    }
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`no profile written at ${file}`);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const during = formatSummary(summarize(profile, 25, REPO, trafficFrom, trafficTo));
    const startup = formatSummary(summarize(profile, 15, REPO, 0, broker.readyMs));
    const md = [
      `# protohub CPU profile: ${scenario.title}`, '',
      `Command: \`npm run bench -- --profile ${id}\` (node --cpu-prof; ${new Date().toISOString()})  `,
      `Figures under the profiler (slower than unprofiled): ${JSON.stringify(figures)}`, '',
      `## Top 25 self-time frames during the traffic (${trafficFrom}–${trafficTo} ms after spawn)`, '', during, '',
      `## Top 15 self-time frames from spawn to accepting connections (${broker.readyMs.toFixed(0)} ms)`, '', startup, '',
    ].join('\n');
    writeFileSync(join(REPO, `bench/results/profile-${id}.md`), md);
    console.log(md);
  }
}
