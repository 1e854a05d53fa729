/** `protohub bench` argument parsing, in emqtt-bench's spelling (-c clients, -I interval, -t topic, -q qos …). */
import { parseCommandLine } from '../cli/args.js';
import { BenchError } from './connection.js';
import type { LoadMode } from './job.js';
import type { MqttVersion } from './packets.js';
import type { WorkerKind } from './pool.js';

export interface BenchArgs {
  mode: LoadMode | 'discard';
  host: string;
  port: number;
  clients: number;
  /** Milliseconds between messages per client (-I); `-R` (total msg/s) is converted into it. */
  intervalMs: number;
  topic: string;
  qos: number;
  payloadSize: number;
  version: MqttVersion;
  limit: number;
  workers: number;
  workerKind: WorkerKind;
  durationSec: number;
  inflight: number;
  batch: number;
  ceiling: boolean;
  flood: boolean;
  prefix: string;
}

export const BENCH_USAGE = `usage: protohub bench pub|sub|conn|latency|discard [options]
  -h HOST      broker host (127.0.0.1)           -p PORT     broker port (1883)
  -c N         clients (1)                        -w N        worker processes (1; 0 = in this process)
  -I MS        interval between messages per client, ms (0 = as fast as possible)
  -R N         total rate, msg/s (sets -I from -c)
  -t TOPIC     topic / filter; %i = client index (bench/%i)
  -q 0|1|2     QoS (0)          -s BYTES  payload size (16)       -V 4|5  MQTT version (4)
  -L N         messages per client (0 = until -d ends)             -d SEC  duration (10)
  --inflight N unacked QoS>0 messages per client (32)              --batch N messages per write (64)
  --threads    workers as worker_threads instead of processes
  --ceiling    first run the same job against a local discard server and print the generator's ceiling
  --flood      (discard) stream QoS 0 PUBLISHes to subscribers instead of relaying
`;

/** emqtt-bench's one-letter spelling; the long names are this file's own. */
const BENCH_OPTIONS = {
  host: { kind: 'string', short: 'h' },
  port: { kind: 'number', short: 'p', min: 0, max: 65535 },
  clients: { kind: 'number', short: 'c', min: 1, max: 1_000_000 },
  interval: { kind: 'number', short: 'I', min: 0, max: 3_600_000, fraction: true },
  rate: { kind: 'number', short: 'R', min: 0, max: 1e9, fraction: true },
  topic: { kind: 'string', short: 't' },
  qos: { kind: 'number', short: 'q', min: 0, max: 2 },
  size: { kind: 'number', short: 's', min: 0, max: 256 * 1024 * 1024 },
  version: { kind: 'string', short: 'V' },
  limit: { kind: 'number', short: 'L', min: 0, max: 1e12 },
  workers: { kind: 'number', short: 'w', min: 0, max: 256 },
  duration: { kind: 'number', short: 'd', min: 0.1, max: 1e6, fraction: true },
  inflight: { kind: 'number', min: 1, max: 65535 },
  batch: { kind: 'number', min: 1, max: 65536 },
  threads: { kind: 'boolean' },
  ceiling: { kind: 'boolean' },
  flood: { kind: 'boolean' },
  prefix: { kind: 'string' },
} as const;

export function parseBenchArgs(argv: string[]): BenchArgs {
  const [mode, ...rest] = argv;
  if (!['pub', 'sub', 'conn', 'latency', 'discard'].includes(mode ?? '')) {
    throw new BenchError('PH_BENCH_USAGE', `unknown bench mode ${mode ?? '(none)'}`);
  }
  const a: BenchArgs = {
    mode: mode as BenchArgs['mode'],
    host: '127.0.0.1',
    port: 1883,
    clients: 1,
    intervalMs: 0,
    topic: 'bench/%i',
    qos: 0,
    payloadSize: 16,
    version: 4,
    limit: 0,
    workers: 1,
    workerKind: 'process',
    durationSec: 10,
    inflight: 32,
    batch: 64,
    ceiling: false,
    flood: false,
    prefix: `bench-${process.pid}-`,
  };
  const { values: v } = parseCommandLine(rest, BENCH_OPTIONS, { code: 'PH_BENCH_USAGE' });
  if (v.version !== undefined && v.version !== '4' && v.version !== '5')
    throw new BenchError('PH_BENCH_USAGE', `-V must be 4 or 5, got ${v.version}`);
  a.host = v.host ?? a.host;
  a.port = v.port ?? a.port;
  a.clients = v.clients ?? a.clients;
  a.intervalMs = v.interval ?? a.intervalMs;
  a.topic = v.topic ?? a.topic;
  a.qos = v.qos ?? a.qos;
  a.payloadSize = v.size ?? a.payloadSize;
  if (v.version !== undefined) a.version = Number(v.version) as MqttVersion;
  a.limit = v.limit ?? a.limit;
  a.workers = v.workers ?? a.workers;
  a.durationSec = v.duration ?? a.durationSec;
  a.inflight = v.inflight ?? a.inflight;
  a.batch = v.batch ?? a.batch;
  if (v.threads) a.workerKind = 'thread';
  a.ceiling = v.ceiling ?? a.ceiling;
  a.flood = v.flood ?? a.flood;
  a.prefix = v.prefix ?? a.prefix;
  const rate = v.rate ?? 0;
  if (rate > 0) a.intervalMs = (a.clients * 1000) / rate;
  if (a.mode === 'latency' && a.payloadSize < 8) a.payloadSize = 8; // room for the float64 send time
  return a;
}
