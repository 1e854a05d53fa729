/**
 * `npx tsx bench/offline-queue-rss.ts [messages] [window]`: the memory an offline persistent session with a
 * large queue costs (docs/store.md "Offline queues"). protohub (built CLI, SQLite store) gets a persistent
 * v3.1.1 subscriber that disconnects, then `messages` (default 1,000,000) QoS 1 messages of 16 bytes from a
 * raw-socket publisher with 1,000 in flight. Prints the hub's RSS before, after the flood, and after a restart
 * (which reads back only the first page), with mqtt.mqueue_memory_window = `window` (default 1000; 0 = the
 * whole queue in memory, for comparison).
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { startProtohub, type Broker } from './brokers.js';
import { rssKb } from './proc.js';

const MESSAGES = Number(process.argv[2] ?? 1_000_000);
const WINDOW = Number(process.argv[3] ?? 1000);
const IN_FLIGHT = 1000;

function client(port: number, clientId: string, clean: boolean, onPacket: (p: mqttPacket.Packet) => void) {
  return new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: mqttPacket.Packet) => (p.cmd === 'connack' ? resolve(s) : onPacket(p)));
    s.on('data', (d: Buffer) => parser.parse(d));
    s.on('connect', () =>
      s.write(
        mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, keepalive: 0, clientId }),
      ),
    );
  });
}

async function settledRss(b: Broker): Promise<number> {
  await new Promise((r) => setTimeout(r, 2000));
  const queued = /^protohub_queued_messages (\S+)/m.exec((await b.metricsText?.()) ?? '')?.[1];
  console.log(`  queued messages: ${queued ?? '?'}, rss ${(rssKb(b.pid) / 1024).toFixed(1)} MB`);
  return rssKb(b.pid) / 1024;
}

async function hub(dir: string): Promise<Broker> {
  return startProtohub({
    defaults: true,
    extraConfig: {
      store: { type: 'sqlite', dir },
      mqtt: {
        max_offline_mqueue_len: MESSAGES * 2,
        max_offline_mqueue_bytes: '4GB',
        mqueue_memory_window: WINDOW,
        // without paging the online limits apply offline too: raise them for the comparison
        ...(WINDOW === 0 ? { max_mqueue_len: MESSAGES * 2, max_mqueue_bytes: '4GB' } : {}),
      },
    },
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'protohub-rss-'));
  let b = await hub(dir);
  const idle = await settledRss(b);
  const sub = await client(b.port, 'rss-sub', false, () => {});
  await new Promise<void>((r) => {
    sub.once('data', () => r());
    sub.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rss/t', qos: 1 }] }));
  });
  sub.destroy();
  let acked = 0;
  let wake: () => void = () => {};
  const pub = await client(b.port, 'rss-pub', true, (p) => {
    if (p.cmd === 'puback') {
      acked++;
      wake();
    }
  });
  const started = Date.now();
  const payload = Buffer.alloc(16, 0x61);
  for (let sent = 0; sent < MESSAGES;) {
    const n = Math.min(100, MESSAGES - sent);
    const bufs: Buffer[] = [];
    for (let i = 0; i < n; i++, sent++)
      bufs.push(
        mqttPacket.generate({
          cmd: 'publish',
          topic: 'rss/t',
          payload,
          qos: 1,
          messageId: (sent % 65535) + 1,
          retain: false,
          dup: false,
        }),
      );
    pub.write(Buffer.concat(bufs));
    while (sent - acked > IN_FLIGHT) await new Promise<void>((r) => (wake = r));
  }
  while (acked < MESSAGES) await new Promise<void>((r) => (wake = r));
  const floodSec = (Date.now() - started) / 1000;
  const afterFlood = await settledRss(b);
  pub.destroy();
  await b.stop();
  b = await hub(dir);
  const afterRestart = await settledRss(b);
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      messages: MESSAGES,
      mqueue_memory_window: WINDOW,
      flood_s: +floodSec.toFixed(1),
      rss_idle_mb: +idle.toFixed(1),
      rss_after_flood_mb: +afterFlood.toFixed(1),
      rss_after_restart_mb: +afterRestart.toFixed(1),
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
