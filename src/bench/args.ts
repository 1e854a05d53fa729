/** `protohub bench` argument parsing, in emqtt-bench's spelling (-c clients, -I interval, -t topic, -q qos …). */
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
  let rate = 0;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new BenchError('PH_BENCH_USAGE', `${flag} needs a value`);
      return v;
    };
    const num = (min: number, max: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max)
        throw new BenchError('PH_BENCH_USAGE', `${flag} must be a number in ${min}..${max}, got ${raw}`);
      return n;
    };
    switch (flag) {
      case '-h':
        a.host = value();
        break;
      case '-p':
        a.port = num(0, 65535);
        break;
      case '-c':
        a.clients = num(1, 1_000_000);
        break;
      case '-I':
        a.intervalMs = num(0, 3_600_000);
        break;
      case '-R':
        rate = num(0, 1e9);
        break;
      case '-t':
        a.topic = value();
        break;
      case '-q':
        a.qos = num(0, 2);
        break;
      case '-s':
        a.payloadSize = num(0, 256 * 1024 * 1024);
        break;
      case '-V': {
        const v = num(4, 5);
        if (v !== 4 && v !== 5) throw new BenchError('PH_BENCH_USAGE', '-V must be 4 or 5');
        a.version = v;
        break;
      }
      case '-L':
        a.limit = num(0, 1e12);
        break;
      case '-w':
        a.workers = num(0, 256);
        break;
      case '-d':
        a.durationSec = num(0.1, 1e6);
        break;
      case '--inflight':
        a.inflight = num(1, 65535);
        break;
      case '--batch':
        a.batch = num(1, 65536);
        break;
      case '--threads':
        a.workerKind = 'thread';
        break;
      case '--ceiling':
        a.ceiling = true;
        break;
      case '--flood':
        a.flood = true;
        break;
      case '--prefix':
        a.prefix = value();
        break;
      default:
        throw new BenchError('PH_BENCH_USAGE', `unknown option ${flag}`);
    }
  }
  if (rate > 0) a.intervalMs = (a.clients * 1000) / rate;
  if (a.mode === 'latency' && a.payloadSize < 8) a.payloadSize = 8; // room for the float64 send time
  return a;
}
