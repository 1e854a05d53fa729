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
    try {
      figures = await scenario.run({ name: 'protohub', port: broker.port, pid: broker.pid, dropped: () => broker.dropped() }, sizes);
    } finally {
      await broker.stop();
    }
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`no profile written at ${file}`);
    const summary = formatSummary(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 25, REPO));
    const md = `# protohub CPU profile: ${scenario.title}\n\nfigures: ${JSON.stringify(figures)}\n\n${summary}\n`;
    writeFileSync(join(REPO, `bench/results/profile-${id}.md`), md);
    console.log(md);
  }
}
