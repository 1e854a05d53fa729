/**
 * libcoap's `coap-client-notls` (Debian libcoap3-bin) as the real CoAP peer of the tests: one request, or an
 * observation whose notifications are collected as they arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface CoapClientResult {
  exitCode: number | null;
  /** The response payload(s), as coap-client writes them with `-o -`. */
  stdout: string;
  stderr: string;
}

/** Run coap-client-notls with `args` (the URI last) and wait for it to exit. */
export function coapClient(args: string[], timeoutMs = 20_000): Promise<CoapClientResult> {
  return runCoapClientBinary('coap-client-notls', args, timeoutMs);
}

/** Run libcoap's client `bin` (any of its TLS builds) with `args` (the URI last) and wait for it to exit. */
export function runCoapClientBinary(bin: string, args: string[], timeoutMs: number): Promise<CoapClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-B', String(Math.ceil(timeoutMs / 1000)), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs + 5000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
}

export interface CoapObserver {
  /** Notification payloads received completely so far, one per line (`-w` appends a newline to each). */
  lines(): string[];
  /**
   * What coap-client logged so far (with `-v 7` in `extra`: every PDU it sent and received). libcoap writes debug
   * lines to stdout, so pass `outputFile` to keep the payloads apart from them.
   */
  log(): string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Observe `uri` for `seconds` (coap-client -s); payloads arrive through lines() (from stdout or `outputFile`). */
export function coapObserve(uri: string, seconds: number, extra: string[] = [], outputFile?: string): CoapObserver {
  return observeWithCoapClientBinary('coap-client-notls', uri, seconds, extra, outputFile);
}

/** coapObserve with libcoap's client `bin` (any of its TLS builds). */
export function observeWithCoapClientBinary(
  bin: string,
  uri: string,
  seconds: number,
  extra: string[] = [],
  outputFile?: string,
): CoapObserver {
  const output = outputFile ?? '-';
  const child = spawn(bin, ['-m', 'get', '-s', String(seconds), '-w', '-o', output, ...extra, uri], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let log = '';
  child.stdout!.on('data', (d: Buffer) => ((stdout += d.toString()), (log += d.toString())));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const payloads = () => (outputFile ? (existsSync(outputFile) ? readFileSync(outputFile, 'utf8') : '') : stdout);
  return {
    child,
    log: () => log,
    // only complete lines: libcoap writes a blockwise body block by block, and -w's newline ends it
    lines: () =>
      payloads()
        .split('\n')
        .slice(0, -1)
        .filter((l) => l.length > 0),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
