/**
 * BrokerStore on SQLite (better-sqlite3): file `<dir>/protohub.db`, WAL journal, group commit per event-loop
 * turn (see write-batch.ts). Survives `kill -9` with synchronous=normal and power loss with synchronous=full.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { QoS } from '../envelope.js';
import { StateError, StoreError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { STORE_CODES, type StoreCode } from './codes.js';
import { encodeSubscriptionIds, messageColumns, messageValues } from './row-codec.js';
import { sessionsFromRows, sessionMessageFromRow, retainedFromRow } from './sqlite-rows.js';
import { migrate } from './sqlite-schema.js';
import { prepareStatements, type MessageRow, type Statements } from './sqlite-statements.js';
import type { BrokerStore, SessionMessage, StoredMessage, StoredSession } from './types.js';
import { WriteBatch } from './write-batch.js';

export const DB_FILE_NAME = 'protohub.db';

export interface SqliteStoreOptions {
  /** Directory of protohub.db; created on open() if missing. */
  dir: string;
  /** normal: a committed batch survives a process crash; full: also an OS crash or power loss. */
  synchronous: 'normal' | 'full';
  /** Largest database file in bytes (SQLite max_page_count); a write beyond fails like a full disk. 0 = none. */
  maxBytes?: number;
  logger?: Logger;
  /** Receives failures that cannot be thrown to a caller (commit on setImmediate, corrupt rows skipped on load). */
  onError?: (err: StoreError) => void;
  metrics?: Metrics;
  /** How long a statement waits for a lock held by another process (e.g. a backup), default 2000 ms. */
  busyTimeoutMs?: number;
}

interface Connection {
  db: Database.Database;
  stmts: Statements;
  batch: WriteBatch;
}

export class SqliteStore implements BrokerStore {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  readonly #opts: SqliteStoreOptions;
  readonly #logger: Logger;
  #conn: Connection | undefined;

  constructor(opts: SqliteStoreOptions) {
    this.#opts = opts;
    this.#logger = opts.logger ?? silentLogger();
    this.path = join(opts.dir, DB_FILE_NAME);
  }

  open(): void {
    if (this.#conn) return;
    let db: Database.Database | undefined;
    try {
      mkdirSync(this.#opts.dir, { recursive: true });
      db = new Database(this.path, { timeout: this.#opts.busyTimeoutMs ?? 2000 });
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') this.#logger.warn({ path: this.path, mode }, 'store: WAL unavailable on this filesystem');
      db.pragma(`synchronous = ${this.#opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // Truncate the WAL back to 64 MiB after checkpoints so a burst does not leave a huge file behind.
      db.pragma('journal_size_limit = 67108864');
      if (this.#opts.maxBytes) {
        const pageSize = Number(db.pragma('page_size', { simple: true }));
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(this.#opts.maxBytes / pageSize))}`);
      }
      migrate(db, this.path);
      const stmts = prepareStatements(db);
      const conn: Connection = { db, stmts, batch: this.#newBatch(db, stmts) };
      this.#conn = conn;
    } catch (cause) {
      db?.close();
      if (cause instanceof StoreError) throw this.#count(cause);
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw this.#count(new StoreError(STORE_CODES.open, `cannot open store ${this.path}: ${reason}`, { cause }));
    }
    this.#logger.info({ path: this.path, synchronous: this.#opts.synchronous }, 'store opened');
  }

  close(): void {
    const conn = this.#conn;
    if (!conn) return;
    conn.batch.commit();
    this.#conn = undefined;
    conn.db.close();
  }

  flush(): void {
    this.#conn?.batch.commit();
  }

  afterCommit(fn: () => void): void {
    this.#require().batch.afterCommit(fn);
  }

  /**
   * Consistent online copy of the database to `destPath` (SQLite backup API), with everything written so far.
   * Copying protohub.db alone while the hub runs is not a backup: recent commits live in protohub.db-wal.
   */
  async backup(destPath: string): Promise<void> {
    const conn = this.#require();
    conn.batch.commit();
    try {
      await conn.db.backup(destPath);
    } catch (cause) {
      throw this.#wrap(STORE_CODES.backup, `backup to ${destPath}`, cause);
    }
  }

  loadSessions(): StoredSession[] {
    return this.#read('loadSessions', (s) => {
      const sessions = sessionsFromRows(s.selectSessions.all(), s.selectSubscriptions.all(), (e) => this.#corrupt(e));
      const byClient = new Map(sessions.map((x) => [x.clientId, x]));
      for (const row of s.selectAwaitingRel.all()) {
        const session = byClient.get(row.client_id);
        if (session) (session.awaitingRel ??= []).push(row.packet_id);
      }
      return sessions;
    });
  }

  saveSession(session: StoredSession): void {
    this.#write('saveSession', (s) => {
      s.upsertSession.run({
        client_id: session.clientId,
        protocol_version: session.protocolVersion,
        expiry_interval: session.expiryInterval,
        disconnected_at: session.disconnectedAt ?? null,
      });
      s.deleteSubscriptions.run(session.clientId);
      for (const sub of session.subscriptions) {
        s.insertSubscription.run({
          client_id: session.clientId,
          filter: sub.filter,
          qos: sub.qos,
          no_local: sub.noLocal ? 1 : 0,
          retain_as_published: sub.retainAsPublished ? 1 : 0,
          retain_handling: sub.retainHandling,
          subscription_id: sub.subscriptionId ?? null,
        });
      }
    });
  }

  deleteSession(clientId: string): void {
    this.#write('deleteSession', (s) => {
      s.deleteSession.run(clientId);
      s.deleteSubscriptions.run(clientId);
      s.deleteMessages.run(clientId);
      s.deleteAwaitingRelOf.run(clientId);
    });
  }

  setAwaitingRel(clientId: string, packetId: number, awaiting: boolean): void {
    this.#write('setAwaitingRel', (s) => {
      if (awaiting) s.insertAwaitingRel.run(clientId, packetId);
      else s.deleteAwaitingRel.run(clientId, packetId);
    });
  }

  enqueue(clientId: string, message: StoredMessage, qos: QoS, subscriptionIds?: number[]): number {
    return this.#write('enqueue', (s) => {
      const info = s.insertMessage.run(
        clientId,
        qos,
        encodeSubscriptionIds(subscriptionIds),
        ...messageValues(message),
      );
      return Number(info.lastInsertRowid);
    });
  }

  markInflight(clientId: string, seq: number, packetId: number, state: 'publish' | 'pubrel'): void {
    this.#write('markInflight', (s) => s.markInflight.run(packetId, state, clientId, seq));
  }

  remove(clientId: string, seq: number): void {
    this.#write('remove', (s) => s.removeMessage.run(clientId, seq));
  }

  loadMessages(clientId: string): SessionMessage[] {
    return this.#read('loadMessages', (s) => {
      const out: SessionMessage[] = [];
      // all(), not iterate(): onError may call back into the store, which a connection busy iterating refuses.
      for (const row of s.selectMessages.all(clientId)) {
        const m = this.#decode(() => sessionMessageFromRow(row), `session_messages seq ${row.seq}`);
        if (m) out.push(m);
      }
      return out;
    });
  }

  loadInflight(clientId: string): SessionMessage[] {
    return this.#read('loadInflight', (s) => this.#decodeRows(s.selectInflight.all(clientId)));
  }

  loadQueued(clientId: string, afterSeq: number, limit: number): SessionMessage[] {
    return this.#read('loadQueued', (s) => this.#decodeRows(s.selectQueuedAfter.all(clientId, afterSeq, limit)));
  }

  queuedStats(clientId: string, afterSeq: number): { count: number; bytes: number } {
    return this.#read('queuedStats', (s) => {
      const r = s.queuedStatsAfter.get(clientId, afterSeq);
      return { count: r?.n ?? 0, bytes: r?.bytes ?? 0 };
    });
  }

  #decodeRows(rows: MessageRow[]): SessionMessage[] {
    const out: SessionMessage[] = [];
    for (const row of rows) {
      const m = this.#decode(() => sessionMessageFromRow(row), `session_messages seq ${row.seq}`);
      if (m) out.push(m);
    }
    return out;
  }

  countMessages(clientId: string): number {
    return this.#read('countMessages', (s) => s.countMessages.get(clientId)?.n ?? 0);
  }

  loadRetained(): Array<{ topic: string; message: StoredMessage }> {
    return this.#read('loadRetained', (s) => {
      const out: Array<{ topic: string; message: StoredMessage }> = [];
      for (const row of s.selectRetained.all()) {
        const r = this.#decode(() => retainedFromRow(row), `retained topic ${JSON.stringify(row.topic)}`);
        if (r) out.push(r);
      }
      return out;
    });
  }

  setRetained(topic: string, message: StoredMessage | null): void {
    this.#write('setRetained', (s) => {
      if (message === null) s.deleteRetained.run(topic);
      else s.upsertRetained.run({ ...messageColumns(message), topic });
    });
  }

  #newBatch(db: Database.Database, stmts: Statements): WriteBatch {
    const m = this.#opts.metrics;
    const commits = m?.counter('protohub_store_commits_total', 'store transactions committed');
    const writes = m?.counter(
      'protohub_store_writes_total',
      'store write calls made durable (divide by commits for the batch size)',
    );
    const commitSeconds = m?.histogram(
      'protohub_store_commit_seconds',
      'time to COMMIT one batch (fsync included with synchronous=full)',
      [],
      [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    );
    return new WriteBatch(
      {
        begin: () => stmts.begin.run(),
        commit: () => stmts.commit.run(),
        rollback: () => stmts.rollback.run(),
        get inTransaction() {
          return db.inTransaction;
        },
      },
      {
        logger: this.#logger,
        onError: (e) => this.#report(e),
        onCommit: (n, ms) => {
          commits?.inc();
          writes?.inc(n);
          commitSeconds?.observe(ms / 1000);
        },
      },
    );
  }

  #require(): Connection {
    if (!this.#conn) throw new StateError(STORE_CODES.closed, `store ${this.path} is not open`);
    return this.#conn;
  }

  #write<T>(op: string, fn: (s: Statements) => T): T {
    const conn = this.#require();
    try {
      conn.batch.ensureOpen();
      return fn(conn.stmts);
    } catch (cause) {
      throw this.#wrap(STORE_CODES.write, op, cause);
    }
  }

  #read<T>(op: string, fn: (s: Statements) => T): T {
    const conn = this.#require();
    try {
      return fn(conn.stmts);
    } catch (cause) {
      throw this.#wrap(STORE_CODES.read, op, cause);
    }
  }

  #decode<T>(fn: () => T, what: string): T | undefined {
    try {
      return fn();
    } catch (cause) {
      this.#corrupt(new StoreError(STORE_CODES.corrupt, `store ${this.path}: skipped undecodable ${what}`, { cause }));
      return undefined;
    }
  }

  #corrupt(err: StoreError): void {
    this.#logger.error({ err }, err.message);
    this.#report(err);
  }

  #wrap(code: StoreCode, op: string, cause: unknown): StoreError {
    if (cause instanceof StoreError) return cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return this.#count(new StoreError(code, `store ${op} failed on ${this.path}: ${reason}`, { cause }));
  }

  #report(err: StoreError): void {
    this.#count(err);
    this.#opts.onError?.(err);
  }

  #count(err: StoreError): StoreError {
    this.#opts.metrics
      ?.counter('protohub_store_errors_total', 'store failures by error code', ['code'])
      .inc({ code: err.code });
    return err;
  }
}
