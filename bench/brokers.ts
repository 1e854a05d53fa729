/**
 * The brokers under test, each a separate process on free loopback ports: protohub (the built CLI, so the
 * figures are what users run) and mosquitto from PATH. Start-up time is spawn → first accepted TCP connection.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/net.js';

export const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface Broker {
  name: 'protohub' | 'mosquitto';
  port: number;
  pid: number;
  /** Milliseconds from spawn() to the first accepted TCP connection. */
  readyMs: number;
  /** Date.now() just before spawn(). */
  spawnedAt: number;
  /** Messages the broker reports it dropped (protohub /metrics); null when the broker has no such counter. */
  dropped(): Promise<number | null>;
  /** Prometheus text of protohub's /metrics (null for mosquitto). */
  metricsText?(): Promise<string | null>;
  stop(): Promise<void>;
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

/** Poll the port every 2 ms: a listening socket raises no event another process can await. */
async function waitReady(child: ChildProcess, port: number, spawnedAt: bigint, output: () => string): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output()}`);
    if (await tryConnect(port)) return Number(process.hrtime.bigint() - spawnedAt) / 1e6;
    if (Date.now() > deadline) throw new Error(`not listening on ${port} after 20 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const force = setTimeout(() => child.kill('SIGKILL'), 8000);
      child.once('exit', () => {
        clearTimeout(force);
        done();
      });
      child.kill('SIGTERM');
    });
}

/** GET /metrics; the HTTP API may come up a little after the MQTT listener, so retry for a few seconds. */
async function metricsText(httpPort: number): Promise<string | null> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    } catch {
      if (Date.now() > deadline) return null;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface ProtohubOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…'] when profiling. */
  nodeFlags?: string[];
  /** protohub mqtt.outbound_buffer (bytes per client socket before QoS 0 is dropped as slow_consumer). */
  outboundBuffer?: string;
  /** Merged over the bench config (e.g. a gateway section). */
  extraConfig?: Record<string, unknown>;
  /** The shipped defaults: no mqtt overrides, the SQLite store (in the temp dir); outboundBuffer is ignored. */
  defaults?: boolean;
  /** Another build's `bin/protohub.js` (A/B against an older commit checked out in a git worktree). */
  bin?: string;
}

export async function startProtohub(opts: ProtohubOptions = {}): Promise<Broker> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'protohub-bench-'));
  const conf = join(dir, 'bench.conf');
  writeFileSync(
    conf,
    JSON.stringify({
      listeners: { tcp: { default: { bind: `127.0.0.1:${port}` } } },
      store: opts.defaults ? { type: 'sqlite', dir: join(dir, 'data') } : { type: 'memory' },
      http: { enable: true, bind: `127.0.0.1:${httpPort}` },
      log: { level: 'warn' },
      // matched to the mosquitto config below (in-flight 0 = unlimited, 1M queued messages, queued bytes 0 =
      // unlimited): the default 4MB outbound_buffer drops a 500k-message QoS 0 burst that mosquitto queues, so
      // --outbound-buffer picks the figure (default here 64MB; 4MB shows the default config's behaviour)
      mqtt: opts.defaults
        ? {}
        : {
            max_inflight: 65535,
            max_mqueue_len: 1_000_000,
            max_mqueue_bytes: '1GB',
            outbound_buffer: opts.outboundBuffer ?? '64MB',
          },
      ...opts.extraConfig,
    }),
  );
  let out = '';
  const spawnedAtMs = Date.now();
  const spawnedAt = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [...(opts.nodeFlags ?? []), opts.bin ?? join(REPO, 'bin/protohub.js'), 'start', '-c', conf],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d) => {
    out = (out + d).slice(-4000);
  });
  child.stderr?.on('data', (d) => {
    out = (out + d).slice(-4000);
  });
  const readyMs = await waitReady(child, port, spawnedAt, () => out);
  const stop = stopper(child);
  return {
    name: 'protohub',
    port,
    pid: child.pid!,
    readyMs,
    spawnedAt: spawnedAtMs,
    metricsText: () => metricsText(httpPort),
    dropped: async () => {
      const text = await metricsText(httpPort);
      if (text === null) return null;
      let sum = 0;
      for (const line of text.split('\n')) {
        if (line.startsWith('protohub_messages_dropped_total')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function mosquittoVersion(): string | null {
  try {
    execFileSync('sh', ['-c', 'command -v mosquitto'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  try {
    return execFileSync('mosquitto', ['-h'], { encoding: 'utf8' }).split('\n')[0];
  } catch (err) {
    // mosquitto -h exits 3 after printing its usage
    return String((err as { stdout?: string }).stdout ?? '').split('\n')[0] || 'unknown';
  }
}

/** limitsOff: `max_queued_messages 0` (unlimited) instead of 1,000,000, as in issue 14's comparison. */
export async function startMosquitto(opts: { limitsOff?: boolean } = {}): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mosq-bench-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      'user root',
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `max_queued_messages ${opts.limitsOff ? 0 : 1000000}`,
      'max_queued_bytes 0',
      'max_inflight_messages 0',
      'max_keepalive 65535',
      'persistence false',
      // protohub sets TCP_NODELAY on every client socket; mosquitto only when asked
      'set_tcp_nodelay true',
      'log_type error',
      'log_dest stderr',
      '',
    ].join('\n'),
  );
  let out = '';
  const spawnedAtMs = Date.now();
  const spawnedAt = process.hrtime.bigint();
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => {
    out = (out + d).slice(-4000);
  });
  child.stderr?.on('data', (d) => {
    out = (out + d).slice(-4000);
  });
  const readyMs = await waitReady(child, port, spawnedAt, () => out);
  const stop = stopper(child);
  return {
    name: 'mosquitto',
    port,
    pid: child.pid!,
    readyMs,
    spawnedAt: spawnedAtMs,
    dropped: async () => null,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
