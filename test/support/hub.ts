/**
 * Start the hub for broker tests: in-process (`startHub`, fast, metrics readable directly) or as a child
 * process (`spawnHub`, for SIGKILL/SIGTERM, restart and RSS tests). Every hub started here is registered so
 * `stopAllHubs()` (call it in afterEach/afterAll) cleans up even when a test failed half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hub, hubConfig, type ListenerKind } from '../../src/hub.js';
import type { HubConfigInput } from '../../src/config/schema.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { tempDir } from './tmp.js';
import { delay, withTimeout } from './clients.js';

export { delay, eventually, withTimeout } from './clients.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** Deep merge of plain objects (arrays and scalars of `over` replace). */
export function merge<T extends Obj>(base: T, over: Obj): T {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : v;
  return out as T;
}

/** Loopback-only defaults: one TCP listener on an ephemeral port, memory store, no HTTP API. */
export function testConfigInput(input: HubConfigInput = {}): HubConfigInput {
  const hasTcp = isObj(input.listeners) && 'tcp' in input.listeners;
  const base: Obj = {
    listeners: hasTcp ? {} : { tcp: { default: { bind: '127.0.0.1:0' } } },
    store: { type: 'memory' },
    http: { enable: false, bind: '127.0.0.1:0' },
  };
  const merged = merge(base, structuredClone(input) as Obj);
  // Traffic to 127.0.0.1 only: a listener given without a bind would default to 0.0.0.0 and a fixed port.
  for (const listeners of Object.values((merged.listeners ?? {}) as Record<string, unknown>)) {
    if (!isObj(listeners)) continue;
    for (const l of Object.values(listeners)) if (isObj(l) && l.bind === undefined) l.bind = '127.0.0.1:0';
  }
  return merged as HubConfigInput;
}

export interface StartedHub {
  hub: Hub;
  /** mqtt://127.0.0.1:<port> of the default TCP listener (empty if there is none). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const inProcess = new Set<Hub>();
const children = new Set<SpawnedHub>();

export async function startHub(input: HubConfigInput = {}, opts: { logger?: Logger } = {}): Promise<StartedHub> {
  const hub = new Hub(hubConfig(testConfigInput(input)), { logger: opts.logger ?? silentLogger() });
  inProcess.add(hub);
  await hub.start();
  let port = 0;
  try {
    port = hub.address('tcp').port;
  } catch {
    // no default TCP listener in this config
  }
  return {
    hub,
    port,
    url: port ? `mqtt://127.0.0.1:${port}` : '',
    stop: async () => {
      inProcess.delete(hub);
      await hub.stop();
    },
  };
}

export interface LogLine {
  msg?: string;
  level?: number | string;
  [k: string]: unknown;
}

export interface SpawnOptions {
  /** Extra env vars for the child. */
  env?: Record<string, string>;
  /** How long to wait for the "started" log line. */
  readyTimeoutMs?: number;
}

export interface SpawnedHub {
  child: ChildProcess;
  pid: number;
  configFile: string;
  /** Bound address from the "listening" log line of a listener. */
  address(kind: ListenerKind, name?: string): { host: string; port: number };
  /** All parsed JSON log lines so far. */
  logs(): LogLine[];
  /** Raw stdout+stderr, for failure messages. */
  output(): string;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  waitExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident set size of the child in kB, from /proc/<pid>/status VmRSS. */
  rssKb(): number;
  /** SIGKILL if still running and wait for it. */
  stop(): Promise<void>;
}

/** Config for a spawned hub: like testConfigInput but with a sqlite store in a temp dir and JSON info logs. */
export function spawnConfig(input: HubConfigInput = {}): HubConfigInput {
  return merge(
    testConfigInput({ store: { type: 'sqlite', dir: tempDir('protohub-store-') } }),
    merge({ log: { level: 'info', format: 'json' } }, input as Obj),
  ) as HubConfigInput;
}

/**
 * Run `node --import tsx src/cli/run.ts start -c <file>` with `config` (an object is written as JSON, which
 * is valid HOCON; a string is taken as a config file path) and wait for the "started" log line.
 */
export async function spawnHub(config: HubConfigInput | string, opts: SpawnOptions = {}): Promise<SpawnedHub> {
  let configFile: string;
  if (typeof config === 'string') {
    configFile = config;
  } else {
    configFile = join(tempDir('protohub-conf-'), 'protohub.conf');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'start', '-c', configFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let pending = '';
  const lines: LogLine[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => res({ code, signal }));
  });
  let onStarted: () => void = () => {};
  const started = new Promise<void>((res) => {
    onStarted = res;
  });
  child.stdout!.on('data', (d: Buffer) => {
    output += d;
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        if (line.msg === 'started') onStarted();
      } catch {
        // not a JSON log line (e.g. a stack trace); kept in output()
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d;
  });

  const handle: SpawnedHub = {
    child,
    pid: child.pid ?? -1,
    configFile,
    logs: () => lines,
    output: () => output,
    address(kind, name = 'default') {
      const found = lines.find((l) => l.msg === 'listening' && listenerMatches(l, kind, name));
      if (!found) throw new Error(`no "listening" log line for ${kind} ${name}:\n${output}`);
      return { host: String(found.host), port: Number(found.port) };
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitExit: (timeoutMs = 10_000) => withTimeout(exited, timeoutMs, `hub pid ${child.pid} did not exit`),
    rssKb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      if (!m) throw new Error(`no VmRSS in /proc/${child.pid}/status`);
      return Number(m[1]);
    },
    async stop() {
      children.delete(handle);
      handle.kill('SIGKILL');
      await exited;
    },
  };
  children.add(handle);
  const outcome = await Promise.race([
    started.then(() => 'started' as const),
    exited.then(() => 'exited' as const),
    delay(opts.readyTimeoutMs ?? 30_000).then(() => 'timeout' as const),
  ]);
  if (outcome !== 'started') {
    await handle.stop();
    throw new Error(`spawned hub ${outcome} before logging "started":\n${output}`);
  }
  return handle;
}

/** The "listening" line's `listener` field may be "tcp", "tcp:default", "tcp.default" or "default" + kind. */
function listenerMatches(line: LogLine, kind: string, name: string): boolean {
  const l = String(line.listener ?? '');
  const k = String(line.kind ?? line.type ?? '');
  if (l === `${kind}:${name}` || l === `${kind}.${name}` || l === `${kind}/${name}`) return true;
  if (k === kind && (l === name || String(line.name ?? '') === name)) return true;
  return l === kind && (line.name === undefined || line.name === name);
}

/** Stop every in-process and spawned hub started by this file's tests. */
export async function stopAllHubs(): Promise<void> {
  const hubs = [...inProcess];
  inProcess.clear();
  await Promise.allSettled(hubs.map((h) => h.stop()));
  await Promise.allSettled([...children].map((c) => c.stop()));
}

/** GET http://127.0.0.1:<port>/metrics and return one sample (sum over matching label sets). */
export async function scrapeMetric(
  httpPort: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  const text = await res.text();
  return sumMetric(text, name, labels);
}

/** Sum the samples of `name` in Prometheus text whose labels include `labels`. */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const lm of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have.set(lm[1], lm[2]);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

// A crashed test runner must not leave hubs behind holding ports and temp dirs.
process.once('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
});
