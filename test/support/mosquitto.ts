/**
 * A real mosquitto broker for tests (the upstream EMQX stand-in), on a free loopback port, killed on stop().
 * Runs as root (`user root`) so it can write the persistence folder the test created, with explicit queue limits
 * because mosquitto's defaults drop QoS 1 past 1,000 queued messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './net.js';
import { tempDir } from './tmp.js';

export interface MosquittoOptions {
  port?: number;
  /** Extra lines appended to mosquitto.conf (e.g. TLS listener settings). */
  extraConfig?: string[];
  persistence?: boolean;
  /** Directory for persistence (reuse it across restarts). */
  dir?: string;
}

export interface MosquittoInstance {
  port: number;
  dir: string;
  url: string;
  process: ChildProcess;
  /** Captured stderr+stdout (mosquitto logs) for diagnostics. */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 25)); // polling: a listening port raises no event we can await
  }
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoInstance> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? tempDir('protohub-mosq-');
  const conf = [
    'user root',
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'max_queued_messages 1000000',
    'max_queued_bytes 0',
    'max_inflight_messages 0',
    'max_keepalive 65535',
    `persistence ${opts.persistence ? 'true' : 'false'}`,
    `persistence_location ${dir}/`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_dest stderr',
    ...(opts.extraConfig ?? []),
  ];
  const confFile = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(confFile, conf.join('\n') + '\n');
  const child = spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  try {
    await waitForPort(port, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return {
    port,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    process: child,
    log: () => log,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
