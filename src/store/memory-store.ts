/**
 * BrokerStore kept in process memory: nothing survives the process. Data lives as long as the instance, so
 * close() then open() on the same instance keeps it (like reopening a file). There is no transaction, so
 * afterCommit(fn) runs fn synchronously, before afterCommit returns.
 * Objects are copied on the way in and out so callers cannot alias stored state, matching SqliteStore.
 */
import type { QoS } from '../envelope.js';
import { StateError } from '../errors.js';
import { STORE_CODES } from './codes.js';
import type { BrokerStore, SessionMessage, StoredMessage, StoredSession, StoredSubscription } from './types.js';

function copySession(s: StoredSession): StoredSession {
  return { ...s, subscriptions: s.subscriptions.map((sub): StoredSubscription => ({ ...sub })) };
}

// Payload and properties are treated as immutable (Envelopes are), so a shallow copy is enough.
function copyMessage(m: SessionMessage): SessionMessage {
  const out: SessionMessage = { ...m, message: { ...m.message } };
  if (m.subscriptionIds) out.subscriptionIds = [...m.subscriptionIds];
  return out;
}

export class MemoryStore implements BrokerStore {
  readonly kind = 'memory' as const;
  #open = false;
  #nextSeq = 1;
  readonly #sessions = new Map<string, StoredSession>();
  /** Per client, messages by seq; Map iteration order is insertion order, which is seq order. */
  readonly #messages = new Map<string, Map<number, SessionMessage>>();
  readonly #retained = new Map<string, StoredMessage>();
  readonly #awaitingRel = new Map<string, Set<number>>();

  open(): void {
    this.#open = true;
  }

  close(): void {
    this.#open = false;
  }

  flush(): void {}

  afterCommit(fn: () => void): void {
    this.#require();
    fn();
  }

  loadSessions(): StoredSession[] {
    this.#require();
    return [...this.#sessions.values()].map((s) => {
      const copy = copySession(s);
      const rel = this.#awaitingRel.get(s.clientId);
      if (rel && rel.size > 0) copy.awaitingRel = [...rel].sort((a, b) => a - b);
      return copy;
    });
  }

  setAwaitingRel(clientId: string, packetId: number, awaiting: boolean): void {
    this.#require();
    let set = this.#awaitingRel.get(clientId);
    if (awaiting) {
      if (!set) this.#awaitingRel.set(clientId, (set = new Set()));
      set.add(packetId);
    } else {
      set?.delete(packetId);
    }
  }

  saveSession(session: StoredSession): void {
    this.#require();
    this.#sessions.set(session.clientId, copySession(session));
  }

  deleteSession(clientId: string): void {
    this.#require();
    this.#sessions.delete(clientId);
    this.#messages.delete(clientId);
    this.#awaitingRel.delete(clientId);
  }

  enqueue(clientId: string, message: StoredMessage, qos: QoS, subscriptionIds?: number[]): number {
    this.#require();
    const seq = this.#nextSeq++;
    let queue = this.#messages.get(clientId);
    if (!queue) this.#messages.set(clientId, (queue = new Map()));
    const m: SessionMessage = { seq, message: { ...message }, qos, state: 'queued' };
    if (subscriptionIds !== undefined) m.subscriptionIds = [...subscriptionIds];
    queue.set(seq, m);
    return seq;
  }

  markInflight(clientId: string, seq: number, packetId: number, state: 'publish' | 'pubrel'): void {
    this.#require();
    const m = this.#messages.get(clientId)?.get(seq);
    if (!m) return;
    m.packetId = packetId;
    m.state = state;
  }

  remove(clientId: string, seq: number): void {
    this.#require();
    const queue = this.#messages.get(clientId);
    if (!queue) return;
    queue.delete(seq);
    if (queue.size === 0) this.#messages.delete(clientId);
  }

  loadMessages(clientId: string): SessionMessage[] {
    this.#require();
    return [...(this.#messages.get(clientId)?.values() ?? [])].map(copyMessage);
  }

  loadInflight(clientId: string): SessionMessage[] {
    return this.loadMessages(clientId).filter((m) => m.state !== 'queued');
  }

  loadQueued(clientId: string, afterSeq: number, limit: number): SessionMessage[] {
    return this.loadMessages(clientId)
      .filter((m) => m.state === 'queued' && m.seq > afterSeq)
      .slice(0, limit);
  }

  queuedStats(clientId: string, afterSeq: number): { count: number; bytes: number } {
    let count = 0;
    let bytes = 0;
    for (const m of this.loadMessages(clientId))
      if (m.state === 'queued' && m.seq > afterSeq) {
        count++;
        bytes += m.message.payload.length;
      }
    return { count, bytes };
  }

  countMessages(clientId: string): number {
    this.#require();
    return this.#messages.get(clientId)?.size ?? 0;
  }

  loadRetained(): Array<{ topic: string; message: StoredMessage }> {
    this.#require();
    return [...this.#retained].map(([topic, message]) => ({ topic, message: { ...message } }));
  }

  setRetained(topic: string, message: StoredMessage | null): void {
    this.#require();
    if (message === null) this.#retained.delete(topic);
    // The key wins over message.topic, as in SQLite where the topic column is both.
    else this.#retained.set(topic, { ...message, topic });
  }

  #require(): void {
    if (!this.#open) throw new StateError(STORE_CODES.closed, 'memory store is not open');
  }
}
