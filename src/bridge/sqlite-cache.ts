/**
 * SQLite cache backend: `<store.dir>/bridge-<name>.db`, WAL, prepared statements. A row is written before the
 * message is sent and deleted only after the upstream acknowledged it, so `kill -9` loses nothing committed.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PublishProperties, QoS } from '../envelope.js';
import { StoreError } from '../errors.js';
import type { CacheBackend, CachedMessage, OutboundMessage } from './cache-types.js';

interface Row {
  seq: number; topic: string; payload: Buffer; qos: number; retain: number; props: string | null; received_at: number; size: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
  props TEXT, received_at INTEGER NOT NULL, size INTEGER NOT NULL
);`;

function encodeProps(p: PublishProperties | undefined): string | null {
  if (!p || Object.keys(p).length === 0) return null;
  return JSON.stringify({ ...p, correlationData: p.correlationData?.toString('base64') });
}

function decodeProps(s: string | null): PublishProperties | undefined {
  if (!s) return undefined;
  const o = JSON.parse(s) as Omit<PublishProperties, 'correlationData'> & { correlationData?: string };
  return { ...o, correlationData: o.correlationData === undefined ? undefined : Buffer.from(o.correlationData, 'base64') };
}

function toMessage(r: Row): CachedMessage {
  return { seq: r.seq, topic: r.topic, payload: r.payload, qos: r.qos as QoS, retain: r.retain === 1, properties: decodeProps(r.props), receivedAt: r.received_at, size: r.size };
}

export class SqliteCacheBackend implements CacheBackend {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  #db?: Database.Database;
  #stmts?: ReturnType<SqliteCacheBackend['prepare']>;
  #count = 0;
  #bytes = 0;
  #lastSeq = 0;

  constructor(file: string) {
    this.file = file;
  }

  open(): void {
    if (this.#db) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash (kill -9); only power loss can lose the last commits
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      this.#db = db;
      this.#stmts = this.prepare(db);
      const agg = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM messages').get() as { n: number; b: number };
      this.#count = agg.n;
      this.#bytes = agg.b;
      const seqRow = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as { seq: number } | undefined;
      this.#lastSeq = seqRow?.seq ?? 0;
    } catch (err) {
      this.#db?.close();
      this.#db = undefined;
      throw new StoreError('PH_BRIDGE_CACHE_OPEN', `cannot open bridge cache ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }

  private prepare(db: Database.Database) {
    return {
      insert: db.prepare('INSERT INTO messages (topic, payload, qos, retain, props, received_at, size) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      del: db.prepare('DELETE FROM messages WHERE seq = ? RETURNING size'),
      readAfter: db.prepare('SELECT * FROM messages WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?'),
      oldest: db.prepare('SELECT seq, size FROM messages ORDER BY seq LIMIT ?'),
      oldestAt: db.prepare('SELECT received_at FROM messages ORDER BY seq LIMIT 1'),
    };
  }

  #s() {
    if (!this.#stmts) throw new StoreError('PH_BRIDGE_CACHE_CLOSED', `bridge cache ${this.file} is not open`);
    return this.#stmts;
  }

  close(): void {
    this.#db?.close();
    this.#db = undefined;
    this.#stmts = undefined;
  }

  transaction<T>(fn: () => T): T {
    if (!this.#db) throw new StoreError('PH_BRIDGE_CACHE_CLOSED', `bridge cache ${this.file} is not open`);
    const saved = [this.#count, this.#bytes, this.#lastSeq];
    try {
      return this.#db.transaction(fn)();
    } catch (err) {
      // rolled back: the in-memory tallies must follow
      [this.#count, this.#bytes, this.#lastSeq] = saved;
      throw err;
    }
  }

  insert(msg: OutboundMessage, size: number): number {
    const r = this.#s().insert.run(msg.topic, msg.payload, msg.qos, msg.retain ? 1 : 0, encodeProps(msg.properties), msg.receivedAt, size);
    this.#count++;
    this.#bytes += size;
    this.#lastSeq = Number(r.lastInsertRowid);
    return this.#lastSeq;
  }

  delete(seq: number): boolean {
    const r = this.#s().del.get(seq) as { size: number } | undefined;
    if (!r) return false;
    this.#count--;
    this.#bytes -= r.size;
    return true;
  }

  readAfter(afterSeq: number, limit: number, maxSeq = Number.MAX_SAFE_INTEGER): CachedMessage[] {
    return (this.#s().readAfter.all(afterSeq, maxSeq, limit) as Row[]).map(toMessage);
  }

  oldest(limit: number): Array<{ seq: number; size: number }> {
    return this.#s().oldest.all(limit) as Array<{ seq: number; size: number }>;
  }

  count(): number {
    return this.#count;
  }

  bytes(): number {
    return this.#bytes;
  }

  lastSeq(): number {
    return this.#lastSeq;
  }

  oldestReceivedAt(): number | undefined {
    return (this.#s().oldestAt.get() as { received_at: number } | undefined)?.received_at;
  }
}
