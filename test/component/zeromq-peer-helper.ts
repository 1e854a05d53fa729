/**
 * Drives test/support/zmq-peer.py (python3-zmq in a separate process) from tests: JSON lines over stdio.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../support/zmq-peer.py', import.meta.url));

export class PyZmqPeer {
  readonly received: Buffer[][] = [];
  readonly #proc: ChildProcessWithoutNullStreams;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  #ready: Promise<void>;
  #exited: Promise<void>;

  private constructor(args: string[]) {
    this.#proc = spawn('/usr/bin/python3', [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#exited = new Promise((resolve) => this.#proc.once('exit', () => resolve()));
    let markReady!: () => void;
    this.#ready = new Promise((resolve, reject) => {
      markReady = resolve;
      this.#proc.once('exit', (code) => reject(new Error(`zmq-peer exited with ${code} before ready`)));
    });
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; frames?: string[] };
      if (msg.ready) markReady();
      if (msg.frames) this.received.push(msg.frames.map((f) => Buffer.from(f, 'base64')));
      this.#waiters = this.#waiters.filter((w) => (w.test() ? (w.resolve(), false) : true));
    });
    this.#proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[zmq-peer] ${d.toString()}`));
  }

  static async start(
    kind: 'sub' | 'pull' | 'pub' | 'push',
    mode: 'bind' | 'connect',
    endpoint: string,
    hwm?: number,
  ): Promise<PyZmqPeer> {
    const peer = new PyZmqPeer([kind, mode, endpoint, ...(hwm === undefined ? [] : [String(hwm)])]);
    await peer.#ready;
    return peer;
  }

  send(frames: (Buffer | string)[]): void {
    this.#proc.stdin.write(`${JSON.stringify({ frames: frames.map((f) => Buffer.from(f).toString('base64')) })}\n`);
  }

  /** A sender sends [burst/<i>, <i>] for i = 0..n-1 as fast as its socket takes them. */
  burst(n: number): void {
    this.#proc.stdin.write(`${JSON.stringify({ burst: n })}\n`);
  }

  stopReading(): void {
    this.#proc.stdin.write(`${JSON.stringify({ stop_reading: true })}\n`);
  }

  /** Resolves once `test` holds over the received messages (checked on every message). */
  waitFor(test: (received: Buffer[][]) => boolean): Promise<void> {
    if (test(this.received)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test: () => test(this.received), resolve }));
  }

  /** Kill the peer process (a dead peer, not a clean close). */
  async kill(): Promise<void> {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill('SIGKILL');
    await this.#exited;
  }
}
