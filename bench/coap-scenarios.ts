/**
 * CoAP gateway figures (protohub only; mosquitto has no CoAP):
 * - `coap`: NON publishes from several UDP clients (small C senders, paced) → protohub CoAP gateway → one MQTT
 *   subscriber: msg/s delivered and how many were lost. UDP has no back-pressure, so the senders are paced at
 *   `rate` msg/s in all; a loss is a datagram the hub did not turn into an MQTT message.
 * - `coap-observe`: 1,000 CoAP observers (one UDP socket each, in a Node child process that ACKs every CON
 *   notification) of one topic; an MQTT publisher sends QoS 1 messages; deliveries/s and the p99 latency from the
 *   MQTT publish to the notification's arrival (both processes read the same wall clock, performance.timeOrigin).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitForArrivals } from '../src/bench/measure.js';
import { freeUdpPort } from '../test/support/net.js';
import { REPO, startProtohub, type Broker } from './brokers.js';
import type { LoadGroup } from '../src/bench/pool.js';
import { benchSubscriber } from './gateway-scenarios.js';
import { ProcessWindow, udpDrops } from './proc.js';
import type { Figures } from './scenarios.js';

const SENDERS = 4;

/** NON POST coap://127.0.0.1:<port>/ps/bench/x with a 16-byte payload, `n` times at `rate` msg/s. */
const NON_SENDER = `
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]); int port = atoi(argv[2]); double rate = atof(argv[3]);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {0}; to.sin_family = AF_INET; to.sin_port = htons(port); to.sin_addr.s_addr = htonl(0x7f000001);
  unsigned char m[64]; int len = 0;
  m[len++] = 0x50; m[len++] = 0x02; m[len++] = 0; m[len++] = 0;      /* NON POST, mid below, no token */
  m[len++] = 0xb2; m[len++] = 'p'; m[len++] = 's';                  /* Uri-Path ps */
  m[len++] = 0x05; memcpy(m + len, "bench", 5); len += 5;            /* Uri-Path bench */
  m[len++] = 0x01; m[len++] = 'x';                                  /* Uri-Path x */
  m[len++] = 0xff; memcpy(m + len, "xxxxxxxxxxxxxxxx", 16); len += 16;
  struct timespec t0; clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    if (i > 0 && (i & 0xffff) == 0) { close(s); s = socket(AF_INET, SOCK_DGRAM, 0); } /* RFC 7252 §4.4: a new endpoint
      rather than a message id reused within EXCHANGE_LIFETIME (the hub would drop it as a duplicate) */
    m[2] = (i >> 8) & 0xff; m[3] = i & 0xff;
    if (sendto(s, m, len, 0, (struct sockaddr *)&to, sizeof to) < 0) { perror("sendto"); return 1; }
    if ((i & 63) == 63) {                                            /* pace: sleep until i / rate seconds */
      struct timespec now; clock_gettime(CLOCK_MONOTONIC, &now);
      double ahead = (double)(i + 1) / rate - ((now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9);
      if (ahead > 0) { struct timespec d = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) }; nanosleep(&d, NULL); }
    }
  }
  return 0;
}
`;

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

export const hasCc = (): boolean => {
  try {
    execFileSync('sh', ['-c', 'command -v cc'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

let sender: string | undefined;
function buildSender(): string {
  if (sender) return sender;
  const dir = mkdtempSync(join(tmpdir(), 'coap-bench-'));
  writeFileSync(join(dir, 'sender.c'), NON_SENDER);
  execFileSync('cc', ['-O2', '-o', join(dir, 'sender'), join(dir, 'sender.c')], { stdio: 'inherit' });
  return (sender = join(dir, 'sender'));
}

/** `defaults`: the hub's mqtt and store sections at their shipped defaults; COAP_DEFAULTS=0: the bench's limits. */
async function startCoapHub(defaults: boolean): Promise<{ hub: Broker; port: number }> {
  const port = await freeUdpPort();
  const hub = await startProtohub({
    defaults,
    // COAP_NODE_FLAGS: node flags for the hub (e.g. --cpu-prof, --perf-basic-prof) when profiling
    nodeFlags: process.env.COAP_NODE_FLAGS?.split(' ').filter(Boolean),
    extraConfig: {
      gateways: {
        coap: {
          bench: {
            bind: `127.0.0.1:${port}`,
            mountpoint: 'coap/',
            // COAP_SOCKET_BUFFER (e.g. 4MB): the gateway's socket_buffer instead of its default, for comparison
            ...(process.env.COAP_SOCKET_BUFFER ? { socket_buffer: process.env.COAP_SOCKET_BUFFER } : {}),
          },
        },
      },
    },
  });
  return { hub, port };
}

/** One burst of `messages` NON publishes at `rate` from SENDERS fresh senders; counts what the subscriber got. */
async function offer(
  hub: Broker,
  port: number,
  sub: LoadGroup,
  messages: number,
  rate: number,
): Promise<{ received: number; socketDrops: number; span: number; cpu: ReturnType<ProcessWindow['end']> }> {
  const before = sub.current().received;
  const window = new ProcessWindow(hub.pid);
  const drops0 = udpDrops(port);
  const share = Math.floor(messages / SENDERS);
  const children = Array.from({ length: SENDERS }, (_, i) =>
    spawn(
      buildSender(),
      [String(i === SENDERS - 1 ? messages - share * (SENDERS - 1) : share), String(port), String(rate / SENDERS)],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  const exited = Promise.all(children.map(exitOf));
  const t0 = performance.now();
  await waitForArrivals(() => sub.current().received - before, messages, 3000, 120_000);
  const cpu = window.end();
  await exited;
  return {
    received: sub.current().received - before,
    socketDrops: udpDrops(port) - drops0,
    span: performance.now() - t0,
    cpu,
  };
}

/** NON publishes from SENDERS C clients at `rate` msg/s in all → MQTT subscriber on coap/#. */
export async function coapToMqtt(
  messages: number,
  rate: number,
  defaults = process.env.COAP_DEFAULTS !== '0',
): Promise<Figures> {
  const { hub, port } = await startCoapHub(defaults);
  try {
    const sub = await benchSubscriber(hub.port, 'coap/#', 0, 'coap-sub');
    const r = await offer(hub, port, sub, messages, rate);
    const s = await sub.stop();
    const span = s.lastRecvAt - s.firstRecvAt;
    const perMsg = (seconds: number): number => (s.received > 0 ? (seconds / s.received) * 1e6 : 0);
    return {
      offered_msg_per_s: rate,
      msg_per_s: span > 0 ? (s.received / span) * 1000 : 0,
      sent: messages,
      received: s.received,
      missing: Math.max(0, messages - s.received),
      // of the missing: lost in the hub's full socket receive buffer (the kernel's count for its port)
      socket_drops: r.socketDrops,
      cpu_percent: r.cpu.cpuPercent,
      hub_cpu_us_per_msg: perMsg(r.cpu.cpuSeconds),
      hub_sys_us_per_msg: perMsg(r.cpu.sysSeconds),
      rss_mb: r.cpu.rssKb / 1024,
      senders: SENDERS,
      hub_defaults: defaults ? 1 : 0,
    };
  } finally {
    await hub.stop();
  }
}

/**
 * The lossless search: one hub, offered rates from `from` in steps of `step` msg/s, `seconds` of traffic each,
 * until a step loses a message (or `to` is reached). Reports the highest rate with none lost and the first lossy
 * one. Every step uses fresh senders (new ports), so no message id repeats within the exchange lifetime.
 */
export async function coapLosslessSearch(
  from: number,
  to: number,
  step: number,
  seconds: number,
  defaults = process.env.COAP_DEFAULTS !== '0',
): Promise<Figures> {
  const { hub, port } = await startCoapHub(defaults);
  let lossless = 0;
  let lossy = 0;
  let lossyDelivered = 0;
  let cpuUs = 0;
  try {
    const sub = await benchSubscriber(hub.port, 'coap/#', 0, 'coap-max-sub');
    await offer(hub, port, sub, 20_000, from / 2); // warm-up: JIT and sessions, not counted
    for (let rate = from; rate <= to; rate += step) {
      const messages = Math.round(rate * seconds);
      const r = await offer(hub, port, sub, messages, rate);
      if (r.received < messages) {
        lossy = rate;
        lossyDelivered = r.received;
        break;
      }
      lossless = rate;
      cpuUs = (r.cpu.cpuSeconds / messages) * 1e6;
    }
    await sub.stop();
    return {
      lossless_msg_per_s: lossless,
      first_lossy_offered: lossy,
      first_lossy_delivered_fraction: lossy ? lossyDelivered / Math.round(lossy * seconds) : NaN,
      hub_cpu_us_per_msg_at_lossless: cpuUs,
    };
  } finally {
    await hub.stop();
  }
}

/** The observers' process: `count` sockets register, ACK every CON notification, report latency samples. */
const OBSERVERS = `
import { createSocket } from 'node:dgram';
import { decodeCoap, encodeCoap } from ${JSON.stringify(join(REPO, 'dist/gateways/coap/codec.js'))};
const [count, port] = [Number(process.argv[2]), Number(process.argv[3])];
const wall = () => performance.timeOrigin + performance.now();
const lat = [];
let registered = 0, received = 0, bad = 0;
const opt = (n, v) => ({ number: n, value: Buffer.from(v) });
const pending = new Map();
for (let i = 0; i < count; i++) {
  const s = createSocket('udp4');
  const register = () => s.send(encodeCoap({ type: 'CON', code: 1, messageId: i, token: Buffer.from([i >> 8, i & 255]),
    options: [opt(6, []), opt(11, 'ps'), opt(11, 'bench'), opt(11, 'obs')], payload: Buffer.alloc(0) }), port, '127.0.0.1');
  pending.set(i, register);
  // Observe sequence numbers seen on this socket: a retransmitted CON (its ACK lost) carries the same one and is
  // one delivery, not two (RFC 7641 §4.4)
  const seen = new Set();
  s.on('message', (b) => {
    let m;
    try { m = decodeCoap(b); } catch { bad++; return; }
    if (m.code !== 0x45) return;
    if (m.type === 'CON') s.send(encodeCoap({ type: 'ACK', code: 0, messageId: m.messageId, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) }), port, '127.0.0.1');
    // the registration's answer: piggybacked on the ACK, or a separate CON response after an empty ACK
    // (RFC 7252 §5.2.2) — either way the first 2.05 while the registration is pending, never a delivery
    if (pending.has(i)) { pending.delete(i); if (++registered === count) console.log('ready'); return; }
    if (m.type === 'ACK') return;
    const o = m.options.find((x) => x.number === 6);
    const seq = o ? o.value.reduce((n, byte) => n * 256 + byte, 0) : -1;
    if (seen.has(seq)) return;
    seen.add(seq);
    received++;
    const sent = Number(m.payload.toString());
    if (Number.isFinite(sent)) lat.push(wall() - sent);
  });
  // a burst of 1,000 registrations can overflow a socket buffer: register in steps of 50, and again until answered
  setTimeout(() => s.bind(0, '127.0.0.1', register), Math.floor(i / 50) * 20);
}
const retry = setInterval(() => { if (pending.size === 0) clearInterval(retry); for (const r of pending.values()) r(); }, 1000);
process.on('message', () => {
  lat.sort((a, b) => a - b);
  process.send({ received, bad, p50: lat[Math.floor(lat.length * 0.5)] ?? 0, p99: lat[Math.floor(lat.length * 0.99)] ?? 0 });
});
`;

/** `observers` CoAP observers of coap/bench/obs; `messages` QoS 1 publishes at `rate` msg/s. */
export async function coapObserve(observers: number, messages: number, rate: number): Promise<Figures> {
  const port = await freeUdpPort();
  const hub = await startProtohub({
    extraConfig: {
      gateways: { coap: { bench: { bind: `127.0.0.1:${port}`, mountpoint: 'coap/', notify_type: 'con' } } },
    },
  });
  const script = join(mkdtempSync(join(tmpdir(), 'coap-obs-')), 'observers.mjs');
  writeFileSync(script, OBSERVERS);
  const child = spawn(process.execPath, [script, String(observers), String(port)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`observers exited with ${code}`)));
    });
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { protocolVersion: 4 });
    const window = new ProcessWindow(hub.pid);
    const wall = () => performance.timeOrigin + performance.now();
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) {
      await pub.publishAsync('coap/bench/obs', String(wall()), { qos: 1 });
      const ahead = (i + 1) / rate - (performance.now() - t0) / 1000;
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead * 1000));
    }
    const expected = observers * messages;
    let last = { received: 0, p50: 0, p99: 0 };
    const ask = () =>
      new Promise<typeof last>((resolve) => {
        child.once('message', (m) => resolve(m as typeof last));
        child.send('report');
      });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      last = await ask();
      if (last.received >= expected) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - t0) / 1000;
    const usage = window.end();
    await pub.endAsync();
    return {
      observers,
      deliveries_per_s: last.received / seconds,
      expected,
      received: last.received,
      missing: Math.max(0, expected - last.received),
      p50_ms: last.p50,
      p99_ms: last.p99,
      cpu_percent: usage.cpuPercent,
      rss_mb: usage.rssKb / 1024,
    };
  } finally {
    child.kill('SIGKILL');
    await hub.stop();
  }
}

// `npx tsx bench/coap-scenarios.ts [messages] [rate] [--non-only|--observe-only|--search]`: run once and print
// the figures; --search steps the offered rate up from `rate` by 5,000 (messages / rate seconds each) until loss.
if (process.argv[1]?.endsWith('coap-scenarios.ts')) {
  const messages = Number(process.argv[2] ?? 200_000);
  const rate = Number(process.argv[3] ?? 60_000);
  if (process.argv.includes('--search'))
    console.log('coap lossless search', await coapLosslessSearch(rate, 100_000, 5_000, messages / rate));
  else if (!process.argv.includes('--observe-only')) console.log('coap NON → MQTT', await coapToMqtt(messages, rate));
  if (!process.argv.includes('--non-only') && !process.argv.includes('--search'))
    console.log('coap observe', await coapObserve(1000, 20, 5));
}
