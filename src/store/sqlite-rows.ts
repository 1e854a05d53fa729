/**
 * Decoding of SQLite rows into store objects. Every decoder validates what it reads and throws on a value the
 * schema's writers never produce, so a damaged row is reported and skipped instead of reaching the broker.
 */
import { StoreError } from '../errors.js';
import { STORE_CODES } from './codes.js';
import { decodeSubscriptionIds, messageFromColumns, toQoS } from './row-codec.js';
import type { MessageRow, RetainedRow, SessionRow, SubscriptionRow } from './sqlite-statements.js';
import type { SessionMessage, StoredMessage, StoredSession, StoredSubscription } from './types.js';

const STATES = new Set(['queued', 'publish', 'pubrel']);

export function sessionMessageFromRow(row: MessageRow): SessionMessage {
  if (!STATES.has(row.state)) throw new TypeError(`state ${JSON.stringify(row.state)} unknown`);
  const m: SessionMessage = {
    seq: row.seq,
    message: messageFromColumns(row),
    qos: toQoS(row.qos),
    state: row.state as SessionMessage['state'],
  };
  if (row.packet_id !== null) m.packetId = row.packet_id;
  const ids = decodeSubscriptionIds(row.sub_ids);
  if (ids !== undefined) m.subscriptionIds = ids;
  return m;
}

export function retainedFromRow(row: RetainedRow): { topic: string; message: StoredMessage } {
  return { topic: row.topic, message: messageFromColumns(row) };
}

function subscriptionFromRow(row: SubscriptionRow): StoredSubscription {
  const rh = row.retain_handling;
  if (rh !== 0 && rh !== 1 && rh !== 2) throw new TypeError(`retain_handling ${rh} out of range`);
  const sub: StoredSubscription = {
    filter: row.filter,
    qos: toQoS(row.qos),
    noLocal: row.no_local === 1,
    retainAsPublished: row.retain_as_published === 1,
    retainHandling: rh,
  };
  if (row.subscription_id !== null) sub.subscriptionId = row.subscription_id;
  return sub;
}

function sessionFromRow(row: SessionRow): StoredSession {
  const v = row.protocol_version;
  if (v !== 3 && v !== 4 && v !== 5) throw new TypeError(`protocol_version ${v} unknown`);
  const s: StoredSession = {
    clientId: row.client_id,
    protocolVersion: v,
    expiryInterval: row.expiry_interval,
    subscriptions: [],
  };
  if (row.disconnected_at !== null) s.disconnectedAt = row.disconnected_at;
  return s;
}

/**
 * Join sessions with their subscriptions (rows ordered by client, then insertion). A bad session row drops the
 * session; a bad subscription row drops only that subscription. Both are reported through `onCorrupt`.
 */
export function sessionsFromRows(
  sessionRows: SessionRow[],
  subscriptionRows: SubscriptionRow[],
  onCorrupt: (err: StoreError) => void,
): StoredSession[] {
  const byClient = new Map<string, StoredSession>();
  for (const row of sessionRows) {
    try {
      byClient.set(row.client_id, sessionFromRow(row));
    } catch (cause) {
      onCorrupt(
        new StoreError(STORE_CODES.corrupt, `skipped undecodable session ${JSON.stringify(row.client_id)}`, { cause }),
      );
    }
  }
  for (const row of subscriptionRows) {
    const session = byClient.get(row.client_id);
    if (!session) continue; // belongs to a skipped session
    try {
      session.subscriptions.push(subscriptionFromRow(row));
    } catch (cause) {
      onCorrupt(
        new StoreError(
          STORE_CODES.corrupt,
          `skipped undecodable subscription ${JSON.stringify(row.filter)} of ${JSON.stringify(row.client_id)}`,
          { cause },
        ),
      );
    }
  }
  return [...byClient.values()];
}
