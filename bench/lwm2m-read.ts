/**
 * `lwm2m` scenario of `npm run bench` (issue #12), alone: `npm run build && npx tsx bench/lwm2m-read.ts
 * [--clients 1000] [--reads 20000] [--window 100]`.
 *
 * A protohub process with one LwM2M instance; N endpoints (a child process, bench/lwm2m-devices.ts) register over
 * loopback UDP; then an MQTT application sends `read` commands on lwm2m/{ep}/dn round-robin with at most `window`
 * outstanding and times each until its result arrives on lwm2m/{ep}/up/resp. Figures: responses/s, p50/p99
 * round trip, the hub's CPU% and CPU time per 1,000 responses (the figure to compare builds by on a shared box),
 * failures (a code other than 2.05, or no answer before a 10 s stall).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freeUdpPort } from '../test/support/net.js';
import { REPO, startProtohub } from './brokers.js';
import { cpuSeconds, ProcessWindow } from './proc.js';
import type { Figures } from './scenarios.js';

export const LWM2M_READ = {
  quick: { clients: 1000, reads: 3000, window: 100 },
  full: { clients: 1000, reads: 20_000, window: 100 },
};

const STALL_MS = 10_000;

export async function lwm2mRead(o: { clients: number; reads: number; window: number }): Promise<Figures> {
  const udp = await freeUdpPort();
  const hub = await startProtohub({
    extraConfig: { gateways: { lwm2m: { bench: { bind: `127.0.0.1:${udp}`, max_datagram_size: 1500 } } } },
  });
  const farm = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'bench/lwm2m-devices.ts'), String(o.clients), String(udp)],
    { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  try {
    const registerMs = await new Promise<number>((resolve, reject) => {
      farm.once('message', (m) => resolve((m as { registerMs: number }).registerMs));
      farm.once('exit', (code) => reject(new Error(`LwM2M devices exited with ${code} before registering`)));
    });
    const app = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { protocolVersion: 5, clientId: 'bench-app' });
    await app.subscribeAsync('lwm2m/+/up/resp', { qos: 0 });
    const sentAt = new Map<number, bigint>();
    const rtts: number[] = [];
    let next = 0;
    let failed = 0;
    const window = new ProcessWindow(hub.pid);
    const cpu0 = cpuSeconds(hub.pid);
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      let stall = setTimeout(resolve, STALL_MS);
      const send = (): void => {
        while (next < o.reads && sentAt.size < o.window) {
          const id = next++;
          sentAt.set(id, process.hrtime.bigint());
          const cmd = { reqID: id, msgType: 'read', data: { path: '/3303/0/5700' } };
          app.publish(`lwm2m/b${id % o.clients}/dn`, JSON.stringify(cmd));
        }
      };
      app.on('message', (_topic, payload) => {
        const doc = JSON.parse(payload.toString()) as { reqID: number; data: { code: string } };
        const at = sentAt.get(doc.reqID);
        if (at === undefined) return;
        sentAt.delete(doc.reqID);
        if (doc.data.code !== '2.05') failed++;
        rtts.push(Number(process.hrtime.bigint() - at) / 1e6);
        clearTimeout(stall);
        stall = setTimeout(resolve, STALL_MS);
        if (rtts.length === o.reads) {
          clearTimeout(stall);
          resolve();
        } else send();
      });
      send();
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9 - (rtts.length < o.reads ? STALL_MS / 1000 : 0);
    const hubCpu = cpuSeconds(hub.pid) - cpu0;
    const usage = window.end();
    await app.endAsync();
    rtts.sort((a, b) => a - b);
    const pct = (p: number): number => rtts[Math.min(rtts.length - 1, Math.floor((p / 100) * rtts.length))] ?? NaN;
    return {
      clients: o.clients,
      register_ms: registerMs,
      responses_per_s: rtts.length / seconds,
      p50_ms: pct(50),
      p99_ms: pct(99),
      failed: failed + (o.reads - rtts.length),
      cpu_percent: usage.cpuPercent,
      hub_cpu_ms_per_1k: rtts.length > 0 ? (hubCpu * 1e6) / rtts.length : NaN,
      rss_mb: usage.rssKb / 1024,
      peak_rss_mb: usage.peakRssKb / 1024,
    };
  } finally {
    farm.kill('SIGKILL');
    await hub.stop();
  }
}

if (process.argv[1]?.endsWith('lwm2m-read.ts')) {
  const arg = (name: string, dflt: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const f = LWM2M_READ.full;
  const figures = await lwm2mRead({
    clients: arg('clients', f.clients),
    reads: arg('reads', f.reads),
    window: arg('window', f.window),
  });
  console.log(JSON.stringify(figures));
  process.exit(0);
}
