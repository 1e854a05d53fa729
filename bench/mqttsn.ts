/**
 * MQTT-SN gateway benchmark: CLIENTS simulated MQTT-SN clients (one UDP socket each, on loopback) CONNECT, then
 * publish QoS 1 on a predefined topic id, one message in flight per client as MQTT-SN 1.2 §6.13 allows, the next
 * after each PUBACK; an MQTT subscriber counts what arrives on `snbench/#`. Figures: msg/s delivered, missing
 * (target: none), PUBACKs not accepted, and the hub's RSS per connected MQTT-SN client next to the RSS per idle
 * MQTT client (target: ≤ 4 KB more). Needs the gateway registered (gateways/mqttsn/entry.ts, built to dist/).
 */
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '../gateways/mqttsn/codec.js';
import { MsgType } from '../gateways/mqttsn/frames.js';
import { holdConnections, waitForArrivals } from '../src/bench/measure.js';
import { freeUdpPort } from '../test/support/net.js';
import { REPO, startProtohub } from './brokers.js';
import { benchSubscriber } from './gateway-scenarios.js';
import { ProcessWindow, rssKb } from './proc.js';
import type { Figures } from './scenarios.js';

export const SN_CLIENTS = 1000;
const PAYLOAD = Buffer.from('x'.repeat(16));
const flags = { dup: false, retain: false, will: false, cleanSession: true } as const;

export function hasMqttSnGateway(): boolean {
  return existsSync(join(REPO, 'dist/gateways/mqttsn/entry.js'));
}

/** One simulated device: CONNECT, then QoS 1 PUBLISHes back to back, each after the previous PUBACK. */
export class Device {
  readonly socket: Socket;
  sent = 0;
  acked = 0;
  refused = 0;
  #quota = 0;
  #msgId = 0;
  #connected?: () => void;
  #done?: () => void;
  constructor(
    readonly id: number,
    private readonly port: number,
  ) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (b) => this.#receive(b));
  }
  async connect(): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    // a connected UDP socket sends without a per-datagram address lookup
    await new Promise<void>((r) => this.socket.connect(this.port, '127.0.0.1', r));
    const connack = new Promise<void>((r) => (this.#connected = r));
    this.#send(
      encode({
        type: 'CONNECT',
        flags: { ...flags, qos: 0, topicIdType: 0 },
        protocolId: 1,
        duration: 600,
        clientId: `snb-${process.pid}-${this.id}`,
      }),
    );
    await connack;
  }
  run(n: number): Promise<void> {
    this.#quota = n;
    const done = new Promise<void>((r) => (this.#done = r));
    this.#next();
    return done;
  }
  #next(): void {
    if (this.sent >= this.#quota) return this.#done?.();
    this.sent++;
    this.#msgId = this.#msgId >= 0xffff ? 1 : this.#msgId + 1;
    this.#send(
      encode({
        type: 'PUBLISH',
        flags: { ...flags, qos: 1, topicIdType: 1 },
        topicId: 1,
        msgId: this.#msgId,
        data: PAYLOAD,
      }),
    );
  }
  #receive(b: Buffer): void {
    const type = b[1];
    if (type === MsgType.CONNACK) this.#connected?.();
    else if (type === MsgType.PUBACK && b.readUInt16BE(4) === this.#msgId) {
      if (b[6] === 0) this.acked++;
      else this.refused++;
      this.#next();
    }
  }
  #send(b: Buffer): void {
    this.socket.send(b);
  }
  close(): void {
    this.socket.close();
  }
}

export async function mqttsnToMqtt(messages: number, clients = SN_CLIENTS): Promise<Figures> {
  const udp = await freeUdpPort();
  const hub = await startProtohub({
    nodeFlags: process.env.SN_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SN_PROF}`] : undefined,
    extraConfig: {
      gateways: {
        mqttsn: {
          bench: {
            bind: `127.0.0.1:${udp}`,
            predefined: [{ id: 1, topic: 'snbench/1' }],
            limits: { max_clients: clients + 10 },
          },
        },
      },
    },
  });
  const devices = Array.from({ length: clients }, (_, i) => new Device(i, udp));
  try {
    // memory: an idle MQTT client's cost first, then a connected MQTT-SN client's
    const rss0 = rssKb(hub.pid);
    const idle = await holdConnections(
      {
        mode: 'conn',
        host: '127.0.0.1',
        port: hub.port,
        version: 4,
        qos: 0,
        topic: 'x',
        payloadSize: 0,
        limit: 0,
        intervalMs: 0,
        inflight: 1,
        batch: 1,
        clients,
        clientPrefix: `idle-${process.pid}-`,
        connectConcurrency: 50,
        keepaliveSec: 600,
      },
      1,
    );
    const rss1 = rssKb(hub.pid);
    await idle.close();
    const rss2 = rssKb(hub.pid);
    for (let i = 0; i < clients; i += 100) await Promise.all(devices.slice(i, i + 100).map((d) => d.connect()));
    const rss3 = rssKb(hub.pid);

    const sub = await benchSubscriber(hub.port, 'snbench/#', 1, 'sn-sub');
    const per = Math.ceil(messages / clients);
    const total = per * clients;
    const window = new ProcessWindow(hub.pid);
    await Promise.race([Promise.all(devices.map((d) => d.run(per))), new Promise((r) => setTimeout(r, 180_000))]);
    await waitForArrivals(() => sub.current().received, total, 5000, 60_000);
    const usage = window.end();
    const s = await sub.stop();
    const span = s.lastRecvAt - s.firstRecvAt;
    return {
      msg_per_s: span > 0 ? (s.received / span) * 1000 : 0,
      sent: total,
      received: s.received,
      missing: Math.max(0, total - s.received),
      puback_refused: devices.reduce((n, d) => n + d.refused, 0),
      unacked: devices.reduce((n, d) => n + d.sent - d.acked - d.refused, 0),
      clients,
      rss_per_mqtt_client_kb: (rss1 - rss0) / clients,
      rss_per_mqttsn_client_kb: (rss3 - rss2) / clients,
      cpu_percent: usage.cpuPercent,
      peak_rss_mb: usage.peakRssKb / 1024,
    };
  } finally {
    for (const d of devices) d.close();
    await hub.stop();
  }
}

// `npx tsx bench/mqttsn.ts [messages] [clients]` runs the scenario alone and prints its figures
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [m, c] = process.argv.slice(2).map(Number);
  mqttsnToMqtt(m || 100_000, c || SN_CLIENTS).then(
    (f) => console.log(JSON.stringify(f, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
