/**
 * Gateway throughput end to end: native peers push N messages into a protohub gateway, a bench subscriber counts
 * what arrives on MQTT. protohub only (mosquitto has no gateways), judged against the absolute target.
 *
 * The peers are small C programs built on the fly (cc + libzmq / libnng headers), PEERS of them, each on its own
 * connection — several devices feeding one gateway, and a generator that costs little CPU on a 2-core machine
 * (a pyzmq pusher used most of a core for 100k msg/s). PUSH blocks at its high-water mark instead of dropping, so
 * whatever is missing was lost inside protohub. The same peers are also timed into the gateway's bare receive
 * layer in a Node process that discards (SINKS): the ceiling the gateway's pipeline and broker work under.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/net.js';
import { LoadGroup } from '../src/bench/pool.js';
import type { LoadStats } from '../src/bench/job.js';
import { waitForArrivals } from '../src/bench/measure.js';
import { REPO, startProtohub, type Broker } from './brokers.js';
import { ProcessWindow } from './proc.js';
import type { Figures } from './scenarios.js';
import type { TrafficWindow } from '../src/bench/measure.js';

/** Peer connections per gateway scenario; each sends messages / PEERS. */
export const PEERS = 2;

const TOPIC = 'bench/x';
const PAYLOAD = 'x'.repeat(16);

const ZMQ_PUSHER = `
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  void *ctx = zmq_ctx_new();
  void *s = zmq_socket(ctx, ZMQ_PUSH);
  int hwm = 10000, linger = 30000;
  zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
  if (zmq_connect(s, argv[2]) != 0) { fprintf(stderr, "%s\\n", zmq_strerror(zmq_errno())); return 1; }
  const char topic[] = "${TOPIC}", payload[] = "${PAYLOAD}";
  for (long i = 0; i < n; i++) {
    if (zmq_send(s, topic, sizeof topic - 1, ZMQ_SNDMORE) < 0 || zmq_send(s, payload, sizeof payload - 1, 0) < 0) {
      fprintf(stderr, "%s\\n", zmq_strerror(zmq_errno()));
      return 1;
    }
  }
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger); /* close waits until the queue left */
  zmq_close(s);
  zmq_ctx_term(ctx);
  return 0;
}
`;

const NNG_PUSHER = `
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/util/platform.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  nng_socket s;
  int rv;
  if ((rv = nng_push0_open(&s)) != 0 || (rv = nng_dial(s, argv[2], NULL, NNG_FLAG_NONBLOCK)) != 0) {
    fprintf(stderr, "%s\\n", nng_strerror(rv));
    return 1;
  }
  /* A send queue of 1024 messages, as a streaming producer would set: without one every nng_send waits for the
     pipe to take the message, and NNG itself tops out near 20k msg/s per connection over loopback here. */
  nng_socket_set_int(s, NNG_OPT_SENDBUF, 1024);
  const char msg[] = "${TOPIC} ${PAYLOAD}"; /* topic, delimiter, payload */
  for (long i = 0; i < n; i++) {
    if ((rv = nng_send(s, (void *)msg, sizeof msg - 1, 0)) != 0) { fprintf(stderr, "%s\\n", nng_strerror(rv)); return 1; }
  }
  nng_msleep(3000); /* let the last buffered messages leave before close (NNG has no linger) */
  nng_close(s);
  return 0;
}
`;

/**
 * The gateway's ceiling: the same peers into the receive layer the gateway uses (gateways/zeromq ZeromqSocket on
 * zeromq.js; the nanomsg binding through gateways/nng DrainingReceiver), in a Node process that discards. Prints "ready", then msg/s from the first to the last of argv[2] messages.
 */
const SINKS = {
  zeromq: `
import { ZeromqSocket } from ${JSON.stringify(join(REPO, 'dist/gateways/zeromq/socket.js'))};
import { zeromqSocketSchema } from ${JSON.stringify(join(REPO, 'dist/gateways/zeromq/schema.js'))};
const [n, endpoint] = [Number(process.argv[2]), process.argv[3]];
const config = zeromqSocketSchema.parse({ type: 'pull', bind: [endpoint] });
let i = 0, t0 = 0;
const sock = new ZeromqSocket('in', config, { socketEvent() {} }, {
  onMessage() {
    if (i++ === 0) t0 = performance.now();
    if (i === n) { console.log(Math.round(((n - 1) / (performance.now() - t0)) * 1000)); sock.close(); }
  },
  onFailure(err) { console.error(err); process.exit(1); },
  onError() {},
});
await sock.open();
console.log('ready');
`,
  nng: `
import { DrainingReceiver, spSocket } from ${JSON.stringify(join(REPO, 'dist/gateways/nng/nanomsg.js'))};
const [n, url] = [Number(process.argv[2]), process.argv[3]];
const sock = spSocket('pull', { linger: 0 });
sock.bind(url);
let i = 0, t0 = 0;
new DrainingReceiver(sock, () => {
  if (i++ === 0) t0 = performance.now();
  if (i === n) { console.log(Math.round(((n - 1) / (performance.now() - t0)) * 1000)); sock.close(); }
});
console.log('ready');
`,
};

function hasToolchain(header: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v cc && test -e ${header}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** cc and libzmq3-dev (zmq.h) for the C ZeroMQ peers. */
export const hasZmqToolchain = (): boolean => hasToolchain('/usr/include/zmq.h');
/** cc and libnng-dev for the C NNG peers. */
export const hasNngToolchain = (): boolean => hasToolchain('/usr/include/nng/nng.h');

/** Compile each C source once per process into a temp dir; returns the binary paths by name. */
const built = new Map<string, string>();
function buildC(name: string, source: string, lib: string): string {
  const cached = built.get(name);
  if (cached && existsSync(cached)) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  writeFileSync(join(dir, `${name}.c`), source);
  execFileSync('cc', ['-O2', '-o', join(dir, name), join(dir, `${name}.c`), lib], { stdio: 'inherit' });
  built.set(name, join(dir, name));
  return join(dir, name);
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

/** Start `PEERS` pushers, each sending its share of `messages` to `endpoint`. */
function startPeers(
  binary: string,
  messages: number,
  endpoint: string,
): { children: ChildProcess[]; exited: Promise<(number | null)[]>; stderr: () => string } {
  let err = '';
  const share = Math.floor(messages / PEERS);
  const children = Array.from({ length: PEERS }, (_, i) => {
    const n = i === PEERS - 1 ? messages - share * (PEERS - 1) : share;
    const child = spawn(binary, [String(n), endpoint], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    return child;
  });
  // listen for exits now: a peer may be gone before the caller gets round to awaiting it
  return { children, exited: Promise.all(children.map(exitOf)), stderr: () => err };
}

/** The same peers into the bare receive layer (SINKS): msg/s as the sink timed it, first to last message. */
async function peerCeiling(pusher: string, library: keyof typeof SINKS, messages: number): Promise<number> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const sink = join(mkdtempSync(join(tmpdir(), 'gw-sink-')), 'sink.mjs');
  writeFileSync(sink, SINKS[library]);
  const child = spawn(process.execPath, [sink, String(messages), endpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve) =>
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    }),
  );
  const done = exitOf(child);
  await ready;
  const peers = startPeers(pusher, messages, endpoint);
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await done;
  clearTimeout(timer);
  await peers.exited;
  if (code !== 0) throw new Error(`peer ceiling sink exited with ${code}`);
  return Number(out.trim().split('\n').pop());
}

export interface GatewayRunOptions {
  /** node flags for protohub, e.g. --cpu-prof. */
  nodeFlags?: string[];
  onHub?: (hub: Broker) => void;
  traffic?: TrafficWindow;
  /** Skip timing the peers into the native sink (profiling runs). */
  noCeiling?: boolean;
}

/**
 * The one MQTT 3.1.1 subscriber every gateway scenario counts arrivals with (a bench worker process), already
 * running. QoS 1 subscriptions use a window of 64.
 */
export async function benchSubscriber(port: number, filter: string, qos: 0 | 1, prefix: string): Promise<LoadGroup> {
  const sub = await LoadGroup.prepare(
    {
      mode: 'sub',
      host: '127.0.0.1',
      port,
      version: 4,
      qos,
      topic: filter,
      payloadSize: 16,
      limit: 0,
      intervalMs: 0,
      inflight: qos === 1 ? 64 : 32,
      batch: 64,
      clients: 1,
      clientPrefix: `${prefix}-${process.pid}-`,
      connectConcurrency: 1,
      keepaliveSec: 600,
    },
    1,
  );
  void sub.go();
  return sub;
}

/** Start protohub with `extraConfig`, subscribe `filter`, run the peers, count until all arrived or 5 s quiet. */
/** Figures of a run that sent `sent` messages through the hub to one bench subscriber (rate over first→last arrival). */
export function deliveryFigures(
  s: LoadStats,
  sent: number,
  brokerDropped: number,
  usage: ReturnType<ProcessWindow['end']>,
  peers: number,
): Figures {
  const span = s.lastRecvAt - s.firstRecvAt;
  return {
    msg_per_s: span > 0 ? (s.received / span) * 1000 : 0,
    sent,
    received: s.received,
    missing: Math.max(0, sent - s.received),
    broker_dropped: brokerDropped,
    cpu_percent: usage.cpuPercent,
    rss_mb: usage.rssKb / 1024,
    peak_rss_mb: usage.peakRssKb / 1024,
    peers,
  };
}

async function gatewayRun(
  extraConfig: Record<string, unknown>,
  filter: string,
  messages: number,
  pusher: string,
  endpoint: string,
  run: GatewayRunOptions,
): Promise<Figures> {
  const hub: Broker = await startProtohub({ extraConfig, nodeFlags: run.nodeFlags });
  run.onHub?.(hub);
  try {
    const sub = await benchSubscriber(hub.port, filter, 0, 'gw-sub');
    const window = new ProcessWindow(hub.pid);
    const dropped0 = await hub.dropped();
    run.traffic?.start();
    const peers = startPeers(pusher, messages, endpoint);
    await waitForArrivals(() => sub.current().received, messages, 5000, 180_000);
    const usage = window.end();
    run.traffic?.end();
    const codes = await Promise.race([
      peers.exited,
      new Promise<null[]>((r) =>
        setTimeout(() => {
          for (const c of peers.children) c.kill('SIGKILL');
          r([null]);
        }, 5000),
      ),
    ]);
    const s = await sub.stop();
    const dropped1 = await hub.dropped();
    if (codes.some((c) => c !== 0)) throw new Error(`a peer exited with ${codes.join(',')}: ${peers.stderr()}`);
    return deliveryFigures(s, messages, (dropped1 ?? 0) - (dropped0 ?? 0), usage, PEERS);
  } finally {
    await hub.stop();
  }
}

function uplinkMapping(dir: string, prefix: string): string {
  const mapping = join(dir, `${prefix}-bench-mapping.conf`);
  writeFileSync(
    mapping,
    `uplink = [ { name = "all", address = "{rest*}", topic = "${prefix}/{rest*}", qos = 0 } ]\ndownlink = []\n`,
  );
  return mapping;
}

/** ZeroMQ PUSH peers (C, libzmq, two-frame messages) → protohub zeromq gateway (PULL) → MQTT subscriber on zmq/#. */
export async function zeromqToMqtt(messages: number, run: GatewayRunOptions = {}): Promise<Figures> {
  const pusher = buildC('zmq-pusher', ZMQ_PUSHER, '-lzmq');
  const dir = mkdtempSync(join(tmpdir(), 'zmq-bench-'));
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const config = {
    gateways: {
      zeromq: {
        bench: {
          mapping: uplinkMapping(dir, 'zmq'),
          framing: { mode: 'multipart' },
          sockets: { in: { type: 'pull', bind: [endpoint] } },
        },
      },
    },
  };
  const figures = await gatewayRun(config, 'zmq/#', messages, pusher, endpoint, run);
  if (!run.noCeiling) figures.receive_ceiling_msg_per_s = await peerCeiling(pusher, 'zeromq', messages);
  return figures;
}

/** NNG PUSH peers (C, libnng, body "topic payload") → protohub nng gateway (PULL) → MQTT subscriber on nng/#. */
export async function nngToMqtt(messages: number, run: GatewayRunOptions = {}): Promise<Figures> {
  const pusher = buildC('nng-pusher', NNG_PUSHER, '-lnng');
  const dir = mkdtempSync(join(tmpdir(), 'nng-bench-'));
  const url = `tcp://127.0.0.1:${await freePort()}`;
  const config = {
    gateways: {
      nng: {
        bench: {
          mapping: uplinkMapping(dir, 'nng'),
          topic_delimiter: ' ',
          sockets: { in: { type: 'pull', listen: [url] } },
        },
      },
    },
  };
  const figures = await gatewayRun(config, 'nng/#', messages, pusher, url, run);
  if (!run.noCeiling) figures.receive_ceiling_msg_per_s = await peerCeiling(pusher, 'nng', messages);
  return figures;
}
