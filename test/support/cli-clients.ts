/**
 * mosquitto_pub / mosquitto_sub (Debian mosquitto-clients 2.0) as third-party MQTT clients.
 * They speak TCP and TLS only: Debian builds them without WebSocket support, so WebSocket interop is tested
 * with MQTT.js alone. Output is parsed from `-d` debug lines (to learn when SUBACK arrived, so publishing can
 * start without a sleep) and a fixed `-F` format with the payload in hex.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { withTimeout } from './hub.js';

export interface CliCommon {
  port: number;
  host?: string;
  version?: 'mqttv5' | 'mqttv311';
  clientId?: string;
  username?: string;
  password?: string;
  qos?: 0 | 1 | 2;
  /** TLS: CA to verify the server, optional client certificate and key. */
  tls?: { cafile: string; cert?: string; key?: string };
  /** Extra raw arguments. */
  args?: string[];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function commonArgs(o: CliCommon): string[] {
  const a = ['-h', o.host ?? '127.0.0.1', '-p', String(o.port), '-V', o.version ?? 'mqttv5'];
  if (o.clientId) a.push('-i', o.clientId);
  if (o.username !== undefined) a.push('-u', o.username);
  if (o.password !== undefined) a.push('-P', o.password);
  if (o.qos !== undefined) a.push('-q', String(o.qos));
  if (o.tls) {
    a.push('--cafile', o.tls.cafile);
    if (o.tls.cert) a.push('--cert', o.tls.cert);
    if (o.tls.key) a.push('--key', o.tls.key);
  }
  return [...a, ...(o.args ?? [])];
}

function run(bin: string, args: string[], timeoutMs: number): { child: ChildProcess; done: Promise<CliResult> } {
  // Line-buffered stdout: on a pipe libc would hold the SUBACK/debug lines until exit.
  const child = spawn('stdbuf', ['-oL', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  const done = withTimeout(exited, timeoutMs, `${bin} ${args.join(' ')} did not exit`).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  });
  return { child, done };
}

export interface PubOptions extends CliCommon {
  topic: string;
  message: string;
  retain?: boolean;
}

/** Publish one message with mosquitto_pub; resolves with its exit code and output (-d debug lines). */
export function mosquittoPub(o: PubOptions, timeoutMs = 10_000): Promise<CliResult> {
  const args = ['-d', ...commonArgs(o), '-t', o.topic, '-m', o.message];
  if (o.retain) args.push('-r');
  return run('mosquitto_pub', args, timeoutMs).done;
}

export interface SubMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
}

export interface SubOptions extends CliCommon {
  topics: string[];
  /** Exit after this many messages (-C). */
  count?: number;
  /** mosquitto_sub's own timeout in seconds (-W). */
  waitSec?: number;
}

export interface SubHandle {
  /** Granted QoS / reason codes once SUBACK arrived. Rejects if the client exits first. */
  subscribed: Promise<number[]>;
  /** Exit result and parsed messages. */
  done: Promise<CliResult & { messages: SubMessage[] }>;
  kill(): void;
}

/** Run mosquitto_sub; `subscribed` resolves on the SUBACK so the test can publish without sleeping. */
export function mosquittoSub(o: SubOptions, timeoutMs = 15_000): SubHandle {
  const args = ['-d', ...commonArgs(o), '-F', 'MSG %t %r %q %x'];
  for (const t of o.topics) args.push('-t', t);
  if (o.count !== undefined) args.push('-C', String(o.count));
  args.push('-W', String(o.waitSec ?? Math.ceil(timeoutMs / 1000)));
  const { child, done } = run('mosquitto_sub', args, timeoutMs + 2_000);
  let out = '';
  const subscribed = new Promise<number[]>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      // "Subscribed (mid: 1): 0, 1" follows the SUBACK debug line.
      const m = /Subscribed \(mid: \d+\): ([\d, ]+)/.exec(out);
      if (m) resolve(m[1].split(',').map((s) => Number(s.trim())));
    });
    child.once('close', () => reject(new Error(`mosquitto_sub exited before SUBACK:\n${out}`)));
  });
  const subscribedWithin = withTimeout(subscribed, timeoutMs, 'mosquitto_sub got no SUBACK');
  // A resumed session may get its queued messages and exit (-C) before SUBACK: callers then ignore this.
  subscribedWithin.catch(() => {});
  return {
    subscribed: subscribedWithin,
    done: done.then((r) => ({ ...r, messages: parseMessages(r.stdout) })),
    kill: () => child.kill('SIGKILL'),
  };
}

export function parseMessages(stdout: string): SubMessage[] {
  const out: SubMessage[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^MSG (\S+) (\d) (\d) ([0-9a-f]*)$/.exec(line);
    if (m) out.push({ topic: m[1], retain: m[2] === '1', qos: Number(m[3]), payload: Buffer.from(m[4], 'hex') });
  }
  return out;
}

/** mosquitto_pub's CONNACK result line from -d output ("received CONNACK (5)"), or undefined. */
export function connackCode(result: CliResult): number | undefined {
  const m = /received CONNACK \((\d+)\)/.exec(result.stdout + result.stderr);
  return m ? Number(m[1]) : undefined;
}
