/**
 * DDS → MQTT throughput: a Cyclone DDS C writer (test/support/dds-peer.c, `shape-bench`: ShapeType samples of 4
 * keys, reliable KEEP_ALL, as fast as Cyclone takes them) → protohub's DDS gateway (RTI Connector, loopback
 * profile) → a bench MQTT subscriber on dds/#. Reliable DDS pushes back on the writer, so whatever is missing
 * was lost inside protohub. Target (issue 13): ≥ 30,000 samples/s, none lost.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForArrivals } from '../src/bench/measure.js';
import { REPO, startProtohub } from './brokers.js';
import { benchSubscriber, deliveryFigures } from './gateway-scenarios.js';
import { ProcessWindow } from './proc.js';
import type { Figures } from './scenarios.js';

export const hasDdsToolchain = (): boolean => {
  try {
    execFileSync('sh', ['-c', 'command -v cc && command -v idlc && test -e /usr/include/dds/dds.h'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
};

let built: string | undefined;
function buildPeer(): string {
  if (built && existsSync(built)) return built;
  const dir = mkdtempSync(join(tmpdir(), 'dds-bench-'));
  for (const f of ['dds-peer.c', 'dds-peer-types.idl']) copyFileSync(join(REPO, 'test/support', f), join(dir, f));
  execFileSync('idlc', ['-Wno-implicit-extensibility', 'dds-peer-types.idl'], { cwd: dir, stdio: 'inherit' });
  execFileSync('cc', ['-O2', '-I.', '-o', 'dds-peer', 'dds-peer.c', 'dds-peer-types.c', '-lddsc'], { cwd: dir });
  built = join(dir, 'dds-peer');
  return built;
}

export async function ddsToMqtt(samples: number): Promise<Figures> {
  const peer = buildPeer();
  const dir = mkdtempSync(join(tmpdir(), 'dds-bench-'));
  const mapping = join(dir, 'mapping.conf');
  writeFileSync(mapping, 'uplink = [ { name = "all", address = "{topic}/{color}", topic = "dds/{topic}/{color}" } ]\n');
  // 10, 20 … 100: RTPS ports below the ephemeral range, and never a DDS test file's domain (test/component/dds-peer-helper.ts)
  const domain = 10 * (1 + Math.floor(Math.random() * 10));
  const hub = await startProtohub({
    extraConfig: {
      gateways: {
        dds: {
          bench: {
            mapping,
            domain_id: domain,
            types: { idl: [join(REPO, 'test/support/dds-peer-types.idl')] },
            topics: { BenchSquare: { type: 'ShapeType', reliability: 'reliable', mqtt_qos: 0 } },
            sample_info: false,
            dispose: 'none',
          },
        },
      },
    },
  });
  try {
    const sub = await benchSubscriber(hub.port, 'dds/#', 0, 'dds-sub');
    const window = new ProcessWindow(hub.pid);
    const dropped0 = await hub.dropped();
    const uri = `file://${join(REPO, 'config/examples/cyclonedds-loopback.xml')}`;
    let err = '';
    const writer = spawn(peer, [String(domain), 'shape-bench', 'BenchSquare', String(samples)], {
      env: { ...process.env, CYCLONEDDS_URI: uri },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    writer.stderr?.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => writer.once('exit', r));
    await waitForArrivals(() => sub.current().received, samples, 10_000, 300_000);
    const usage = window.end();
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    if (code === null) writer.kill('SIGKILL');
    const s = await sub.stop();
    const dropped1 = await hub.dropped();
    if (code !== 0 && code !== null) throw new Error(`dds writer exited with ${code}: ${err}`);
    return deliveryFigures(s, samples, (dropped1 ?? 0) - (dropped0 ?? 0), usage, 1);
  } finally {
    await hub.stop();
  }
}
