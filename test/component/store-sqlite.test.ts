/**
 * SqliteStore specifics beyond the shared contract: file layout, WAL, group commit, schema versioning and
 * what happens with damaged files, damaged rows and a locked database. A second, raw better-sqlite3
 * connection plays "another process" looking at the file.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { Metrics } from '../../src/metrics.js';
import { storeSchema } from '../../src/config/schema.js';
import { createStore, MemoryStore, SCHEMA_VERSION, SqliteStore, type StoredMessage } from '../../src/store/index.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const msg = (topic: string): StoredMessage => ({
  topic,
  payload: Buffer.from(topic),
  qos: 1,
  retain: false,
  receivedAt: 1,
});
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function openStore(extra: Partial<ConstructorParameters<typeof SqliteStore>[0]> = {}) {
  const dir = join(tempDir('protohub-sqlite-'), 'nested', 'data');
  const errors: StoreError[] = [];
  const metrics = new Metrics();
  const store = new SqliteStore({ dir, synchronous: 'normal', metrics, onError: (e) => errors.push(e), ...extra });
  return { dir, store, errors, metrics, raw: () => new Database(store.path, { readonly: true }) };
}

describe('SqliteStore', () => {
  it('does no I/O in the constructor; open() creates <dir>/protohub.db in WAL mode at the current schema version', () => {
    const { dir, store } = openStore();
    expect(store.path).toBe(join(dir, 'protohub.db'));
    expect(() => new Database(store.path, { fileMustExist: true })).toThrow();
    store.open();
    const raw = new Database(store.path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
    store.close();
  });

  it('batches all writes of one event-loop turn into one transaction that other connections see only after commit', async () => {
    const { store, raw, metrics } = openStore();
    store.open();
    const reader = raw();
    const count = () => (reader.prepare('SELECT count(*) AS n FROM session_messages').get() as { n: number }).n;
    const seenInCallback: number[] = [];
    for (let i = 0; i < 1000; i++) store.enqueue('c', msg(`t/${i}`), 1);
    store.afterCommit(() => seenInCallback.push(count()));
    expect(count()).toBe(0); // still in the open batch
    expect(seenInCallback).toEqual([]);
    await nextTurn();
    expect(seenInCallback).toEqual([1000]);
    expect(await metrics.value('protohub_store_commits_total')).toBe(1);
    expect(await metrics.value('protohub_store_writes_total')).toBe(1000);

    store.enqueue('c', msg('one more'), 1);
    store.afterCommit(() => seenInCallback.push(count()));
    store.flush(); // commits synchronously and releases the callback
    expect(seenInCallback).toEqual([1000, 1001]);
    expect(await metrics.value('protohub_store_commits_total')).toBe(2);
    expect(await metrics.value('protohub_store_writes_total')).toBe(1001);
    reader.close();
    store.close();
  });

  it('close() commits the pending batch and runs its callbacks', () => {
    const { store, raw } = openStore();
    store.open();
    let ran = false;
    store.setRetained('r', msg('r'));
    store.afterCommit(() => (ran = true));
    store.close();
    expect(ran).toBe(true);
    const reader = raw();
    expect(reader.prepare('SELECT topic FROM retained').all()).toEqual([{ topic: 'r' }]);
    reader.close();
  });

  it('a file that is not a database fails open() with PH_STORE_OPEN naming the path, and counts it', async () => {
    const { dir, store, metrics } = openStore();
    mkdirSync(dir, { recursive: true });
    writeFileSync(store.path, Buffer.alloc(8192, 0x5a));
    const err = (() => {
      try {
        store.open();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'PH_STORE_OPEN', message: expect.stringContaining(store.path) });
    expect(await metrics.value('protohub_store_errors_total', { code: 'PH_STORE_OPEN' })).toBe(1);
    expect(() => store.loadSessions()).toThrow(expect.objectContaining({ code: 'PH_STATE_STORE_CLOSED' }));
  });

  it('a valid header over a damaged schema page fails open() with PH_STORE_OPEN', () => {
    const { store } = openStore();
    store.open();
    store.enqueue('c', msg('t'), 1);
    store.close();
    const fd = openSync(store.path, 'r+');
    writeSync(fd, Buffer.alloc(3000, 0xab), 0, 3000, 100); // keep the 100-byte header, smash sqlite_schema
    closeSync(fd);
    expect(() => store.open()).toThrow(
      expect.objectContaining({ code: 'PH_STORE_OPEN', message: expect.stringContaining('malformed') }),
    );
  });

  it('a dir that is a file fails open() with PH_STORE_OPEN', () => {
    const file = join(tempDir('protohub-sqlite-'), 'not-a-dir');
    writeFileSync(file, 'x');
    const store = new SqliteStore({ dir: file, synchronous: 'full' });
    expect(() => store.open()).toThrow(
      expect.objectContaining({ code: 'PH_STORE_OPEN', message: expect.stringContaining(file) }),
    );
  });

  it('a database from a newer schema fails open() with PH_STORE_SCHEMA and is left untouched', () => {
    const { store } = openStore();
    store.open();
    store.close();
    const w = new Database(store.path);
    w.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    w.close();
    expect(() => store.open()).toThrow(expect.objectContaining({ code: 'PH_STORE_SCHEMA' }));
    const r = new Database(store.path, { readonly: true });
    expect(r.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    r.close();
  });

  it('skips damaged rows with PH_STORE_CORRUPT through onError and returns the rest', () => {
    const { store, errors } = openStore();
    store.open();
    store.saveSession({ clientId: 'good', protocolVersion: 5, expiryInterval: 0, subscriptions: [] });
    store.saveSession({ clientId: 'bad', protocolVersion: 5, expiryInterval: 0, subscriptions: [] });
    const [s1, s2, s3] = ['a', 'b', 'c'].map((t) => store.enqueue('c', msg(t), 1));
    store.setRetained('ok', msg('ok'));
    store.setRetained('broken', msg('broken'));
    store.flush();
    const w = new Database(store.path);
    w.prepare('UPDATE session_messages SET props = ? WHERE seq = ?').run(Buffer.from([0xff, 0x00, 0x13]), s2);
    w.prepare("UPDATE session_messages SET sub_ids = 'not json' WHERE seq = ?").run(s3);
    w.prepare("UPDATE retained SET msg_qos = 7 WHERE topic = 'broken'").run();
    w.prepare("UPDATE sessions SET protocol_version = 9 WHERE client_id = 'bad'").run();
    w.close();

    expect(store.loadMessages('c').map((m) => m.seq)).toEqual([s1]);
    expect(store.loadRetained().map((r) => r.topic)).toEqual(['ok']);
    expect(store.loadSessions().map((s) => s.clientId)).toEqual(['good']);
    expect(errors.map((e) => e.code)).toEqual(Array(4).fill('PH_STORE_CORRUPT'));
    expect(errors[0].message).toContain(`seq ${s2}`);
    store.close();
  });

  it('a write blocked by another process holding the write lock throws PH_STORE_WRITE; the store works after', () => {
    const { store } = openStore({ busyTimeoutMs: 20 });
    store.open();
    const other = new Database(store.path);
    other.prepare('BEGIN IMMEDIATE').run();
    expect(() => store.enqueue('c', msg('blocked'), 1)).toThrow(expect.objectContaining({ code: 'PH_STORE_WRITE' }));
    other.prepare('ROLLBACK').run();
    other.close();
    store.flush();
    store.enqueue('c', msg('after'), 1);
    store.flush();
    expect(store.loadMessages('c').map((m) => m.message.topic)).toEqual(['after']);
    store.close();
  });

  it('backup() writes a consistent copy including the pending batch; a bad destination is PH_STORE_BACKUP', async () => {
    const { store } = openStore();
    store.open();
    store.saveSession({ clientId: 'c', protocolVersion: 5, expiryInterval: 60, subscriptions: [] });
    store.enqueue('c', msg('queued before backup'), 1); // still in the open batch
    const dest = join(tempDir('protohub-backup-'), 'copy.db');
    await store.backup(dest);
    await expect(store.backup(join(dest, 'not', 'a', 'dir', 'x.db'))).rejects.toMatchObject({
      code: 'PH_STORE_BACKUP',
    });
    store.close();
    const copy = new SqliteStore({ dir: join(dest, '..'), synchronous: 'normal' });
    // The copy is a complete protohub.db: open it as a store under its own name.
    const renamed = join(dest, '..', 'protohub.db');
    renameSync(dest, renamed);
    copy.open();
    expect(copy.loadSessions().map((s) => s.clientId)).toEqual(['c']);
    expect(copy.loadMessages('c').map((m) => m.message.topic)).toEqual(['queued before backup']);
    copy.close();
  });

  it('createStore builds the implementation the config names, without opening it', () => {
    const dir = tempDir('protohub-sqlite-');
    const sqlite = createStore(storeSchema.parse({ dir, synchronous: 'full' }));
    expect(sqlite).toBeInstanceOf(SqliteStore);
    expect((sqlite as SqliteStore).path).toBe(join(dir, 'protohub.db'));
    expect(() => sqlite.loadSessions()).toThrow(expect.objectContaining({ code: 'PH_STATE_STORE_CLOSED' }));
    expect(createStore(storeSchema.parse({ type: 'memory' }))).toBeInstanceOf(MemoryStore);
  });
});
