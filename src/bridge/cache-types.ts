/**
 * Bridge cache contract: an ordered log of messages waiting for the upstream's acknowledgement.
 * Backends (SQLite, memory) only store; limits and overflow live in BoundedCache.
 */
import type { PublishProperties, QoS } from '../envelope.js';

/** A forward ready to send upstream (remote topic already rendered). */
export interface OutboundMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
  /** Epoch ms the hub received it (oldest-age metric and message expiry). */
  receivedAt: number;
}

export interface CachedMessage extends OutboundMessage {
  /** Increasing, never reused: the drain order. */
  seq: number;
  /** Bytes counted against max_bytes (topic + payload). */
  size: number;
}

export interface CacheBackend {
  readonly kind: 'sqlite' | 'memory';
  open(): void;
  close(): void;
  /** Run fn atomically (one SQLite transaction). */
  transaction<T>(fn: () => T): T;
  insert(msg: OutboundMessage, size: number): number;
  delete(seq: number): boolean;
  /**
   * Delete these rows (acknowledged or expired; missing ones are skipped) atomically, in as few statements as
   * it can. `bytes` is their total size when the caller knows it (the rows it sent).
   */
  deleteMany(seqs: readonly number[], bytes?: number): void;
  /** Up to `limit` messages with afterSeq < seq <= maxSeq, in seq order. */
  readAfter(afterSeq: number, limit: number, maxSeq?: number): CachedMessage[];
  /** The `limit` oldest rows (seq and size only). */
  oldest(limit: number): Array<{ seq: number; size: number }>;
  count(): number;
  bytes(): number;
  /** Highest seq ever assigned (0 when none). */
  lastSeq(): number;
  oldestReceivedAt(): number | undefined;
}

export function messageSize(msg: OutboundMessage): number {
  return Buffer.byteLength(msg.topic) + msg.payload.length;
}
