import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Method, Opt, type CoapMessage } from '../../gateways/coap/message.js';
import { ObserveRegistry } from '../../gateways/coap/observe-registry.js';
import { requestTarget } from '../../gateways/coap/uri.js';

function req(path: string[], query: string[] = []): CoapMessage {
  return {
    type: 'CON',
    code: Method.POST,
    messageId: 1,
    token: Buffer.alloc(0),
    options: [
      ...path.map((p) => ({ number: Opt.UriPath, value: Buffer.from(p) })),
      ...query.map((q) => ({ number: Opt.UriQuery, value: Buffer.from(q) })),
    ],
    payload: Buffer.alloc(0),
  };
}

describe('CoAP resources (ps/{topic}, mqtt/connection)', () => {
  it('joins the Uri-Path segments after ps into the topic and reads the query', () => {
    expect(
      requestTarget(req(['ps', 'sensors', 'c 1'], ['qos=1', 'retain=true', 'expiry=60', 'clientid=d1', 'x=y'])),
    ).toEqual({
      kind: 'ps',
      topic: 'sensors/c 1',
      query: { qos: 1, retain: true, expiry: 60, clientid: 'd1' },
    });
    expect(requestTarget(req(['ps', '+', '#'])).kind).toBe('ps');
    // as docs/gateways/coap.md says: a%2Fb arrives as the one segment a/b and is two MQTT levels; a trailing empty
    // segment (what `ps/a/#` unescaped becomes) is an empty last level
    expect(requestTarget(req(['ps', 'a/b']))).toMatchObject({ kind: 'ps', topic: 'a/b' });
    expect(requestTarget(req(['ps', 'a', '']))).toMatchObject({ kind: 'ps', topic: 'a/' });
    expect(requestTarget(req(['mqtt', 'connection'], ['clientid=a', 'username=u', 'password=p']))).toEqual({
      kind: 'connection',
      query: { clientid: 'a', username: 'u', password: 'p' },
    });
  });

  it('answers bad queries with 4.00 and a diagnostic, unknown resources with 4.04', () => {
    expect(requestTarget(req(['ps', 'a'], ['qos=3']))).toMatchObject({ kind: 'error', status: 'bad_request' });
    expect(requestTarget(req(['ps', 'a'], ['retain=maybe']))).toMatchObject({ kind: 'error', status: 'bad_request' });
    expect(requestTarget(req(['ps', 'a'], ['expiry=-1']))).toMatchObject({ kind: 'error', status: 'bad_request' });
    expect(requestTarget(req(['ps']))).toMatchObject({ kind: 'error', status: 'bad_request' });
    expect(requestTarget(req(['mqtt', 'connection'], ['will_qos=3']))).toMatchObject({ kind: 'error' });
    expect(requestTarget(req(['mqtt', 'connection'], ['will_retain=x']))).toMatchObject({ kind: 'error' });
    expect(requestTarget(req(['mqtt', 'connection'], ['will_topic=s/a', 'will_qos=2', 'will_retain=1']))).toEqual({
      kind: 'connection',
      query: { will_topic: 's/a', will_qos: 2, will_retain: true },
    });
    expect(requestTarget(req(['other']))).toMatchObject({ kind: 'error', status: 'not_found' });
  });

  it('never throws on arbitrary path and query bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 })), fc.array(fc.uint8Array({ maxLength: 20 })), (p, q) => {
        const msg = req([], []);
        const options = [
          ...p.map((v) => ({ number: Opt.UriPath, value: Buffer.from(v) })),
          ...q.map((v) => ({ number: Opt.UriQuery, value: Buffer.from(v) })),
        ];
        const target = requestTarget({ ...msg, options });
        expect(['ps', 'connection', 'error']).toContain(target.kind);
        // whatever is accepted was valid UTF-8 and is published unchanged, never with U+FFFD substituted
        const valid = (v: Uint8Array) => Buffer.from(Buffer.from(v).toString('utf8'), 'utf8').equals(Buffer.from(v));
        if (target.kind === 'ps') {
          expect(p.every(valid)).toBe(true);
          expect(target.topic).toBe(
            p
              .slice(1)
              .map((v) => Buffer.from(v).toString('utf8'))
              .join('/'),
          );
        }
      }),
    );
  });

  it('answers a path or query that is not valid UTF-8 with 4.00 instead of changing the topic', () => {
    const bytes = (path: Buffer[], query: Buffer[] = []) => ({
      ...req([], []),
      options: [
        ...path.map((value) => ({ number: Opt.UriPath, value })),
        ...query.map((value) => ({ number: Opt.UriQuery, value })),
      ],
    });
    const bad = Buffer.from([0x61, 0xff]);
    for (const msg of [
      bytes([Buffer.from('ps'), bad]),
      bytes([Buffer.from('ps'), Buffer.from([0xc3])]), // truncated two-byte sequence
      bytes([Buffer.from('ps'), Buffer.from([0xed, 0xa0, 0x80])]), // a UTF-16 surrogate
      bytes([Buffer.from('ps'), Buffer.from('a')], [Buffer.concat([Buffer.from('clientid='), bad])]),
    ])
      expect(requestTarget(msg)).toMatchObject({ kind: 'error', status: 'bad_request' });
    expect(requestTarget(bytes([Buffer.from('ps'), Buffer.from('température')]))).toMatchObject({
      kind: 'ps',
      topic: 'température',
    });
  });
});

describe('ObserveRegistry (RFC 7641)', () => {
  const limits = {
    window: 1,
    maxQueue: 3,
    maxQueueBytes: 1 << 20,
    overflow: 'drop_oldest' as const,
    maxPerPeer: 2,
    maxTotal: 3,
  };

  it('replaces a registration with the same token and bounds relations per peer and in all', () => {
    const r = new ObserveRegistry<number>(limits);
    const a = r.register('p1', Buffer.from([1]), 'a', 'con', 'k');
    expect('relation' in a).toBe(true);
    const again = r.register('p1', Buffer.from([1]), 'b', 'con', 'k');
    expect('replaced' in again && again.replaced).toBeTruthy();
    expect(r.size).toBe(1);
    r.register('p1', Buffer.from([2]), 'c', 'con', 'k');
    expect(r.register('p1', Buffer.from([3]), 'd', 'con', 'k')).toEqual({ refused: 'peer' });
    r.register('p2', Buffer.from([1]), 'e', 'con', 'k');
    expect(r.register('p3', Buffer.from([1]), 'f', 'con', 'k')).toEqual({ refused: 'total' });
    expect(r.removePeer('p1')).toHaveLength(2);
    expect(r.size).toBe(1);
  });

  it('queues a NON behind a CON awaiting its ACK (notify_type qos: order kept)', () => {
    const r = new ObserveRegistry<string>(limits);
    const reg = r.register('p', Buffer.from([9]), 'f', 'qos', 'k');
    if (!('relation' in reg)) throw new Error('refused');
    const rel = reg.relation;
    expect(r.offer(rel, 'con1', true, () => {})).toBe('send');
    expect(r.offer(rel, 'non2', false, () => {})).toBe('queued');
    expect(r.offer(rel, 'non3', false, () => {})).toBe('queued');
    expect(r.settle(rel)).toBe('non2');
    expect(r.settle(rel)).toBe('non3');
    expect(r.settle(rel)).toBeUndefined();
    expect(r.offer(rel, 'non4', false, () => {})).toBe('send');
  });

  it('keeps CON notifications in order through the window and drops the oldest past the queue', () => {
    const r = new ObserveRegistry<number>(limits);
    const reg = r.register('p', Buffer.from([9]), 'f', 'con', 'k');
    if (!('relation' in reg)) throw new Error('refused');
    const rel = reg.relation;
    const evicted: number[] = [];
    const results = [1, 2, 3, 4, 5].map((n) => r.offer(rel, n, true, (e) => evicted.push(e)));
    expect(results).toEqual(['send', 'queued', 'queued', 'queued', 'dropped_oldest']);
    expect(evicted).toEqual([2]);
    const sent = [1];
    for (let next = r.settle(rel); next !== undefined; next = r.settle(rel)) sent.push(next);
    expect(sent).toEqual([1, 3, 4, 5]);
    expect(rel.dropped).toBe(1);
  });

  it('bounds the queue by bytes too, and drop_newest drops the new notification instead', () => {
    const size = (n: number) => n; // the item is its own size
    const bytes = new ObserveRegistry<number>({ ...limits, maxQueue: 100, maxQueueBytes: 10 }, size);
    const reg = bytes.register('p', Buffer.from([1]), 'f', 'con', 'k');
    if (!('relation' in reg)) throw new Error('refused');
    const evicted: number[] = [];
    const offer = (n: number) => bytes.offer(reg.relation, n, true, (e) => evicted.push(e));
    expect([offer(1), offer(4), offer(5), offer(3)]).toEqual(['send', 'queued', 'queued', 'dropped_oldest']);
    expect(evicted).toEqual([4]);
    expect(reg.relation.queueBytes).toBe(8);
    // one message larger than the byte limit still fits an empty queue (delayed, not refused)
    expect(offer(50)).toBe('dropped_oldest');
    expect(reg.relation.queue).toEqual([50]);

    const newest = new ObserveRegistry<number>({ ...limits, overflow: 'drop_newest' });
    const r2 = newest.register('p', Buffer.from([2]), 'f', 'con', 'k');
    if (!('relation' in r2)) throw new Error('refused');
    const gone: number[] = [];
    const results = [1, 2, 3, 4, 5].map((n) => newest.offer(r2.relation, n, true, (e) => gone.push(e)));
    expect(results).toEqual(['send', 'queued', 'queued', 'queued', 'dropped_newest']);
    expect(gone).toEqual([5]);
    expect(r2.relation.queue).toEqual([2, 3, 4]);
  });

  it('never holds more than max_queue items or (beyond one item) max_queue_bytes, whatever is offered', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom<'drop_oldest' | 'drop_newest'>('drop_oldest', 'drop_newest'),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(-1)), { maxLength: 60 }),
        (maxQueue, maxQueueBytes, overflow, ops) => {
          const r = new ObserveRegistry<number>({ ...limits, maxQueue, maxQueueBytes, overflow }, (n) => n);
          const reg = r.register('p', Buffer.from([1]), 'f', 'con', 'k');
          if (!('relation' in reg)) throw new Error('refused');
          const rel = reg.relation;
          let offered = 0;
          let out = 0;
          for (const op of ops) {
            if (op < 0) {
              if (r.settle(rel) !== undefined) out++;
            } else {
              offered++;
              if (r.offer(rel, op, true, () => out++) === 'send') out++;
            }
            expect(rel.queue.length).toBeLessThanOrEqual(maxQueue);
            if (rel.queue.length > 1) expect(rel.queueBytes).toBeLessThanOrEqual(maxQueueBytes);
            expect(rel.queueBytes).toBe(rel.queue.reduce((a, b) => a + b, 0));
          }
          // nothing lost without being handed back: sent, evicted or still queued
          expect(out + rel.queue.length).toBe(offered);
        },
      ),
    );
  });

  it('numbers notifications with increasing 24-bit sequence numbers', () => {
    const r = new ObserveRegistry<number>(limits);
    const reg = r.register('p', Buffer.from([9]), 'f', 'non', 'k');
    if (!('relation' in reg)) throw new Error('refused');
    const a = reg.relation.nextSeq();
    const b = reg.relation.nextSeq();
    expect(b).toBe(a + 1);
    expect(b).toBeLessThan(1 << 24);
    // RFC 7641 §4.4: the number wraps at 2^24 to 0, and 0 is "newer" than 0xffffff (within 2^23 of it)
    let last = b;
    for (let i = 0; i < (1 << 24) - 1; i++) last = reg.relation.nextSeq();
    expect(last).toBe(b - 1); // wrapped all the way round: one below b
    expect(reg.relation.nextSeq()).toBe(b);
    const past = new ObserveRegistry<number>(limits).register('q', Buffer.from([1]), 'f', 'non', 'k');
    if (!('relation' in past)) throw new Error('refused');
    const seqs: number[] = [];
    for (let i = 0; i < (1 << 24) + 2; i++) {
      const v = past.relation.nextSeq();
      if (i >= (1 << 24) - 3) seqs.push(v);
    }
    expect(seqs).toEqual([0xfffffe, 0xffffff, 0, 1, 2]);
  });
});
