/**
 * Persistence contract of the broker core. Implementations: SQLite (WAL, default) and memory-only.
 * Every call is synchronous (better-sqlite3 is) but writes are batched: they go into an open transaction that
 * commits at the end of the current event-loop turn. `afterCommit(fn)` runs `fn` once everything written before
 * it is durable, so a PUBACK is only ever sent for a message that survives `kill -9`.
 */
import type { PublishProperties, QoS } from '../envelope.js';

export interface StoredMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
  /** Epoch ms after which the message must not be delivered (from Message Expiry Interval). */
  expiresAt?: number;
  /** Epoch ms when the hub received it. */
  receivedAt: number;
}

export interface StoredSubscription {
  filter: string; // full filter as subscribed, including a `$share/group/` prefix
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId?: number;
}

export interface StoredSession {
  clientId: string;
  protocolVersion: 3 | 4 | 5;
  /** Seconds; 0xFFFFFFFF = never expires. */
  expiryInterval: number;
  /** Epoch ms of the last disconnect, or undefined while connected when saved. */
  disconnectedAt?: number;
  subscriptions: StoredSubscription[];
  /** Packet ids of inbound QoS 2 messages awaiting PUBREL ([MQTT-4.3.3-10]); filled by loadSessions only. */
  awaitingRel?: number[];
}

/** A QoS >= 1 message owed to a session: queued (not yet sent), or in flight with its packet id. */
export interface SessionMessage {
  /** Store-assigned sequence number, increasing in enqueue order per session. */
  seq: number;
  message: StoredMessage;
  /** Delivery QoS (granted) for this session. */
  qos: QoS;
  /** Packet id once sent; undefined while queued. */
  packetId?: number;
  /** 'publish' = PUBLISH sent, awaiting PUBACK/PUBREC; 'pubrel' = PUBREC received, PUBREL sent, awaiting PUBCOMP. */
  state: 'queued' | 'publish' | 'pubrel';
  /** Subscription identifiers to put on the PUBLISH (v5). */
  subscriptionIds?: number[];
}

export interface BrokerStore {
  readonly kind: 'sqlite' | 'memory';
  /** Open / create the database. Idempotent. */
  open(): void;
  /** Commit any pending batch and close. Idempotent. */
  close(): void;
  /** Commit the pending batch now. */
  flush(): void;
  /** Run fn once every write issued so far is committed (immediately for memory). */
  afterCommit(fn: () => void): void;

  loadSessions(): StoredSession[];
  saveSession(session: StoredSession): void;
  /** Deletes the session with its subscriptions and messages. */
  deleteSession(clientId: string): void;

  /**
   * Record (awaiting = true) or clear an inbound QoS 2 packet id awaiting PUBREL, so a DUP resend after a
   * restart is still recognised and not delivered twice. saveSession leaves these alone; deleteSession clears them.
   */
  setAwaitingRel(clientId: string, packetId: number, awaiting: boolean): void;

  /** Append a message owed to a session; returns its seq. */
  enqueue(clientId: string, message: StoredMessage, qos: QoS, subscriptionIds?: number[]): number;
  /** Mark as sent with a packet id (state 'publish') or PUBREC'd ('pubrel'). */
  markInflight(clientId: string, seq: number, packetId: number, state: 'publish' | 'pubrel'): void;
  /** Remove after PUBACK / PUBCOMP, expiry, or overflow drop. */
  remove(clientId: string, seq: number): void;
  /** All messages owed to a session, in seq order. */
  loadMessages(clientId: string): SessionMessage[];
  countMessages(clientId: string): number;
  /** Messages sent or PUBREC'd (state 'publish' or 'pubrel'), in seq order: loaded whole at start-up. */
  loadInflight(clientId: string): SessionMessage[];
  /**
   * Up to `limit` queued (not yet sent) messages with seq > afterSeq, in seq order: offline queues are paged
   * from the store instead of held whole in memory.
   */
  loadQueued(clientId: string, afterSeq: number, limit: number): SessionMessage[];
  /** Count and payload bytes of the queued messages with seq > afterSeq. */
  queuedStats(clientId: string, afterSeq: number): { count: number; bytes: number };

  loadRetained(): Array<{ topic: string; message: StoredMessage }>;
  /** Store or (message = null) delete the retained message of a topic. */
  setRetained(topic: string, message: StoredMessage | null): void;
}
