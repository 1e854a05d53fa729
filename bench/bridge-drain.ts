/**
 * Drain rate of the bridge cache to a real mosquitto: N QoS 1 messages cached while the upstream is down,
 * then timed from CONNACK until the upstream acknowledged the last one, for several in-flight windows.
 * Run: npx tsx bench/bridge-drain.ts [messages] [store: memory|sqlite]
 */
import { Hub, hubConfig } from '../src/hub.js';
import type { HubConfigInput } from '../src/config/schema.js';
import { freePort } from '../test/support/net.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { removeTempDirs, tempDir } from '../test/support/tmp.js';
import { bridgeInput, publishMany } from '../test/e2e/bridge-harness.js';

const N = Number(process.argv[2] ?? 10_000);
const storeType = (process.argv[3] ?? 'sqlite') as 'memory' | 'sqlite';

type Status = { state: string; backlog: number };

async function drain(window: number): Promise<number> {
  const port = await freePort();
  const input = {
    ...bridgeInput([`mqtt://127.0.0.1:${port}`], { max_inflight: window, reconnect: { initial: '20ms', max: '20ms', jitter: 0 } }),
    listeners: { tcp: { default: { bind: '127.0.0.1:0' } } },
    http: { enable: false },
    store: { type: storeType, dir: tempDir('bench-store-') },
  } as HubConfigInput;
  const hub = new Hub(hubConfig(input));
  await hub.start();
  const status = () => (hub.status().components as { bridges: Status[] }).bridges[0];
  await publishMany(`mqtt://127.0.0.1:${hub.address('tcp').port}`, 0, N);
  while (status().backlog < N) await new Promise((r) => setTimeout(r, 5)); // bench: polling is fine here
  const mosq = await startMosquitto({ port });
  // poll every 2 ms: status() runs a query, so polling in a tight loop would slow the drain it measures
  const tick = () => new Promise((r) => setTimeout(r, 2));
  while (status().state !== 'connected') await tick();
  const t0 = process.hrtime.bigint();
  while (status().backlog > 0) await tick();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await hub.stop();
  await mosq.stop();
  return ms;
}

console.log(`bridge drain to mosquitto, ${N} QoS 1 messages, ${storeType} cache`);
console.log('max_inflight | drain ms | msg/s');
for (const window of [1, 8, 32, 128]) {
  const ms = await drain(window);
  console.log(`${String(window).padStart(12)} | ${ms.toFixed(0).padStart(8)} | ${Math.round(N / (ms / 1000))}`);
}
removeTempDirs();
