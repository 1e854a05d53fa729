/**
 * Every SQL statement the SQLite store runs, prepared once per open connection.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { MessageColumns, MessageValues } from './row-codec.js';

export interface SessionRow {
  client_id: string;
  protocol_version: number;
  expiry_interval: number;
  disconnected_at: number | null;
}

export interface SubscriptionRow {
  client_id: string;
  filter: string;
  qos: number;
  no_local: number;
  retain_as_published: number;
  retain_handling: number;
  subscription_id: number | null;
}

export interface MessageRow extends MessageColumns {
  seq: number;
  client_id: string;
  qos: number;
  packet_id: number | null;
  state: string;
  sub_ids: string | null;
}

export type RetainedRow = Omit<MessageRow, 'seq' | 'client_id' | 'qos' | 'packet_id' | 'state' | 'sub_ids'>;

export interface Statements {
  begin: Statement<[]>;
  commit: Statement<[]>;
  rollback: Statement<[]>;
  selectSessions: Statement<[], SessionRow>;
  selectSubscriptions: Statement<[], SubscriptionRow>;
  upsertSession: Statement<[SessionRow]>;
  deleteSession: Statement<[string]>;
  deleteSubscriptions: Statement<[string]>;
  insertSubscription: Statement<[SubscriptionRow]>;
  /** Positional (faster than named binding on the hot path): client_id, qos, sub_ids, then messageValues(). */
  insertMessage: Statement<[string, number, string | null, ...MessageValues]>;
  /** packet_id, state, client_id, seq */
  markInflight: Statement<[number, string, string, number]>;
  removeMessage: Statement<[string, number]>;
  deleteMessages: Statement<[string]>;
  selectMessages: Statement<[string], MessageRow>;
  countMessages: Statement<[string], { n: number }>;
  selectInflight: Statement<[string], MessageRow>;
  selectQueuedAfter: Statement<[string, number, number], MessageRow>;
  queuedStatsAfter: Statement<[string, number], { n: number; bytes: number }>;
  selectRetained: Statement<[], RetainedRow>;
  upsertRetained: Statement<[RetainedRow]>;
  deleteRetained: Statement<[string]>;
  insertAwaitingRel: Statement<[string, number]>;
  deleteAwaitingRel: Statement<[string, number]>;
  deleteAwaitingRelOf: Statement<[string]>;
  selectAwaitingRel: Statement<[], { client_id: string; packet_id: number }>;
}

export function prepareStatements(db: Database): Statements {
  return {
    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    selectSessions: db.prepare('SELECT client_id, protocol_version, expiry_interval, disconnected_at FROM sessions'),
    selectSubscriptions: db.prepare(
      `SELECT client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_id
       FROM subscriptions ORDER BY client_id, id`,
    ),
    upsertSession: db.prepare(
      `INSERT INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at)
       VALUES (@client_id, @protocol_version, @expiry_interval, @disconnected_at)
       ON CONFLICT (client_id) DO UPDATE SET protocol_version = excluded.protocol_version,
         expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at`,
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
    deleteSubscriptions: db.prepare('DELETE FROM subscriptions WHERE client_id = ?'),
    insertSubscription: db.prepare(
      `INSERT INTO subscriptions (client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_id)
       VALUES (@client_id, @filter, @qos, @no_local, @retain_as_published, @retain_handling, @subscription_id)`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO session_messages (client_id, qos, packet_id, state, sub_ids, topic, payload, msg_qos, retain,
         props, expires_at, received_at)
       VALUES (?, ?, NULL, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    markInflight: db.prepare('UPDATE session_messages SET packet_id = ?, state = ? WHERE client_id = ? AND seq = ?'),
    removeMessage: db.prepare('DELETE FROM session_messages WHERE client_id = ? AND seq = ?'),
    deleteMessages: db.prepare('DELETE FROM session_messages WHERE client_id = ?'),
    selectMessages: db.prepare('SELECT * FROM session_messages WHERE client_id = ? ORDER BY seq'),
    countMessages: db.prepare('SELECT count(*) AS n FROM session_messages WHERE client_id = ?'),
    selectInflight: db.prepare("SELECT * FROM session_messages WHERE client_id = ? AND state != 'queued' ORDER BY seq"),
    selectQueuedAfter: db.prepare(
      "SELECT * FROM session_messages WHERE client_id = ? AND seq > ? AND state = 'queued' ORDER BY seq LIMIT ?",
    ),
    queuedStatsAfter: db.prepare(
      `SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS bytes FROM session_messages
       WHERE client_id = ? AND seq > ? AND state = 'queued'`,
    ),
    selectRetained: db.prepare('SELECT topic, payload, msg_qos, retain, props, expires_at, received_at FROM retained'),
    upsertRetained: db.prepare(
      `INSERT INTO retained (topic, payload, msg_qos, retain, props, expires_at, received_at)
       VALUES (@topic, @payload, @msg_qos, @retain, @props, @expires_at, @received_at)
       ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, msg_qos = excluded.msg_qos,
         retain = excluded.retain, props = excluded.props, expires_at = excluded.expires_at,
         received_at = excluded.received_at`,
    ),
    deleteRetained: db.prepare('DELETE FROM retained WHERE topic = ?'),
    insertAwaitingRel: db.prepare('INSERT OR IGNORE INTO awaiting_rel (client_id, packet_id) VALUES (?, ?)'),
    deleteAwaitingRel: db.prepare('DELETE FROM awaiting_rel WHERE client_id = ? AND packet_id = ?'),
    deleteAwaitingRelOf: db.prepare('DELETE FROM awaiting_rel WHERE client_id = ?'),
    selectAwaitingRel: db.prepare('SELECT client_id, packet_id FROM awaiting_rel ORDER BY client_id, packet_id'),
  };
}
