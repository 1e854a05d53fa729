/**
 * `npx tsx bench/lwm2m-read.ts [--clients 1000] [--reads 5000] [--window 100]`
 *
 * LwM2M scenario of issue #12: N endpoints register over loopback UDP, then an MQTT application sends `read`
 * commands on lwm2m/{ep}/dn round-robin with at most `window` outstanding, and times each until its result arrives
 * on lwm2m/{ep}/up/resp. Prints responses/s and the p50/p99 round trip. Everything runs in this one process (hub,
 * devices, application), so the figure is a floor for a dedicated machine.
 */
import mqtt from 'mqtt';
import { Hub, hubConfig } from '../src/hub.js';
import { silentLogger } from '../src/logger.js';
import { Lwm2mTestClient } from '../test/support/lwm2m-client.js';
import { freeUdpPort } from '../test/support/net.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const clients = arg('clients', 1000);
const reads = arg('reads', 5000);
const window = arg('window', 100);

const udp = await freeUdpPort();
const hub = new Hub(
  hubConfig({
    listeners: { tcp: { default: { bind: '127.0.0.1:0' } } },
    store: { type: 'memory' },
    http: { enable: false, bind: '127.0.0.1:0' },
    gateways: { lwm2m: { bench: { bind: `127.0.0.1:${udp}`, max_datagram_size: 1500 } } },
  } as never),
  { logger: silentLogger() },
);
await hub.start();
const url = `mqtt://127.0.0.1:${hub.address('tcp').port}`;

const devices: Lwm2mTestClient[] = [];
const t0 = Date.now();
for (let i = 0; i < clients; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, clients - i) }, async (_, j) => {
      const d = new Lwm2mTestClient(udp);
      await d.open();
      d.resources.set('/3303/0/5700', 20 + ((i + j) % 10));
      const r = await d.register(`b${i + j}`, ['lt=3600', 'b=U']);
      if (r.code !== 0x41) throw new Error(`registration ${i + j} answered ${r.code}`);
      devices.push(d);
    }),
  );
}
const registerMs = Date.now() - t0;

const app = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'bench-app' });
await app.subscribeAsync('lwm2m/+/up/resp', { qos: 0 });
const sentAt = new Map<number, bigint>();
const rtts: number[] = [];
let next = 0;
let failed = 0;
const started = process.hrtime.bigint();
await new Promise<void>((resolve) => {
  const send = (): void => {
    while (next < reads && sentAt.size < window) {
      const id = next++;
      sentAt.set(id, process.hrtime.bigint());
      const ep = `b${id % clients}`;
      app.publish(`lwm2m/${ep}/dn`, JSON.stringify({ reqID: id, msgType: 'read', data: { path: '/3303/0/5700' } }));
    }
  };
  app.on('message', (_topic, payload) => {
    const doc = JSON.parse(payload.toString()) as { reqID: number; data: { code: string } };
    const at = sentAt.get(doc.reqID);
    if (at === undefined) return;
    sentAt.delete(doc.reqID);
    if (doc.data.code !== '2.05') failed++;
    rtts.push(Number(process.hrtime.bigint() - at) / 1e6);
    if (rtts.length === reads) resolve();
    else send();
  });
  send();
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
rtts.sort((a, b) => a - b);
const pct = (p: number): number => rtts[Math.min(rtts.length - 1, Math.floor((p / 100) * rtts.length))]!;
console.log(
  JSON.stringify({
    clients,
    reads,
    window,
    registerMs,
    responsesPerSec: Math.round(reads / seconds),
    p50Ms: Number(pct(50).toFixed(2)),
    p99Ms: Number(pct(99).toFixed(2)),
    failed,
  }),
);
await app.endAsync();
devices.forEach((d) => d.close());
await hub.stop();
