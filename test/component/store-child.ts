/**
 * Child process for store crash tests (spawned as `node --import tsx store-child.ts <mode> <dir> <synchronous>`).
 * Writes through SqliteStore and prints one line per durable step on fd 1, synchronously, so every line the
 * parent reads names data that was committed before the line was written.
 *   enqueue: forever, enqueue a few messages per event-loop turn and print `committed <last index>` after commit.
 *   fsize:   enqueue 64 KiB messages, one per turn, under a small RLIMIT_FSIZE; print `committed <i>` per commit and
 *            `error <code>` from onError, then `alive` and exit 0 (the process must survive the failed commit).
 */
import { writeSync } from 'node:fs';
import { SqliteStore } from '../../src/store/index.js';
import type { StoredMessage } from '../../src/store/index.js';

const [mode, dir, synchronous] = process.argv.slice(2);
const MAX_MESSAGES = 1_000_000; // the parent kills us long before; this only bounds an orphan

function say(line: string): void {
  try {
    writeSync(1, `${line}\n`);
  } catch {
    process.exit(3); // parent gone (EPIPE): do not keep writing to disk as an orphan
  }
}

const message = (i: number, size = 0): StoredMessage => ({
  topic: `t/${i}`,
  payload: size > 0 ? Buffer.alloc(size, i % 256) : Buffer.from(String(i)),
  qos: 1,
  retain: false,
  receivedAt: i,
});

function runEnqueue(store: SqliteStore): void {
  store.saveSession({ clientId: 'c', protocolVersion: 5, expiryInterval: 3600, subscriptions: [] });
  let next = 0;
  const turn = (): void => {
    const count = 1 + (next % 37);
    for (let k = 0; k < count; k++) store.enqueue('c', message(next++), 1);
    const last = next - 1;
    store.afterCommit(() => say(`committed ${last}`));
    if (next < MAX_MESSAGES) setImmediate(turn);
    else store.close();
  };
  turn();
}

let failed = false;

function runFsize(store: SqliteStore): void {
  process.on('SIGXFSZ', () => {}); // without a handler the kernel kills us; with one, write() fails with EFBIG
  let next = 0;
  const turn = (): void => {
    if (failed) {
      say('alive');
      store.close();
      return;
    }
    const i = next++;
    try {
      store.enqueue('c', message(i, 64 * 1024), 1);
      store.afterCommit(() => say(`committed ${i}`));
    } catch (err) {
      say(`error ${(err as { code?: string }).code}`);
      failed = true;
    }
    setImmediate(turn);
  };
  turn();
}

const store = new SqliteStore({
  dir: dir!,
  synchronous: synchronous === 'full' ? 'full' : 'normal',
  onError: (err) => {
    say(`error ${err.code}`);
    failed = true;
  },
});
store.open();
if (mode === 'enqueue') runEnqueue(store);
else if (mode === 'fsize') runFsize(store);
else throw new Error(`unknown mode ${mode}`);
