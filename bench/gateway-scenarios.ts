/**
 * Gateway throughput end to end: a native peer pushes N messages into a protohub gateway, a bench subscriber
 * counts what arrives on MQTT. protohub only (mosquitto has no gateways), judged against the absolute target.
 * ZeroMQ: /usr/bin/python3 with pyzmq as a PUSH peer into the gateway's PULL socket (PUSH blocks at the
 * high-water mark instead of dropping, so what is missing was lost inside protohub).
 * NNG: a small C PUSH peer built against libnng (cc), dialling the gateway's listening PULL socket.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/net.js';
import { LoadGroup } from '../src/bench/pool.js';
import { waitForArrivals } from '../src/bench/measure.js';
import { startProtohub, type Broker } from './brokers.js';
import { ProcessWindow } from './proc.js';
import type { Figures } from './scenarios.js';
import type { TrafficWindow } from '../src/bench/measure.js';

const PYTHON = '/usr/bin/python3';

const PUSHER = `
import sys, zmq
n, endpoint = int(sys.argv[1]), sys.argv[2]
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.setsockopt(zmq.SNDHWM, 10000)
s.connect(endpoint)
payload = b'x' * 16
topic = b'bench/zmq'
for i in range(n):
    s.send_multipart([topic, payload])
s.setsockopt(zmq.LINGER, 30000)
s.close()
ctx.term()
`;

export function hasPyzmq(): boolean {
  return existsSync(PYTHON);
}

function zeromqConfig(dir: string, endpoint: string): Record<string, unknown> {
  const mapping = join(dir, 'zmq-bench-mapping.conf');
  writeFileSync(mapping, 'uplink = [ { name = "all", address = "{rest*}", topic = "zmq/{rest*}", qos = 0 } ]\ndownlink = []\n');
  return {
    gateways: { zeromq: { bench: {
      mapping,
      framing: { mode: 'multipart' },
      sockets: { in: { type: 'pull', bind: [endpoint], receive_hwm: 10000 } },
      uplink_buffer: { max_messages: 100000, max_bytes: '64MB', overflow: 'drop_oldest' },
    } } },
  };
}

export interface GatewayRunOptions {
  /** node flags for protohub, e.g. --cpu-prof. */
  nodeFlags?: string[];
  onHub?: (hub: Broker) => void;
  traffic?: TrafficWindow;
}

/** Start protohub with `extraConfig`, subscribe `filter`, run the peer, count until all arrived or 5 s quiet. */
async function gatewayRun(extraConfig: Record<string, unknown>, filter: string, messages: number, peer: () => ChildProcess, run: GatewayRunOptions): Promise<Figures> {
  const hub: Broker = await startProtohub({ extraConfig, nodeFlags: run.nodeFlags });
  run.onHub?.(hub);
  try {
    const sub = await LoadGroup.prepare({
      mode: 'sub', host: '127.0.0.1', port: hub.port, version: 4, qos: 0, topic: filter, payloadSize: 16, limit: 0,
      intervalMs: 0, inflight: 32, batch: 64, clients: 1, clientPrefix: `gw-sub-${process.pid}-`, connectConcurrency: 1, keepaliveSec: 600,
    }, 1);
    void sub.go();
    const window = new ProcessWindow(hub.pid);
    const dropped0 = await hub.dropped();
    run.traffic?.start();
    const child = peer();
    let err = '';
    child.stderr?.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitForArrivals(() => sub.current().received, messages, 5000, 180_000);
    const usage = window.end();
    run.traffic?.end();
    const code = await Promise.race([exited, new Promise<number | null>((r) => setTimeout(() => { child.kill('SIGKILL'); r(-1); }, 5000))]);
    const s = await sub.stop();
    const dropped1 = await hub.dropped();
    const span = s.lastRecvAt - s.firstRecvAt;
    if (code !== 0) throw new Error(`peer exited with ${code}: ${err}`);
    return {
      msg_per_s: span > 0 ? (s.received / span) * 1000 : 0, sent: messages, received: s.received,
      missing: Math.max(0, messages - s.received), broker_dropped: (dropped1 ?? 0) - (dropped0 ?? 0),
      cpu_percent: usage.cpuPercent, rss_mb: usage.rssKb / 1024, peak_rss_mb: usage.peakRssKb / 1024,
    };
  } finally {
    await hub.stop();
  }
}

/** ZeroMQ PUSH → protohub zeromq gateway → MQTT subscriber on zmq/#. */
export async function zeromqToMqtt(messages: number, run: GatewayRunOptions = {}): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'zmq-bench-'));
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  return gatewayRun(zeromqConfig(dir, endpoint), 'zmq/#', messages, () =>
    spawn(PYTHON, ['-c', PUSHER, String(messages), endpoint], { stdio: ['ignore', 'ignore', 'pipe'] }), run);
}

const NNG_PUSHER = `
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/supplemental/util/platform.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  nng_socket s;
  int rv;
  if ((rv = nng_push0_open(&s)) != 0 || (rv = nng_dial(s, argv[2], NULL, NNG_FLAG_NONBLOCK)) != 0) {
    fprintf(stderr, "%s\\n", nng_strerror(rv));
    return 1;
  }
  const char msg[] = "bench/nng xxxxxxxxxxxxxxxx"; /* topic, delimiter, 16-byte payload */
  for (long i = 0; i < n; i++) {
    if ((rv = nng_send(s, (void *)msg, sizeof msg - 1, 0)) != 0) { fprintf(stderr, "%s\\n", nng_strerror(rv)); return 1; }
  }
  nng_msleep(3000); /* let the last buffered messages leave before close (NNG has no linger) */
  nng_close(s);
  return 0;
}
`;

export function hasNngToolchain(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v cc && test -e /usr/include/nng/nng.h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** NNG PUSH (C, libnng) → protohub nng gateway (PULL, body "topic payload") → MQTT subscriber on nng/#. */
export async function nngToMqtt(messages: number, run: GatewayRunOptions = {}): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'nng-bench-'));
  writeFileSync(join(dir, 'pusher.c'), NNG_PUSHER);
  execFileSync('cc', ['-O2', '-o', join(dir, 'pusher'), join(dir, 'pusher.c'), '-lnng'], { stdio: 'inherit' });
  const url = `tcp://127.0.0.1:${await freePort()}`;
  const mapping = join(dir, 'nng-bench-mapping.conf');
  writeFileSync(mapping, 'uplink = [ { name = "all", address = "{rest*}", topic = "nng/{rest*}", qos = 0 } ]\ndownlink = []\n');
  const config = {
    gateways: { nng: { bench: {
      mapping, topic_delimiter: ' ',
      sockets: { in: { type: 'pull', listen: [url] } },
      uplink_buffer: { max_messages: 100000, max_bytes: '64MB', overflow: 'drop_oldest' },
    } } },
  };
  return gatewayRun(config, 'nng/#', messages, () => spawn(join(dir, 'pusher'), [String(messages), url], { stdio: ['ignore', 'ignore', 'pipe'] }), run);
}
