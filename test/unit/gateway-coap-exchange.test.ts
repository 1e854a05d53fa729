import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atSize, blockSize, decodeBlock, encodeBlock, szxFor } from '../../gateways/coap/block-option.js';
import { Block1Assembler } from '../../gateways/coap/block1-assembler.js';
import { Block2Store, sliceBlock } from '../../gateways/coap/block2-store.js';
import { DedupCache } from '../../gateways/coap/dedup.js';
import { MessageIds } from '../../gateways/coap/message-ids.js';
import { RetransmitQueue } from '../../gateways/coap/retransmit.js';

const limits = { maxBodySize: 4096, maxPerPeer: 2, maxTotal: 3, maxTotalBytes: 1 << 20, lifetimeMs: 10_000 };

function blocksOf(body: Buffer, szx: number) {
  const size = blockSize(szx);
  const out = [];
  for (let num = 0; num * size < body.length || num === 0; num++) {
    const payload = body.subarray(num * size, (num + 1) * size);
    out.push({ block: { num, more: (num + 1) * size < body.length, szx }, payload });
  }
  return out;
}

describe('Block option (RFC 7959 §2.2)', () => {
  it('round-trips NUM, M and SZX', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xfffff }),
        fc.boolean(),
        fc.integer({ min: 0, max: 6 }),
        (num, more, szx) => {
          expect(decodeBlock(encodeBlock({ num, more, szx }))).toEqual({ num, more, szx });
        },
      ),
    );
  });
  it('rejects SZX 7 and values longer than 3 bytes', () => {
    expect(decodeBlock(Buffer.from([0x07]))).toBeUndefined();
    expect(decodeBlock(Buffer.from([1, 2, 3, 4]))).toBeUndefined();
  });
  it('rescales a block to a smaller size at the same byte offset (RFC 7959 §2.4/§2.5 negotiation)', () => {
    expect(atSize({ num: 0, more: true, szx: 3 }, 1)).toEqual({ num: 0, more: true, szx: 1 });
    expect(atSize({ num: 1, more: true, szx: 3 }, 1)).toEqual({ num: 4, more: true, szx: 1 });
    expect(atSize({ num: 2, more: false, szx: 1 }, 4)).toEqual({ num: 2, more: false, szx: 1 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        (num, a, b) => {
          const r = atSize({ num, more: true, szx: a }, b);
          expect(r.szx).toBe(Math.min(a, b));
          expect(r.num * blockSize(r.szx)).toBe(num * blockSize(a));
        },
      ),
    );
  });
  it('picks the largest block size that fits', () => {
    expect(blockSize(szxFor(512))).toBe(512);
    expect(blockSize(szxFor(1000))).toBe(512);
    expect(blockSize(szxFor(4096))).toBe(1024);
  });
});

describe('Block1Assembler', () => {
  it('reassembles a 3 KB body sent in 512-byte blocks, answering Continue until the last', () => {
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const a = new Block1Assembler(limits);
    const results = blocksOf(body, 5).map(({ block, payload }) => a.offer('p1', 'k', block, payload, 0));
    expect(results.slice(0, -1).every((r) => r.kind === 'continue')).toBe(true);
    const last = results.at(-1)!;
    expect(last.kind).toBe('complete');
    expect(last.kind === 'complete' && last.body.equals(body)).toBe(true);
    expect(a.size).toBe(0);
  });

  it('answers a gap or a block of a forgotten transfer with 4.08 and a body over the limit with 4.13', () => {
    const a = new Block1Assembler(limits);
    const chunk = Buffer.alloc(512);
    expect(a.offer('p1', 'k', { num: 0, more: true, szx: 5 }, chunk, 0).kind).toBe('continue');
    expect(a.offer('p1', 'k', { num: 2, more: true, szx: 5 }, chunk, 0).kind).toBe('incomplete');
    expect(a.offer('p1', 'k', { num: 1, more: true, szx: 5 }, chunk, 0).kind).toBe('incomplete');
    const big = blocksOf(Buffer.alloc(5000), 6).map(({ block, payload }) => a.offer('p1', 'big', block, payload, 0));
    expect(big.at(-1)!.kind).toBe('too_large');
    expect(a.size).toBe(0);
  });

  it('bounds the bytes of all partial bodies: a block past the budget ends its transfer (overloaded: bytes)', () => {
    const a = new Block1Assembler({ ...limits, maxTotalBytes: 1024 });
    const chunk = Buffer.alloc(512);
    expect(a.offer('p1', 'x', { num: 0, more: true, szx: 5 }, chunk, 0).kind).toBe('continue');
    expect(a.offer('p2', 'y', { num: 0, more: true, szx: 5 }, chunk, 0).kind).toBe('continue');
    expect(a.offer('p1', 'x', { num: 1, more: true, szx: 5 }, chunk, 0)).toEqual({
      kind: 'overloaded',
      scope: 'bytes',
    });
    expect([a.size, a.bytes]).toEqual([1, 512]);
    // the last block of a transfer completes it (it frees its bytes at once)
    expect(a.offer('p2', 'y', { num: 1, more: false, szx: 5 }, chunk, 0).kind).toBe('complete');
    expect([a.size, a.bytes]).toEqual([0, 0]);
  });

  it('bounds transfers per peer and in all, and forgets a sequence that never completes', () => {
    const a = new Block1Assembler(limits);
    const first = { num: 0, more: true, szx: 0 };
    const b = Buffer.alloc(16);
    expect(a.offer('p1', 'a', first, b, 0).kind).toBe('continue');
    expect(a.offer('p1', 'b', first, b, 0).kind).toBe('continue');
    expect(a.offer('p1', 'c', first, b, 0)).toEqual({ kind: 'overloaded', scope: 'peer' });
    expect(a.offer('p2', 'd', first, b, 0).kind).toBe('continue');
    expect(a.offer('p3', 'e', first, b, 0)).toEqual({ kind: 'overloaded', scope: 'total' });
    a.sweep(10_000);
    expect(a.size).toBe(0);
    expect(a.expired).toBe(3);
    expect(a.offer('p1', 'a', { num: 1, more: false, szx: 0 }, b, 10_001).kind).toBe('incomplete');
  });

  it('never holds more than its limits whatever blocks arrive', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            peer: fc.constantFrom('a', 'b', 'c', 'd'),
            key: fc.constantFrom('1', '2', '3', '4', '5'),
            num: fc.integer({ min: 0, max: 5 }),
            more: fc.boolean(),
            len: fc.integer({ min: 0, max: 40 }),
            dt: fc.integer({ min: 0, max: 4000 }),
          }),
          { maxLength: 200 },
        ),
        (ops) => {
          const a = new Block1Assembler({
            maxBodySize: 64,
            maxPerPeer: 2,
            maxTotal: 3,
            maxTotalBytes: 100,
            lifetimeMs: 5000,
          });
          let now = 0;
          for (const op of ops) {
            now += op.dt;
            const r = a.offer(
              op.peer,
              op.peer + op.key,
              { num: op.num, more: op.more, szx: 0 },
              Buffer.alloc(op.len),
              now,
            );
            if (r.kind === 'complete') expect(r.body.length).toBeLessThanOrEqual(64);
            expect(a.size).toBeLessThanOrEqual(3);
            expect(a.bytes).toBeLessThanOrEqual(100);
            expect(a.bytes).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});

describe('Block2Store', () => {
  it('slices a body into blocks that concatenate back to it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 0, max: 6 }), (bytes, szx) => {
        const body = Buffer.from(bytes);
        const parts: Buffer[] = [];
        for (let num = 0; ; num++) {
          const s = sliceBlock(body, num, szx)!;
          parts.push(s.payload);
          if (!s.more) break;
        }
        expect(Buffer.concat(parts).equals(body)).toBe(true);
        expect(sliceBlock(body, parts.length, szx)).toBeUndefined();
      }),
    );
  });

  it('keeps at most maxEntries bodies, each with its own ETag, until their lifetime', () => {
    const s = new Block2Store({ maxEntries: 2, maxPerPeer: 4, maxBytes: 1 << 20, lifetimeMs: 1000 });
    const a = s.put('p1', 'a', Buffer.from('A'), 0);
    const b = s.put('p2', 'b', Buffer.from('B'), 0);
    expect(a.etag.equals(b.etag)).toBe(false);
    s.put('p3', 'c', Buffer.from('C'), 0);
    expect(s.get('p1', 'a', 0)).toBeUndefined();
    expect(s.evicted).toBe(1);
    expect(s.get('p3', 'c', 999)?.body.toString()).toBe('C');
    expect(s.get('p3', 'c', 1000)).toBeUndefined();
  });

  it('bounds the bytes of all bodies: the oldest go until a new one fits; one larger than the budget is not kept', () => {
    const s = new Block2Store({ maxEntries: 10, maxPerPeer: 10, maxBytes: 1000, lifetimeMs: 1000 });
    s.put('a', 'r', Buffer.alloc(400), 0);
    s.put('b', 'r', Buffer.alloc(400), 0);
    s.put('c', 'r', Buffer.alloc(400), 0);
    expect([s.get('a', 'r', 1), s.get('b', 'r', 1)?.body.length, s.get('c', 'r', 1)?.body.length]).toEqual([
      undefined,
      400,
      400,
    ]);
    expect(s.evicted).toBe(1);
    s.put('d', 'r', Buffer.alloc(1001), 0);
    expect(s.get('d', 'r', 1)).toBeUndefined();
    expect(s.bytes).toBe(800);
  });

  it("bounds each peer: a peer storing many bodies (?x=1, ?x=2, …) evicts its own oldest, never another's", () => {
    const s = new Block2Store({ maxEntries: 10, maxPerPeer: 2, maxBytes: 1 << 20, lifetimeMs: 1000 });
    s.put('victim', 'big', Buffer.from('V'), 0);
    for (let i = 0; i < 50; i++) s.put('flooder', `big?x=${i}`, Buffer.from(String(i)), 0);
    expect(s.get('victim', 'big', 1)?.body.toString()).toBe('V');
    expect(s.size).toBe(3);
    expect(s.evictedPerPeer).toBe(48);
    expect(s.evicted).toBe(0);
    expect(s.get('flooder', 'big?x=49', 1)?.body.toString()).toBe('49');
    expect(s.get('flooder', 'big?x=47', 1)).toBeUndefined();
  });

  it('never holds more than its limits, whatever is stored and fetched', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.nat(300))),
        (ops) => {
          const s = new Block2Store({ maxEntries: 6, maxPerPeer: 2, maxBytes: 5, lifetimeMs: 1000 });
          let now = 0;
          for (const [peer, res, dt] of ops) {
            now += dt;
            s.put(`p${peer}`, `r${res}`, Buffer.alloc(res), now);
            expect(s.size).toBeLessThanOrEqual(6);
            expect(s.bytes).toBeLessThanOrEqual(5);
            const live = [0, 1, 2, 3, 4, 5].filter((r) => s.get(`p${peer}`, `r${r}`, now) !== undefined);
            expect(live.length).toBeLessThanOrEqual(2);
          }
        },
      ),
    );
  });
});

describe('DedupCache (RFC 7252 §4.5)', () => {
  it('reports a repeated message id as a duplicate with the reply it got, until the lifetime', () => {
    const d = new DedupCache({ maxEntries: 10, lifetimeMs: 247_000 });
    expect(d.check('p', 7, 0).kind).toBe('new');
    expect(d.check('p', 7, 1)).toEqual({ kind: 'duplicate', reply: undefined });
    d.answered('p', 7, Buffer.from('ack'));
    expect(d.check('p', 7, 2)).toEqual({ kind: 'duplicate', reply: Buffer.from('ack') });
    expect(d.check('q', 7, 2).kind).toBe('new');
    expect(d.check('p', 7, 247_000).kind).toBe('new');
  });
  it('gives the verdicts of one oldest-first table keyed by peer and id (model check)', () => {
    // the reference: the plain single-table version this cache replaced for speed
    class Model {
      seen = new Map<string, number>();
      constructor(
        readonly max: number,
        readonly lifetime: number,
      ) {}
      check(peer: string, id: number, now: number): string {
        const key = `${peer}#${id}`;
        const at = this.seen.get(key);
        if (at !== undefined && now - at < this.lifetime) return 'duplicate';
        if (at !== undefined) this.seen.delete(key);
        for (const [k, t] of this.seen) {
          if (now - t < this.lifetime) break;
          this.seen.delete(k);
        }
        while (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value as string);
        this.seen.set(key, now);
        return 'new';
      }
    }
    const op = fc.record({ peer: fc.constantFrom('a', 'b', 'c'), id: fc.integer({ min: 0, max: 20 }), dt: fc.nat(40) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
        const d = new DedupCache({ maxEntries: max, lifetimeMs: 100 });
        const m = new Model(max, 100);
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          expect(d.check(o.peer, o.id, now).kind).toBe(m.check(o.peer, o.id, now));
          expect(d.size).toBe(m.seen.size);
        }
      }),
      { numRuns: 300 },
    );
  });
  it('stays bounded under a flood of fresh ids', () => {
    const d = new DedupCache({ maxEntries: 100, lifetimeMs: 247_000 });
    for (let i = 0; i < 10_000; i++) d.check(`p${i % 50}`, i, i);
    expect(d.size).toBe(100);
    expect(d.evicted).toBe(9_900);
  });
});

describe('RetransmitQueue (RFC 7252 §4.2)', () => {
  it('resends with doubling timeouts, then fails after MAX_RETRANSMIT', () => {
    const q = new RetransmitQueue<string>({ ackTimeoutMs: 2000, ackRandomFactor: 1.5, maxRetransmit: 4 }, () => 0);
    q.track('p', 1, Buffer.from('x'), 'ctx', 0);
    const resendTimes: number[] = [];
    let failed: string | undefined;
    for (let now = 0; now <= 70_000 && !failed; now += 100) {
      const r = q.due(now);
      if (r.resend.length) resendTimes.push(now);
      if (r.failed.length) failed = r.failed[0]!.context;
    }
    // 2 s, then 4, 8, 16 later; the exchange fails 32 s after the 4th resend (RFC 7252 §4.8.2 MAX_TRANSMIT_WAIT).
    expect(resendTimes).toEqual([2000, 6000, 14000, 30000]);
    expect(failed).toBe('ctx');
    expect(q.size).toBe(0);
  });
  it('settles on ACK and ignores an ACK that matches nothing', () => {
    const q = new RetransmitQueue<number>({ ackTimeoutMs: 2000, ackRandomFactor: 1.5, maxRetransmit: 4 });
    const due = q.track('p', 9, Buffer.alloc(1), 42, 0);
    expect(due).toBeGreaterThanOrEqual(2000);
    expect(due).toBeLessThanOrEqual(3000);
    expect(q.settle('p', 8)).toBeUndefined();
    expect(q.settle('p', 9)).toBe(42);
    expect(q.due(100_000)).toEqual({ resend: [], failed: [] });
  });
});

describe('MessageIds (RFC 7252 §4.4)', () => {
  const limits = { maxPeers: 4, lifetimeMs: 247_000 };
  it('never reuses an id towards a peer within 65,536 of its own messages, whatever goes to other peers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2000 }), (peers) => {
        const ids = new MessageIds(limits);
        const seen = new Map<number, Set<number>>();
        for (const p of peers) {
          const id = ids.next(`p${p}`, 0);
          const set = seen.get(p) ?? new Set<number>();
          expect(set.has(id)).toBe(false);
          set.add(id);
          seen.set(p, set);
        }
      }),
    );
  });
  it('keeps a peer counter while 65,535 messages go to another peer (a shared counter would wrap onto it)', () => {
    const ids = new MessageIds(limits, () => 0);
    const a = ids.next('a', 0);
    for (let i = 0; i < 65_535; i++) ids.next('b', 0);
    expect(ids.next('a', 0)).toBe((a + 1) & 0xffff);
  });
  it('starts each peer at a random id, forgets idle peers after the lifetime and is bounded', () => {
    const ids = new MessageIds(limits, () => 0.5);
    expect(ids.next('a', 0)).toBe(0x8001);
    expect(ids.next('a', 246_999)).toBe(0x8002);
    const again = new MessageIds(limits, () => 0.25);
    again.next('a', 0);
    expect(again.next('a', 247_000)).toBe(0x4001);
    for (let i = 0; i < 10; i++) again.next(`x${i}`, 247_000);
    expect(again.size).toBe(4);
    expect(again.evicted).toBe(7);
  });
});
