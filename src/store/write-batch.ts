/**
 * Group commit for the SQLite store: the first write of an event-loop turn opens a transaction, which commits
 * on setImmediate (or flush()). One fsync per turn instead of one per message is what makes QoS 1 throughput
 * independent of disk latency; afterCommit callbacks (PUBACKs) are released only once their batch is durable.
 */
import type { Logger } from '../logger.js';
import { StoreError } from '../errors.js';
import { STORE_CODES } from './codes.js';

export interface BatchTransaction {
  begin(): void;
  commit(): void;
  rollback(): void;
  /** SQLite can roll a transaction back on its own (SQLITE_FULL, SQLITE_IOERR…); commit must notice. */
  readonly inTransaction: boolean;
}

export interface WriteBatchHooks {
  logger: Logger;
  onError: (err: StoreError) => void;
  /** After each successful commit: how many writes it made durable and how long COMMIT took. */
  onCommit?: (writes: number, commitMs: number) => void;
}

export class WriteBatch {
  readonly #tx: BatchTransaction;
  readonly #hooks: WriteBatchHooks;
  #open = false;
  #writes = 0;
  #timer: NodeJS.Immediate | undefined;
  #callbacks: Array<() => void> = [];

  constructor(tx: BatchTransaction, hooks: WriteBatchHooks) {
    this.#tx = tx;
    this.#hooks = hooks;
  }

  get pending(): boolean {
    return this.#open;
  }

  /** Called before every write: joins the open batch or starts one. */
  ensureOpen(): void {
    this.#writes++;
    if (this.#open) return;
    this.#writes = 1;
    this.#tx.begin();
    this.#open = true;
    this.#timer = setImmediate(() => this.commit());
  }

  afterCommit(fn: () => void): void {
    if (this.#open) this.#callbacks.push(fn);
    else this.#run(fn);
  }

  /** Commit the open batch, then run its callbacks in the order they were registered. */
  commit(): void {
    if (!this.#open) return;
    this.#open = false;
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = undefined;
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    const started = performance.now();
    try {
      if (!this.#tx.inTransaction) throw new Error('SQLite rolled the transaction back after a failed write');
      this.#tx.commit();
    } catch (cause) {
      this.#fail(cause, callbacks.length);
      return;
    }
    this.#hooks.onCommit?.(this.#writes, performance.now() - started);
    for (const fn of callbacks) this.#run(fn);
  }

  // The writes are gone, so the callbacks must never run: a PUBACK for a lost message would break QoS 1.
  #fail(cause: unknown, dropped: number): void {
    try {
      if (this.#tx.inTransaction) this.#tx.rollback();
    } catch (rollbackError) {
      this.#hooks.logger.error({ err: rollbackError }, 'store rollback after failed commit failed');
    }
    const err = new StoreError(STORE_CODES.commit, `store commit failed; ${dropped} afterCommit callback(s) dropped`, {
      cause,
    });
    this.#hooks.logger.error({ err }, err.message);
    this.#hooks.onError(err);
  }

  // A throwing callback is a caller bug; it must not skip the callbacks after it or escape into setImmediate.
  #run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#hooks.logger.error({ err }, 'store afterCommit callback threw');
    }
  }
}
