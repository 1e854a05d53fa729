/**
 * Schema of protohub.db, versioned with PRAGMA user_version. Migration i brings the schema from version i to
 * i + 1; each runs in its own transaction together with the version bump, so a crash mid-migration leaves the
 * previous version intact. Append new migrations, never edit shipped ones.
 */
import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { STORE_CODES } from './codes.js';

const MIGRATIONS: readonly string[] = [
  // v1
  `
  CREATE TABLE sessions (
    client_id        TEXT PRIMARY KEY NOT NULL,
    protocol_version INTEGER NOT NULL,
    expiry_interval  INTEGER NOT NULL,
    disconnected_at  INTEGER
  ) WITHOUT ROWID;

  CREATE TABLE subscriptions (
    id                  INTEGER PRIMARY KEY,
    client_id           TEXT NOT NULL,
    filter              TEXT NOT NULL,
    qos                 INTEGER NOT NULL,
    no_local            INTEGER NOT NULL,
    retain_as_published INTEGER NOT NULL,
    retain_handling     INTEGER NOT NULL,
    subscription_id     INTEGER
  );
  CREATE INDEX subscriptions_by_client ON subscriptions (client_id, id);

  -- seq never repeats (AUTOINCREMENT), so a reused seq can never alias an acknowledged message.
  CREATE TABLE session_messages (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT NOT NULL,
    qos         INTEGER NOT NULL,
    packet_id   INTEGER,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'publish', 'pubrel')),
    sub_ids     TEXT,
    topic       TEXT NOT NULL,
    payload     BLOB NOT NULL,
    msg_qos     INTEGER NOT NULL,
    retain      INTEGER NOT NULL,
    props       BLOB,
    expires_at  INTEGER,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX session_messages_by_client ON session_messages (client_id, seq);

  CREATE TABLE retained (
    topic       TEXT PRIMARY KEY NOT NULL,
    payload     BLOB NOT NULL,
    msg_qos     INTEGER NOT NULL,
    retain      INTEGER NOT NULL,
    props       BLOB,
    expires_at  INTEGER,
    received_at INTEGER NOT NULL
  );
  `,
  // v2: inbound QoS 2 packet ids awaiting PUBREL, so exactly-once holds across a restart
  `
  CREATE TABLE awaiting_rel (
    client_id TEXT NOT NULL,
    packet_id INTEGER NOT NULL,
    PRIMARY KEY (client_id, packet_id)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the database to SCHEMA_VERSION. Throws StoreError PH_STORE_SCHEMA for a database from a newer build. */
export function migrate(db: Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      STORE_CODES.schema,
      `store ${path} has schema version ${current}, newer than the ${SCHEMA_VERSION} this protohub understands`,
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
