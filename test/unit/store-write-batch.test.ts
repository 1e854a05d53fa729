/**
 * WriteBatch group-commit logic against a scripted transaction (the SQLite side is covered by the component
 * tests; here we script the failures SQLite rarely produces on demand).
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { WriteBatch, type BatchTransaction } from '../../src/store/write-batch.js';

function scripted(opts: { failCommit?: boolean } = {}) {
  const calls: string[] = [];
  const errors: StoreError[] = [];
  const tx: BatchTransaction & { inTransaction: boolean } = {
    inTransaction: false,
    begin() {
      calls.push('begin');
      this.inTransaction = true;
    },
    commit() {
      calls.push('commit');
      if (opts.failCommit) throw new Error('disk I/O error');
      this.inTransaction = false;
    },
    rollback() {
      calls.push('rollback');
      this.inTransaction = false;
    },
  };
  const batch = new WriteBatch(tx, {
    logger: silentLogger(),
    onError: (e) => errors.push(e),
    onCommit: (writes) => calls.push(`onCommit ${writes}`),
  });
  return { tx, batch, calls, errors };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatch', () => {
  it('runs afterCommit immediately when no batch is open', () => {
    const { batch, calls } = scripted();
    const seen: number[] = [];
    batch.afterCommit(() => seen.push(1));
    batch.commit();
    expect(seen).toEqual([1]);
    expect(calls).toEqual([]);
  });

  it('opens one transaction per turn and commits it on setImmediate, then runs callbacks in order', async () => {
    const { batch, calls } = scripted();
    const seen: string[] = [];
    batch.ensureOpen();
    batch.afterCommit(() => seen.push(`a after ${calls.join(',')}`));
    batch.ensureOpen();
    batch.afterCommit(() => seen.push('b'));
    expect(calls).toEqual(['begin']);
    expect(batch.pending).toBe(true);
    await nextTurn();
    expect(seen).toEqual(['a after begin,commit,onCommit 2', 'b']);
    expect(batch.pending).toBe(false);
  });

  it('flush-style commit() commits now and the scheduled commit becomes a no-op', async () => {
    const { batch, calls } = scripted();
    batch.ensureOpen();
    batch.commit();
    await nextTurn();
    expect(calls).toEqual(['begin', 'commit', 'onCommit 1']);
  });

  it('a failed COMMIT rolls back, drops the callbacks and reports PH_STORE_COMMIT with the cause', async () => {
    const { batch, calls, errors } = scripted({ failCommit: true });
    let ran = false;
    batch.ensureOpen();
    batch.afterCommit(() => (ran = true));
    await nextTurn();
    expect(ran).toBe(false);
    expect(calls).toEqual(['begin', 'commit', 'rollback']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'PH_STORE_COMMIT', message: expect.stringContaining('1 afterCommit') });
    expect((errors[0].cause as Error).message).toBe('disk I/O error');
    expect(batch.pending).toBe(false);
  });

  it('a transaction SQLite already rolled back is reported, not committed', () => {
    const { tx, batch, calls, errors } = scripted();
    batch.ensureOpen();
    tx.inTransaction = false; // what SQLITE_FULL inside a statement does
    batch.commit();
    expect(calls).toEqual(['begin']);
    expect(errors.map((e) => e.code)).toEqual(['PH_STORE_COMMIT']);
  });

  it('a throwing callback does not stop the ones after it', () => {
    const { batch } = scripted();
    const seen: number[] = [];
    batch.ensureOpen();
    batch.afterCommit(() => {
      throw new Error('caller bug');
    });
    batch.afterCommit(() => seen.push(2));
    batch.commit();
    expect(seen).toEqual([2]);
  });

  it('a callback that writes starts a new batch; its own afterCommit waits for that batch', async () => {
    const { batch, calls } = scripted();
    const seen: string[] = [];
    batch.ensureOpen();
    batch.afterCommit(() => {
      batch.ensureOpen();
      batch.afterCommit(() => seen.push('second batch committed'));
      seen.push('first');
    });
    batch.commit();
    expect(seen).toEqual(['first']);
    await nextTurn();
    expect(seen).toEqual(['first', 'second batch committed']);
    expect(calls.filter((c) => c === 'commit')).toHaveLength(2);
  });
});
