/**
 * Durability against real process death: a child process writes through SqliteStore and prints a line after
 * each afterCommit; the parent SIGKILLs it mid-stream and checks that everything reported committed survived.
 * The second case makes commits fail for real (RLIMIT_FSIZE → EFBIG) and checks that no callback of a failed
 * batch ran and the process lived on.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/index.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const children = new Set<ReturnType<typeof spawn>>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL'); // only reached when a test failed before its child exited
  removeTempDirs();
});

const CHILD = fileURLToPath(new URL('./store-child.ts', import.meta.url));

interface ChildRun {
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when `stop(lines)` first returns true; then the child is SIGKILLed. */
  killed: Promise<void>;
}

function runChild(args: string[], stop: (lines: string[]) => boolean, ulimitBlocks?: number): ChildRun {
  const node = [process.execPath, '--import', 'tsx', CHILD, ...args];
  const child =
    ulimitBlocks === undefined
      ? spawn(node[0], node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
      : // ulimit -f is in 512-byte blocks under POSIX sh.
        spawn('/bin/sh', ['-c', `ulimit -f ${ulimitBlocks} && exec "$@"`, 'sh', ...node], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
  children.add(child);
  const lines: string[] = [];
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const killed = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (stop(lines)) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  return { lines, exit, killed };
}

function reopen(dir: string) {
  const store = new SqliteStore({ dir, synchronous: 'normal' });
  store.open();
  return store;
}

describe('SqliteStore under process death', () => {
  it.each([
    ['normal', 300],
    ['full', 40],
  ] as const)(
    'synchronous=%s: after SIGKILL every message reported committed is present, in order',
    async (sync, stopAfter) => {
      const dir = tempDir('protohub-crash-');
      const run = runChild(['enqueue', dir, sync], (lines) => lines.length >= stopAfter);
      await Promise.race([run.killed, run.exit]); // an early exit fails the assertion below instead of hanging
      expect((await run.exit).signal).toBe('SIGKILL');
      const reported = run.lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.split(' ')[1]));
      const lastReported = Math.max(...reported);
      expect(reported.length).toBeGreaterThanOrEqual(stopAfter);

      const store = reopen(dir);
      expect(store.loadSessions().map((s) => s.clientId)).toEqual(['c']);
      const messages = store.loadMessages('c');
      const indices = messages.map((m) => Number(m.message.payload.toString()));
      // Batches commit atomically, so what survived is exactly a prefix 0..n-1 that covers everything reported.
      expect(indices).toEqual(Array.from({ length: indices.length }, (_, i) => i));
      expect(indices.length).toBeGreaterThan(lastReported);
      const seqs = messages.map((m) => m.seq);
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);
      store.close();
    },
  );

  it("a commit that fails on a full file reports PH_STORE_COMMIT, never runs that batch's callbacks, and the process lives", async () => {
    const dir = tempDir('protohub-fsize-');
    const run = runChild(['fsize', dir, 'normal'], () => false, 2048);
    const { code } = await run.exit;
    expect(code).toBe(0);
    const errorAt = run.lines.findIndex((l) => l.startsWith('error '));
    expect(run.lines[errorAt]).toBe('error PH_STORE_COMMIT');
    expect(run.lines.slice(errorAt + 1)).toEqual(['alive']);
    const committed = run.lines.slice(0, errorAt).map((l) => Number(/^committed (\d+)$/.exec(l)![1]));
    expect(committed).toEqual(Array.from({ length: committed.length }, (_, i) => i));
    expect(committed.length).toBeGreaterThan(0);

    const store = reopen(dir);
    expect(store.loadMessages('c').map((m) => m.message.receivedAt)).toEqual(committed);
    store.close();
  });
});
