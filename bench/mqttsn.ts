/**
 * MQTT-SN gateway benchmark: CLIENTS simulated MQTT-SN clients (one UDP socket each, on loopback) CONNECT, then
 * publish QoS 1 on a predefined topic id, one message in flight per client as MQTT-SN 1.2 §6.13 allows, the next
 * after each PUBACK; an MQTT subscriber counts what arrives on `snbench/#`. Figures: msg/s delivered, missing
 * (target: none), PUBACKs not accepted, and the hub's RSS per connected MQTT-SN client next to the RSS per idle
 * MQTT client (target: ≤ 4 KB more). Needs the gateway registered (gateways/mqttsn/entry.ts, built to dist/).
 *
 * The clients are one C process (bench/native/mqttsn-clients.c: epoll over the sockets, PUBACK handling, Tretry
 * resends with DUP), as the CoAP and ZeroMQ scenarios use C peers: 1,000 Node dgram sockets in the bench process
 * cost about as much CPU as the hub itself and competed with it for the 2 cores. `SN_GEN=node` (or no `cc`)
 * runs the Node clients below instead, for comparison.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { encode } from '../gateways/mqttsn/codec.js';
import { MsgType } from '../gateways/mqttsn/frames.js';
import { holdConnections, waitForArrivals } from '../src/bench/measure.js';
import { freeUdpPort } from '../test/support/net.js';
import { REPO, startProtohub } from './brokers.js';
import { benchSubscriber } from './gateway-scenarios.js';
import { hasCc } from './coap-scenarios.js';
import { cpuSeconds, ProcessWindow, rssKb, udpDrops } from './proc.js';
import type { Figures } from './scenarios.js';

export const SN_CLIENTS = 1000;
/** The C generator's scheduling class: batch (default: never preempts the hub on a wake-up) or SN_SCHED=normal. */
const SN_SCHED = process.env.SN_SCHED === 'normal' ? 'normal' : 'batch';
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

/** What a set of simulated clients reports after the publish phase. */
interface ClientsResult {
  sent: number;
  accepted: number;
  refused: number;
  retransmitted: number;
  /** Clients still waiting for a PUBACK at the deadline. */
  timedOut: number;
  /** CPU seconds the generator used in the publish phase (Node clients: this whole bench process). */
  cpuSeconds: number;
}

interface Clients {
  readonly kind: 'c' | 'node';
  connect(): Promise<void>;
  run(per: number): Promise<ClientsResult>;
  close(): void;
}

/** The Node clients (one dgram socket each, in this process). */
function nodeClients(port: number, count: number): Clients {
  const devices = Array.from({ length: count }, (_, i) => new Device(i, port));
  return {
    kind: 'node',
    async connect() {
      for (let i = 0; i < count; i += 100) await Promise.all(devices.slice(i, i + 100).map((d) => d.connect()));
    },
    async run(per) {
      const cpu0 = process.cpuUsage();
      await Promise.race([Promise.all(devices.map((d) => d.run(per))), new Promise((r) => setTimeout(r, 180_000))]);
      const cpu = process.cpuUsage(cpu0);
      const sum = (f: (d: Device) => number): number => devices.reduce((n, d) => n + f(d), 0);
      return {
        sent: sum((d) => d.sent),
        accepted: sum((d) => d.acked),
        refused: sum((d) => d.refused),
        retransmitted: 0,
        timedOut: sum((d) => d.sent - d.acked - d.refused),
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
    },
    close() {
      for (const d of devices) d.close();
    },
  };
}

let generator: string | undefined;
/** bench/native/mqttsn-clients.c built once per process. */
function buildGenerator(): string {
  if (generator && existsSync(generator)) return generator;
  const out = join(mkdtempSync(join(tmpdir(), 'sn-bench-')), 'mqttsn-clients');
  execFileSync('cc', ['-O2', '-o', out, join(REPO, 'bench/native/mqttsn-clients.c')], { stdio: 'inherit' });
  return (generator = out);
}

/** The C clients: one process, `count` sockets; "connected" on stdout, "go" on stdin, one JSON line at the end. */
function cClients(port: number, count: number, per: number): Clients {
  let child: ChildProcess | undefined;
  let nextLine: () => Promise<string> = () => Promise.reject(new Error('mqttsn-clients not started'));
  return {
    kind: 'c',
    async connect() {
      // started only now, so the idle-MQTT memory reading before it sees no MQTT-SN client
      const args = [String(port), String(count), String(per), `snb-${process.pid}-`, '1', SN_SCHED];
      const proc = spawn(buildGenerator(), args, {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      child = proc;
      const lines = createInterface({ input: proc.stdout! });
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      nextLine = () =>
        Promise.race([
          new Promise<string>((r) => lines.once('line', r)),
          exited.then((code) => Promise.reject(new Error(`mqttsn-clients exited with ${code}`))),
        ]);
      if ((await nextLine()) !== 'connected') throw new Error('mqttsn-clients: unexpected output');
    },
    async run() {
      const report = nextLine();
      child!.stdin!.write('go\n');
      const r = JSON.parse(await report) as Record<string, number>;
      return {
        sent: r.sent!,
        accepted: r.accepted!,
        refused: r.refused!,
        retransmitted: r.retransmitted!,
        timedOut: r.timed_out!,
        cpuSeconds: r.cpu_seconds!,
      };
    },
    close() {
      child?.kill('SIGKILL');
    },
  };
}

/** The hub's RSS while `clients` idle MQTT clients are connected (they are closed again before it returns). */
async function idleMqttRss(port: number, clients: number, pid: number): Promise<number> {
  const idle = await holdConnections(
    {
      mode: 'conn',
      host: '127.0.0.1',
      port,
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
  const rss = rssKb(pid);
  await idle.close();
  return rss;
}

/**
 * `defaults`: the hub at its shipped defaults (SQLite store, the mqtt section untouched: a QoS 1 subscriber gets 32
 * in flight, queues hold 10,000 with back-pressure from 1,000); SN_DEFAULTS=0: the bench's matched limits.
 */
export async function mqttsnToMqtt(
  messages: number,
  clients = SN_CLIENTS,
  defaults = process.env.SN_DEFAULTS !== '0',
): Promise<Figures> {
  const udp = await freeUdpPort();
  const hub = await startProtohub({
    defaults,
    // SN_PROF=dir: a V8 CPU profile of the hub; SN_NODE_FLAGS: more node flags (e.g. --perf-basic-prof for perf)
    nodeFlags: [
      ...(process.env.SN_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SN_PROF}`] : []),
      ...(process.env.SN_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
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
  const per = Math.ceil(messages / clients);
  const devices = process.env.SN_GEN === 'node' || !hasCc() ? nodeClients(udp, clients) : cClients(udp, clients, per);
  try {
    // memory: an idle MQTT client's cost first, then a connected MQTT-SN client's (SN_NO_RSS=1 skips the idle
    // clients, for quick A/B runs of the throughput)
    const rss0 = rssKb(hub.pid);
    const rss1 = process.env.SN_NO_RSS ? NaN : await idleMqttRss(hub.port, clients, hub.pid);
    const rss2 = rssKb(hub.pid);
    await devices.connect();
    const rss3 = rssKb(hub.pid);

    const sub = await benchSubscriber(hub.port, 'snbench/#', 1, 'sn-sub');
    const subCpu = sub.pids().map((pid) => cpuSeconds(pid));
    const window = new ProcessWindow(hub.pid);
    const drops0 = udpDrops(udp);
    const r = await devices.run(per);
    await waitForArrivals(() => sub.current().received, r.accepted, 5000, 60_000);
    const usage = window.end();
    const subUsed = sub.pids().reduce((n, pid, i) => n + cpuSeconds(pid) - subCpu[i]!, 0);
    const s = await sub.stop();
    const span = s.lastRecvAt - s.firstRecvAt;
    const perMsg = (seconds: number): number => (s.received > 0 ? (seconds / s.received) * 1e6 : 0);
    return {
      msg_per_s: span > 0 ? (s.received / span) * 1000 : 0,
      sent: r.sent,
      received: s.received,
      // every PUBACKed message must arrive; a refused one (congestion) was not accepted and is counted apart
      missing: Math.max(0, r.accepted - s.received),
      puback_refused: r.refused,
      unacked: r.timedOut,
      retransmitted: r.retransmitted,
      socket_drops: udpDrops(udp) - drops0,
      clients,
      rss_per_mqtt_client_kb: (rss1 - rss0) / clients,
      rss_per_mqttsn_client_kb: (rss3 - rss2) / clients,
      cpu_percent: usage.cpuPercent,
      hub_cpu_us_per_msg: perMsg(usage.cpuSeconds),
      hub_sys_us_per_msg: perMsg(usage.sysSeconds),
      generator_cpu_us_per_msg: perMsg(r.cpuSeconds),
      subscriber_cpu_us_per_msg: perMsg(subUsed),
      generator_c: devices.kind === 'c' ? 1 : 0,
      hub_defaults: defaults ? 1 : 0,
      peak_rss_mb: usage.peakRssKb / 1024,
    };
  } finally {
    devices.close();
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
