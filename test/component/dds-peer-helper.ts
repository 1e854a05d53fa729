/**
 * The Cyclone DDS C peer (test/support/dds-peer.c): compiled once per run with idlc + gcc against libddsc, run
 * with the shipped loopback-only Cyclone config. Prints one line per event; tests await lines.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/hub.js';
import { tempDir } from '../support/tmp.js';
import { eventually, withTimeout } from '../support/clients.js';

export const CYCLONE_URI = `file://${join(REPO_ROOT, 'config/examples/cyclonedds-loopback.xml')}`;

let compiled: string | undefined;

export function compileDdsPeer(): string {
  if (compiled && existsSync(compiled)) return compiled;
  const dir = tempDir('protohub-dds-peer-');
  for (const f of ['dds-peer.c', 'dds-peer-types.idl']) copyFileSync(join(REPO_ROOT, 'test/support', f), join(dir, f));
  execFileSync('idlc', ['-Wno-implicit-extensibility', 'dds-peer-types.idl'], { cwd: dir, stdio: 'pipe' });
  execFileSync('cc', ['-O1', '-I.', '-o', 'dds-peer', 'dds-peer.c', 'dds-peer-types.c', '-lddsc'], {
    cwd: dir,
    stdio: 'pipe',
  });
  compiled = join(dir, 'dds-peer');
  return compiled;
}

/**
 * A domain id of its own per test file, so concurrent runs never cross-talk (DDS loopback is shared): `slot`
 * (1..10, distinct per file: dds-gateway 1, dds-example 2, dds-interop 3) fixes the id modulo 10, so the files of
 * one run never share a domain, and the tens digit is random, so two runs side by side rarely do.
 */
export function randomDomain(slot: number): number {
  // RTPS well-known ports are 7400 + 250·domain + small offsets; domains 1..100 keep them below Linux's
  // ephemeral range (32768+), where other tests bind their UDP sockets (CoAP, MQTT-SN), so discovery traffic to
  // 127.0.0.1 never lands in another test's socket.
  return slot + 10 * Math.floor(Math.random() * 10);
}

export class DdsPeer {
  readonly lines: string[] = [];
  readonly #proc: ChildProcess;
  #waiters: (() => void)[] = [];
  stderr = '';

  protected constructor(proc: ChildProcess) {
    this.#proc = proc;
    let buf = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        for (const w of this.#waiters.splice(0)) w();
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  static start(domain: number, args: string[]): DdsPeer {
    const proc = spawn(compileDdsPeer(), [String(domain), ...args], {
      env: { ...process.env, CYCLONEDDS_URI: CYCLONE_URI },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DdsPeer(proc);
  }

  /** Resolves once `n` lines matching `pred` arrived. */
  async waitLines(pred: (l: string) => boolean, n = 1, ms = 30_000): Promise<string[]> {
    const matching = () => this.lines.filter(pred);
    await withTimeout(
      (async () => {
        while (matching().length < n) await new Promise<void>((r) => this.#waiters.push(r));
      })(),
      ms,
      () => `dds-peer: expected ${n} lines, got ${JSON.stringify(this.lines)} stderr ${this.stderr}`,
    );
    return matching();
  }

  /** Calls `send` until a line matching `seen` arrived: what is written before discovery completes can be lost. */
  async resendUntil(seen: (l: string) => boolean, send: () => void, what: string, ms = 30_000): Promise<void> {
    await eventually(
      () => {
        if (this.lines.some(seen)) return true;
        send();
        return false;
      },
      what,
      ms,
    );
  }

  kill(): void {
    if (this.#proc.exitCode === null) this.#proc.kill('SIGKILL');
  }
}

/** A second RTI Connector process (test/support/rti-peer.mjs), same line protocol as DdsPeer. */
export class RtiPeer extends DdsPeer {
  static override start(domain: number, args: string[]): RtiPeer {
    const proc = spawn(process.execPath, [join(REPO_ROOT, 'test/support/rti-peer.mjs'), String(domain), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new RtiPeer(proc);
  }
}
