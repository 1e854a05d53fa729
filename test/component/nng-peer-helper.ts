/**
 * Drives nanocat (nanomsg-utils) and the compiled libnng peer (test/support/nng-peer.c) from tests. Both print
 * one received message per line; nanocat with --quoted (C-escaped, in double quotes).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/tmp.js';

export class LinePeer {
  readonly lines: string[] = [];
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #exited: Promise<number | null>;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(bin: string, args: string[], parse: (line: string) => string = (l) => l) {
    this.#proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#exited = new Promise((resolve) => this.#proc.once('exit', (code) => resolve(code)));
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      this.lines.push(parse(line));
      this.#waiters = this.#waiters.filter((w) => (w.test() ? (w.resolve(), false) : true));
    });
    this.#proc.stderr.on('data', (d: Buffer) => this.lines.push(`stderr: ${d.toString().trim()}`));
  }

  waitFor(test: (lines: string[]) => boolean): Promise<void> {
    if (test(this.lines)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test: () => test(this.lines), resolve }));
  }

  exited(): Promise<number | null> {
    return this.#exited;
  }

  async kill(): Promise<void> {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill('SIGKILL');
    await this.#exited;
  }
}

/** "\"a \\\"b\\\"\"" → a "b" (nanocat --quoted output; tests send printable text only). */
export function unquote(line: string): string {
  if (!line.startsWith('"')) return line;
  return line.slice(1, -1).replace(/\\(.)/g, '$1');
}

const PRINTS = new Set(['--pull', '--sub', '--req', '--rep', '--bus', '--pair']);

/** nanocat with --quoted output for the socket types that receive (it refuses the option on the others). */
export function nanocat(args: string[]): LinePeer {
  const prints = args.some((a) => PRINTS.has(a));
  return new LinePeer('nanocat', prints ? [...args, '--quoted'] : args, unquote);
}

const SOURCE = fileURLToPath(new URL('../support/nng-peer.c', import.meta.url));
let compiled: string | undefined;

/** Compile test/support/nng-peer.c against libnng once per test file. */
export function nngPeerBinary(): string {
  if (compiled && existsSync(compiled)) return compiled;
  const out = join(tempDir('nng-peer-'), 'nng-peer');
  execFileSync('cc', ['-O1', '-o', out, SOURCE, '-lnng'], { stdio: 'pipe' });
  compiled = out;
  return out;
}

export function nngPeer(args: string[]): LinePeer {
  return new LinePeer(nngPeerBinary(), args);
}
