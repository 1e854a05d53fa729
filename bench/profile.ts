/**
 * `npm run bench -- --profile fanin-q0,fanout`: each named scenario once against a protohub started under
 * `node --cpu-prof`; the profile is written when protohub exits on SIGTERM, then summarised into
 * bench/results/profile-<scenario>.md (the .cpuprofile stays in bench/results/profiles/, not committed).
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startProtohub, REPO, type Broker } from './brokers.js';
import { nngToMqtt, zeromqToMqtt, type GatewayRunOptions } from './gateway-scenarios.js';
import { SCENARIOS, type Sizes } from './scenarios.js';
import { bridgeDrainOnce, BRIDGE_MESSAGES } from './bridge-drain.js';
import { formatSummary, summarize, type CpuProfile } from './profile-summary.js';

type Run = (sizes: Sizes, quick: boolean, run: GatewayRunOptions) => Promise<Record<string, number>>;
/** protohub-only scenarios that start their own hub (with a gateway or a bridge configured). */
const GATEWAY_RUNS: Record<string, Run> = {
  zeromq: (s, _q, run) => zeromqToMqtt(s.gatewayMessages, run),
  nng: (s, _q, run) => nngToMqtt(s.gatewayMessages, run),
  bridge: (_s, q, run) => bridgeDrainOnce(q ? BRIDGE_MESSAGES.quick : BRIDGE_MESSAGES.full, run),
};
const TITLES: Record<string, string> = { bridge: 'bridge backlog drain to a mosquitto upstream' };

export async function profileScenarios(ids: string[], sizes: Sizes, quick = false): Promise<void> {
  const dir = join(REPO, 'bench/results/profiles');
  mkdirSync(dir, { recursive: true });
  for (const id of ids) {
    const scenario = SCENARIOS.find((s) => s.id === id);
    const gateway = GATEWAY_RUNS[id];
    if (!scenario && !gateway)
      throw new Error(
        `unknown scenario ${id}; known: ${[...SCENARIOS.map((s) => s.id), ...Object.keys(GATEWAY_RUNS)].join(', ')}`,
      );
    const name = `protohub-${id}.cpuprofile`;
    const nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
    let figures;
    // profile time 0 is roughly process start; the traffic window is kept apart from start-up by wall clock
    let broker: Broker | null = null;
    let trafficFrom = 0;
    let trafficTo = Infinity;
    const traffic = {
      start: () => {
        trafficFrom = Date.now() - broker!.spawnedAt;
      },
      end: () => {
        trafficTo = Date.now() - broker!.spawnedAt;
      },
    };
    if (scenario) {
      const b = await startProtohub({ nodeFlags });
      broker = b;
      try {
        figures = await scenario.run(
          { name: 'protohub', port: b.port, pid: b.pid, dropped: () => b.dropped(), traffic },
          sizes,
        );
      } finally {
        await b.stop();
      }
    } else {
      // the gateway run starts and stops its own hub (with the gateway configured)
      figures = await gateway(sizes, quick, {
        nodeFlags,
        onHub: (b) => {
          broker = b;
        },
        traffic,
      });
    }
    if (!broker) throw new Error('no broker started');
    const hub: Broker = broker;
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`no profile written at ${file}`);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const during = formatSummary(summarize(profile, 25, REPO, trafficFrom, trafficTo));
    const startup = formatSummary(summarize(profile, 15, REPO, 0, hub.readyMs));
    const md = [
      `# protohub CPU profile: ${scenario?.title ?? TITLES[id] ?? `${id} → MQTT gateway`}`,
      '',
      `Command: \`npm run bench -- --profile ${id}\` (node --cpu-prof; ${new Date().toISOString()})  `,
      `Figures under the profiler (slower than unprofiled): ${JSON.stringify(figures)}`,
      '',
      `## Top 25 self-time frames during the traffic (${trafficFrom}–${trafficTo} ms after spawn)`,
      '',
      during,
      '',
      `## Top 15 self-time frames from spawn to accepting connections (${hub.readyMs.toFixed(0)} ms)`,
      '',
      startup,
      '',
    ].join('\n');
    writeFileSync(join(REPO, `bench/results/profile-${id}.md`), md);
    console.log(md);
  }
}
