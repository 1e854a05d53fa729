/**
 * The BrokerStore contract, run against every implementation: what the broker core may rely on regardless of
 * `store.type`. SQLite runs on a real database file in a temp dir.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  SqliteStore,
  type BrokerStore,
  type StoredMessage,
  type StoredSession,
} from '../../src/store/index.js';
import { StateError } from '../../src/errors.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

interface Harness {
  store: BrokerStore;
  /** Close and reopen the same data (a new instance for SQLite, like a process restart). */
  reopen(): BrokerStore;
}

const implementations: Array<[string, () => Harness]> = [
  [
    'MemoryStore',
    () => {
      const store = new MemoryStore();
      return { store, reopen: () => (store.close(), store.open(), store) };
    },
  ],
  [
    'SqliteStore',
    () => {
      const dir = tempDir('protohub-store-');
      const store = new SqliteStore({ dir, synchronous: 'normal' });
      let current: BrokerStore = store;
      return {
        store,
        reopen: () => {
          current.close();
          current = new SqliteStore({ dir, synchronous: 'normal' });
          current.open();
          return current;
        },
      };
    },
  ],
];

const msg = (topic: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  topic,
  payload: Buffer.from(`payload of ${topic}`),
  qos: 1,
  retain: false,
  receivedAt: 1_700_000_000_000,
  ...extra,
});

const session = (clientId: string, filters: string[] = ['a/#']): StoredSession => ({
  clientId,
  protocolVersion: 5,
  expiryInterval: 0xffffffff,
  subscriptions: filters.map((filter, i) => ({
    filter,
    qos: 1,
    noLocal: i % 2 === 1,
    retainAsPublished: false,
    retainHandling: 0,
  })),
});

const payloads = (s: BrokerStore, clientId: string): string[] =>
  s.loadMessages(clientId).map((m) => m.message.payload.toString());

afterAll(removeTempDirs);

describe.each(implementations)('BrokerStore contract: %s', (_name, make) => {
  let h: Harness;
  let store: BrokerStore;
  const setup = (): void => {
    h = make();
    store = h.store;
    store.open();
  };
  afterEach(() => h.reopen().close());

  it('refuses use before open() with PH_STATE_STORE_CLOSED; open() and close() are idempotent', () => {
    h = make();
    expect(() => h.store.loadSessions()).toThrow(StateError);
    expect(() => h.store.enqueue('c', msg('t'), 1)).toThrow(expect.objectContaining({ code: 'PH_STATE_STORE_CLOSED' }));
    h.store.open();
    h.store.open();
    expect(h.store.loadSessions()).toEqual([]);
    h.store.close();
    h.store.close();
  });

  it('round-trips sessions with every subscription option, and saving again replaces the subscriptions', () => {
    setup();
    const full: StoredSession = {
      clientId: 'dev-1',
      protocolVersion: 4,
      expiryInterval: 120,
      disconnectedAt: 1_700_000_001_234,
      subscriptions: [
        {
          filter: '$share/g/a/+',
          qos: 2,
          noLocal: true,
          retainAsPublished: true,
          retainHandling: 2,
          subscriptionId: 268_435_455,
        },
        { filter: 'b/#', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 1 },
      ],
    };
    store.saveSession(full);
    store.saveSession(session('dev-2', []));
    expect(
      h
        .reopen()
        .loadSessions()
        .sort((a, b) => a.clientId.localeCompare(b.clientId)),
    ).toEqual([full, session('dev-2', [])]);

    const s2 = h.reopen();
    s2.saveSession({ ...full, disconnectedAt: undefined, subscriptions: [full.subscriptions[1]] });
    const loaded = h
      .reopen()
      .loadSessions()
      .find((s) => s.clientId === 'dev-1');
    expect(loaded).toEqual({ ...full, disconnectedAt: undefined, subscriptions: [full.subscriptions[1]] });
  });

  it('deleteSession cascades to subscriptions and messages of that client only', () => {
    setup();
    store.saveSession(session('a', ['x/#', 'y']));
    store.saveSession(session('b', ['z']));
    store.enqueue('a', msg('x/1'), 1);
    store.enqueue('b', msg('z'), 1);
    store.deleteSession('a');
    const s = h.reopen();
    expect(s.loadSessions()).toEqual([session('b', ['z'])]);
    expect(s.countMessages('a')).toBe(0);
    expect(s.loadMessages('a')).toEqual([]);
    expect(payloads(s, 'b')).toEqual(['payload of z']);
    s.saveSession(session('a', []));
    expect(s.loadSessions().find((x) => x.clientId === 'a')?.subscriptions).toEqual([]);
  });

  it('enqueue assigns increasing seqs across clients and loadMessages returns them in seq order', () => {
    setup();
    const seqs = [
      store.enqueue('a', msg('1'), 1),
      store.enqueue('b', msg('2'), 2),
      store.enqueue('a', msg('3'), 0),
      store.enqueue('a', msg('4'), 1),
    ];
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(4);
    const s = h.reopen();
    expect(s.loadMessages('a').map((m) => [m.seq, m.message.topic, m.qos, m.state])).toEqual([
      [seqs[0], '1', 1, 'queued'],
      [seqs[2], '3', 0, 'queued'],
      [seqs[3], '4', 1, 'queued'],
    ]);
    expect(s.countMessages('a')).toBe(3);
    expect(s.countMessages('b')).toBe(1);
    expect(s.countMessages('nobody')).toBe(0);
  });

  it('pages queued messages: loadInflight, loadQueued after a seq with a limit, queuedStats count and bytes', () => {
    setup();
    const seqs = Array.from({ length: 6 }, (_, i) =>
      store.enqueue('p', msg(`t${i}`, { payload: Buffer.alloc(i + 1) }), 1),
    );
    store.enqueue('other', msg('x'), 1);
    store.markInflight('p', seqs[0], 5, 'publish');
    store.markInflight('p', seqs[1], 6, 'pubrel');
    const s = h.reopen();
    expect(s.loadInflight('p').map((m) => [m.seq, m.packetId, m.state])).toEqual([
      [seqs[0], 5, 'publish'],
      [seqs[1], 6, 'pubrel'],
    ]);
    expect(s.loadQueued('p', 0, 2).map((m) => m.seq)).toEqual([seqs[2], seqs[3]]);
    expect(s.loadQueued('p', seqs[3], 10).map((m) => m.seq)).toEqual([seqs[4], seqs[5]]);
    expect(s.loadQueued('p', seqs[5], 10)).toEqual([]);
    expect(s.queuedStats('p', 0)).toEqual({ count: 4, bytes: 3 + 4 + 5 + 6 });
    expect(s.queuedStats('p', seqs[3])).toEqual({ count: 2, bytes: 5 + 6 });
    expect(s.queuedStats('nobody', 0)).toEqual({ count: 0, bytes: 0 });
  });

  it('keeps every message field: binary correlation data, user properties, expiry, subscription ids, empty payload', () => {
    setup();
    const m = msg('r/1', {
      payload: Buffer.alloc(0),
      qos: 2,
      retain: true,
      expiresAt: 1_700_000_060_000,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
        contentType: 'application/cbor',
        responseTopic: 'reply/here',
        correlationData: Buffer.from([0, 255, 1, 128]),
        userProperties: { single: 'v', repeated: ['1', '2'] },
      },
    });
    const seq = store.enqueue('c', m, 1, [7, 42]);
    const [loaded] = h.reopen().loadMessages('c');
    expect(loaded).toEqual({ seq, message: m, qos: 1, state: 'queued', subscriptionIds: [7, 42] });
    expect(Buffer.isBuffer(loaded.message.payload)).toBe(true);
    expect(Buffer.isBuffer(loaded.message.properties?.correlationData)).toBe(true);
    expect(loaded).not.toHaveProperty('packetId');
  });

  it('markInflight records packet id and state; remove deletes; unknown seqs are ignored', () => {
    setup();
    const s1 = store.enqueue('c', msg('1'), 2);
    const s2 = store.enqueue('c', msg('2'), 1);
    const s3 = store.enqueue('c', msg('3'), 1);
    store.markInflight('c', s1, 10, 'publish');
    store.markInflight('c', s1, 10, 'pubrel');
    store.markInflight('c', s2, 11, 'publish');
    store.markInflight('other', s3, 99, 'publish'); // wrong client: must not touch c's message
    store.remove('c', s2);
    store.remove('c', 999_999);
    store.remove('other', s3);
    const s = h.reopen();
    expect(s.loadMessages('c').map((m) => [m.seq, m.packetId, m.state])).toEqual([
      [s1, 10, 'pubrel'],
      [s3, undefined, 'queued'],
    ]);
    s.remove('c', s1);
    s.remove('c', s3);
    expect(s.countMessages('c')).toBe(0);
  });

  it('seq keeps increasing after every message was removed and the store reopened', () => {
    setup();
    const first = store.enqueue('c', msg('1'), 1);
    store.remove('c', first);
    const s = h.reopen();
    expect(s.enqueue('c', msg('2'), 1)).toBeGreaterThan(first);
  });

  it('retained: set, replace, delete, delete unknown', () => {
    setup();
    store.setRetained('a', msg('a', { retain: true }));
    store.setRetained('b', msg('b', { retain: true }));
    store.setRetained(
      'a',
      msg('a', { retain: true, payload: Buffer.from('new'), properties: { contentType: 'text/plain' } }),
    );
    store.setRetained('b', null);
    store.setRetained('never-set', null);
    expect(h.reopen().loadRetained()).toEqual([
      {
        topic: 'a',
        message: msg('a', { retain: true, payload: Buffer.from('new'), properties: { contentType: 'text/plain' } }),
      },
    ]);
  });

  it('afterCommit callbacks run once each, in registration order', async () => {
    setup();
    const order: string[] = [];
    store.enqueue('c', msg('1'), 1);
    store.afterCommit(() => order.push('first'));
    store.enqueue('c', msg('2'), 1);
    store.afterCommit(() => order.push('second'));
    await new Promise<void>((resolve) => store.afterCommit(resolve));
    store.flush();
    expect(order).toEqual(['first', 'second']);
  });

  it('afterCommit with nothing pending runs before it returns', () => {
    setup();
    store.flush();
    let ran = false;
    store.afterCommit(() => (ran = true));
    expect(ran).toBe(true);
  });

  it('returns copies: mutating loaded or saved objects does not change the store', () => {
    setup();
    const s = session('c', ['a']);
    store.saveSession(s);
    s.subscriptions[0].qos = 2;
    store.enqueue('c', msg('t'), 1, [1]);
    const [loaded] = store.loadMessages('c');
    loaded.state = 'pubrel';
    loaded.subscriptionIds!.push(2);
    expect(store.loadSessions()[0].subscriptions[0].qos).toBe(1);
    expect(store.loadMessages('c')[0]).toMatchObject({ state: 'queued', subscriptionIds: [1] });
  });
});
