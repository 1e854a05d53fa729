/**
 * Model-based property test: a random sequence of store operations, interleaved with event-loop turns, flushes
 * and restarts, leaves SqliteStore (after a final reopen) in exactly the state of MemoryStore, the model.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  SqliteStore,
  type BrokerStore,
  type StoredMessage,
  type StoredSession,
} from '../../src/store/index.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const CLIENTS = ['a', 'b', 'ü-é', ''];
const TOPICS = ['t', 't/1', 'x/y/z', '$SYS/retained'];

const qos = fc.constantFrom(0 as const, 1 as const, 2 as const);
const props = fc.record(
  {
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: fc.nat({ max: 0xffffffff }),
    contentType: fc.string(),
    responseTopic: fc.string(),
    correlationData: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
    userProperties: fc.dictionary(
      fc.string({ maxLength: 5 }),
      fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: [] },
);
const message: fc.Arbitrary<StoredMessage> = fc.record(
  {
    topic: fc.constantFrom(...TOPICS),
    payload: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    qos,
    retain: fc.boolean(),
    properties: props,
    expiresAt: fc.nat(),
    receivedAt: fc.nat(),
  },
  { requiredKeys: ['topic', 'payload', 'qos', 'retain', 'receivedAt'] },
);
const subscription = fc.record(
  {
    filter: fc.constantFrom('a/#', '+/b', '$share/g/t', 'x'),
    qos,
    noLocal: fc.boolean(),
    retainAsPublished: fc.boolean(),
    retainHandling: fc.constantFrom(0 as const, 1 as const, 2 as const),
    subscriptionId: fc.integer({ min: 1, max: 268_435_455 }),
  },
  { requiredKeys: ['filter', 'qos', 'noLocal', 'retainAsPublished', 'retainHandling'] },
);
const client = fc.constantFrom(...CLIENTS);
/** Picks one of the client's current messages by index modulo the queue length (or a missing seq). */
const pick = fc.nat({ max: 1000 });

const op = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('saveSession' as const),
      clientId: client,
      protocolVersion: fc.constantFrom(3 as const, 4 as const, 5 as const),
      expiryInterval: fc.nat({ max: 0xffffffff }),
      disconnectedAt: fc.option(fc.nat(), { nil: undefined }),
      subscriptions: fc.array(subscription, { maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteSession' as const), clientId: client }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('enqueue' as const),
      clientId: client,
      message,
      qos,
      subscriptionIds: fc.option(fc.array(fc.integer({ min: 1, max: 268_435_455 }), { maxLength: 3 }), {
        nil: undefined,
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('markInflight' as const),
      clientId: client,
      pick,
      packetId: fc.integer({ min: 1, max: 65535 }),
      state: fc.constantFrom('publish' as const, 'pubrel' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), clientId: client, pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setRetained' as const),
      topic: fc.constantFrom(...TOPICS),
      message: fc.option(message, { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'turn' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function seqFor(model: BrokerStore, clientId: string, pickIndex: number): number {
  const queue = model.loadMessages(clientId);
  return pickIndex < queue.length ? queue[pickIndex].seq : 1_000_000 + pickIndex; // sometimes a seq that does not exist
}

function apply(store: BrokerStore, model: BrokerStore, o: Exclude<Op, { kind: 'flush' | 'turn' | 'restart' }>): void {
  switch (o.kind) {
    case 'saveSession': {
      const s: StoredSession = {
        clientId: o.clientId,
        protocolVersion: o.protocolVersion,
        expiryInterval: o.expiryInterval,
        subscriptions: o.subscriptions,
      };
      if (o.disconnectedAt !== undefined) s.disconnectedAt = o.disconnectedAt;
      store.saveSession(s);
      model.saveSession(s);
      return;
    }
    case 'deleteSession':
      store.deleteSession(o.clientId);
      model.deleteSession(o.clientId);
      return;
    case 'enqueue':
      expect(store.enqueue(o.clientId, o.message, o.qos, o.subscriptionIds)).toBe(
        model.enqueue(o.clientId, o.message, o.qos, o.subscriptionIds),
      );
      return;
    case 'markInflight': {
      const seq = seqFor(model, o.clientId, o.pick % 8);
      store.markInflight(o.clientId, seq, o.packetId, o.state);
      model.markInflight(o.clientId, seq, o.packetId, o.state);
      return;
    }
    case 'remove': {
      const seq = seqFor(model, o.clientId, o.pick % 8);
      store.remove(o.clientId, seq);
      model.remove(o.clientId, seq);
      return;
    }
    case 'setRetained':
      store.setRetained(o.topic, o.message);
      model.setRetained(o.topic, o.message);
  }
}

const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

function snapshot(s: BrokerStore) {
  return {
    sessions: s.loadSessions().sort(byKey((x) => x.clientId)),
    messages: CLIENTS.map((c) => [c, s.countMessages(c), s.loadMessages(c)] as const),
    retained: s.loadRetained().sort(byKey((x) => x.topic)),
  };
}

describe('SqliteStore matches the MemoryStore model', () => {
  it('for random operation sequences across turns, flushes and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const dir = tempDir('protohub-model-');
        const model = new MemoryStore();
        model.open();
        let store = new SqliteStore({ dir, synchronous: 'normal' });
        store.open();
        try {
          for (const o of ops) {
            if (o.kind === 'flush') store.flush();
            else if (o.kind === 'turn') await new Promise((resolve) => setImmediate(resolve));
            else if (o.kind === 'restart') {
              store.close();
              store = new SqliteStore({ dir, synchronous: 'normal' });
              store.open();
            } else apply(store, model, o);
          }
          expect(snapshot(store)).toEqual(snapshot(model)); // before restart: reads see the open batch
          store.close();
          store = new SqliteStore({ dir, synchronous: 'normal' });
          store.open();
          expect(snapshot(store)).toEqual(snapshot(model));
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
