import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode } from '../../gateways/mqttsn/codec.js';
import { shortTopicId, type Frame } from '../../gateways/mqttsn/frames.js';
import { actions, drops, flags, frames, Harness, types } from './gateway-mqttsn-harness.js';

const deliver = (session: number, ref: number, topic: string, qos: 0 | 1 | 2 = 1, payload = 'v') =>
  ({ type: 'deliver', session, ref, topic, payload: Buffer.from(payload), qos, retain: false }) as const;
const outFlags = (f: Parameters<typeof flags>[0]) => flags({ cleanSession: false, ...f });

function subscribed(h: Harness, filter: string, qos: 0 | 1 | 2 = 1): number {
  const s = h.connect();
  const fx = h.in({ type: 'SUBSCRIBE', flags: flags({ qos }), msgId: 1, topic: filter });
  expect(actions(fx)).toEqual([{ type: 'subscribe', session: s, ref: 1, filter, qos }]);
  const ack = frames(h.ev({ type: 'suback', session: s, ref: 1, result: 'granted', qos }));
  expect(ack).toEqual([
    {
      type: 'SUBACK',
      flags: flags({ qos, cleanSession: false }),
      topicId: /[+#]/.test(filter) ? 0 : 1,
      msgId: 1,
      returnCode: 0,
    },
  ]);
  return s;
}

describe('MQTT-SN gateway: subscribe and gateway publish (§6.9, §6.10)', () => {
  it('wildcard subscription: REGISTER first, REGACK, then PUBLISH, PUBACK → settle delivered', () => {
    const h = new Harness();
    const s = subscribed(h, 'cmd/#');
    expect(frames(h.ev(deliver(s, 50, 'cmd/a/b')))).toEqual([
      { type: 'REGISTER', topicId: 1, msgId: 1, topic: 'cmd/a/b' },
    ]);
    expect(frames(h.in({ type: 'REGACK', topicId: 1, msgId: 1, returnCode: 0 }))).toEqual([
      { type: 'PUBLISH', flags: outFlags({ qos: 1 }), topicId: 1, msgId: 2, data: Buffer.from('v') },
    ]);
    expect(actions(h.in({ type: 'PUBACK', topicId: 1, msgId: 2, returnCode: 0 }))).toEqual([
      { type: 'settle', session: s, ref: 50, outcome: 'delivered' },
    ]);
    // the topic is known now: the next message goes without REGISTER
    expect(types(h.ev(deliver(s, 51, 'cmd/a/b')))).toEqual(['PUBLISH']);
  });

  it('a REGACK with an error: that message is not delivered (settle dropped, counted)', () => {
    const h = new Harness();
    const s = subscribed(h, 'cmd/+');
    h.ev(deliver(s, 1, 'cmd/x'));
    const fx = h.in({ type: 'REGACK', topicId: 1, msgId: 1, returnCode: 1 });
    expect(actions(fx)).toEqual([
      { type: 'settle', session: s, ref: 1, outcome: 'dropped', reason: 'regack_rejected' },
    ]);
    expect(drops(fx)).toEqual(['regack_rejected']);
    expect(frames(fx)).toEqual([]);
  });

  it('a subscription to a plain name returns its topic id; deliveries use it without REGISTER', () => {
    const h = new Harness();
    const s = subscribed(h, 'cmd/one', 0);
    expect(frames(h.ev(deliver(s, 1, 'cmd/one', 0)))).toEqual([
      { type: 'PUBLISH', flags: outFlags({ qos: 0 }), topicId: 1, msgId: 0, data: Buffer.from('v') },
    ]);
  });

  it('QoS 2 towards the client: PUBLISH, PUBREC → PUBREL, PUBCOMP → settle', () => {
    const h = new Harness();
    const s = subscribed(h, 'cmd/q2', 2);
    expect(frames(h.ev(deliver(s, 4, 'cmd/q2', 2)))).toEqual([
      { type: 'PUBLISH', flags: outFlags({ qos: 2 }), topicId: 1, msgId: 1, data: Buffer.from('v') },
    ]);
    expect(frames(h.in({ type: 'PUBREC', msgId: 1 }))).toEqual([{ type: 'PUBREL', msgId: 1 }]);
    expect(frames(h.tick(10_000))).toEqual([{ type: 'PUBREL', msgId: 1 }]);
    expect(actions(h.in({ type: 'PUBCOMP', msgId: 1 }))).toEqual([
      { type: 'settle', session: s, ref: 4, outcome: 'delivered' },
    ]);
  });

  it('predefined and short topics go out with their id type', () => {
    const h = new Harness();
    const s = h.connect();
    expect(frames(h.ev(deliver(s, 1, 'sensors/predef/1', 0)))).toEqual([
      { type: 'PUBLISH', flags: outFlags({ topicIdType: 1 }), topicId: 1, msgId: 0, data: Buffer.from('v') },
    ]);
    expect(frames(h.ev(deliver(s, 2, 'zz', 0)))).toEqual([
      {
        type: 'PUBLISH',
        flags: outFlags({ topicIdType: 2 }),
        topicId: shortTopicId('zz'),
        msgId: 0,
        data: Buffer.from('v'),
      },
    ]);
  });

  it('subscribe by predefined id and short name; unknown predefined id → SUBACK invalid topic id', () => {
    const h = new Harness();
    const s = h.connect();
    expect(actions(h.in({ type: 'SUBSCRIBE', flags: flags({ topicIdType: 1 }), msgId: 2, topicId: 1 }))).toEqual([
      { type: 'subscribe', session: s, ref: 1, filter: 'sensors/predef/1', qos: 0 },
    ]);
    expect(frames(h.ev({ type: 'suback', session: s, ref: 1, result: 'granted', qos: 0 }))[0]).toMatchObject({
      topicId: 1,
      returnCode: 0,
    });
    expect(
      actions(h.in({ type: 'SUBSCRIBE', flags: flags({ topicIdType: 2 }), msgId: 3, topicId: shortTopicId('ab') })),
    ).toEqual([{ type: 'subscribe', session: s, ref: 2, filter: 'ab', qos: 0 }]);
    const bad = h.in({ type: 'SUBSCRIBE', flags: flags({ topicIdType: 1 }), msgId: 4, topicId: 42 });
    expect(frames(bad)).toEqual([
      { type: 'SUBACK', flags: flags({ topicIdType: 1 }), topicId: 0, msgId: 4, returnCode: 2 },
    ]);
    const refused = h.in({ type: 'SUBSCRIBE', flags: flags(), msgId: 5, topic: 'a/#/b' });
    expect(frames(refused)[0]).toMatchObject({ type: 'SUBACK', returnCode: 3 });
  });

  it('UNSUBSCRIBE → unsubscribe action → UNSUBACK', () => {
    const h = new Harness();
    const s = h.connect();
    expect(actions(h.in({ type: 'UNSUBSCRIBE', flags: flags(), msgId: 8, topic: 'cmd/#' }))).toEqual([
      { type: 'unsubscribe', session: s, ref: 1, filter: 'cmd/#' },
    ]);
    expect(frames(h.ev({ type: 'unsuback', session: s, ref: 1 }))).toEqual([{ type: 'UNSUBACK', msgId: 8 }]);
  });

  it('the in-flight window holds the queue; overflow is dropped, counted and settled', () => {
    const h = new Harness({ limits: { max_queue: 2 } });
    const s = subscribed(h, 'c/x');
    expect(types(h.ev(deliver(s, 1, 'c/x')))).toEqual(['PUBLISH']);
    h.ev(deliver(s, 2, 'c/x'));
    h.ev(deliver(s, 3, 'c/x'));
    const fx = h.ev(deliver(s, 4, 'c/x'));
    expect(actions(fx)).toEqual([{ type: 'settle', session: s, ref: 2, outcome: 'dropped', reason: 'queue_full' }]);
    expect(types(h.in({ type: 'PUBACK', topicId: 1, msgId: 1, returnCode: 0 }))).toEqual(['PUBLISH']);
  });

  it('a late event for an ended session is answered (settle dropped), never lost', () => {
    const h = new Harness();
    expect(actions(h.ev(deliver(77, 3, 'a/b')))).toEqual([
      { type: 'settle', session: 77, ref: 3, outcome: 'dropped', reason: 'no_session' },
    ]);
  });
});

describe('MQTT-SN gateway: sleeping clients (§6.14)', () => {
  it('asleep: buffered (bounded), PINGREQ with client id delivers then PINGRESP; expiry → lost with will', () => {
    const h = new Harness({ sleep: { max_messages: 2 } });
    const s = subscribed(h, 'c/+');
    const sleep = h.in({ type: 'DISCONNECT', duration: 60 });
    expect(frames(sleep)).toEqual([{ type: 'DISCONNECT', duration: 60 }]);
    expect(actions(sleep)).toEqual([{ type: 'sleep', session: s, duration: 60 }]);
    expect(frames(h.ev(deliver(s, 1, 'c/a', 0, 'one')))).toEqual([]);
    h.ev(deliver(s, 2, 'c/a', 0, 'two'));
    const over = h.ev(deliver(s, 3, 'c/a', 0, 'three'));
    expect(drops(over)).toEqual(['sleep_buffer_full']);
    expect(actions(over)).toEqual([
      { type: 'settle', session: s, ref: 1, outcome: 'dropped', reason: 'sleep_buffer_full' },
    ]);
    // wake up: REGISTER for c/a first (QoS 0 still needs a topic id), then the two messages, then PINGRESP
    h.tick(30_000);
    const wake = h.in({ type: 'PINGREQ', clientId: 'dev1' });
    expect(types(wake)).toEqual(['REGISTER']);
    expect(actions(wake)).toEqual([{ type: 'awake', session: s }]);
    const after = h.in({ type: 'REGACK', topicId: 1, msgId: 1, returnCode: 0 });
    expect(frames(after).map((f) => (f.type === 'PUBLISH' ? f.data.toString() : f.type))).toEqual(['two', 'three']);
    // a message the broker hands over while the client is awake goes out before the PINGRESP
    expect(types(h.ev(deliver(s, 9, 'c/a', 0, 'late')))).toEqual(['PUBLISH']);
    const back = h.tick(0);
    expect(types(back)).toEqual(['PINGRESP']);
    expect(actions(back)).toEqual([{ type: 'sleep', session: s, duration: 60 }]);
    expect(h.gw.client('dev1')?.state).toBe('asleep');
    expect(actions(h.tick(89_999))).toEqual([]);
    expect(actions(h.tick(2))).toEqual([{ type: 'close', session: s, reason: 'sleep_timeout', will: true }]);
  });

  it('CONNECT while asleep returns to active and delivers the buffer', () => {
    const h = new Harness();
    const s = subscribed(h, 'c/a', 0);
    h.in({ type: 'DISCONNECT', duration: 10 });
    h.ev(deliver(s, 1, 'c/a', 0));
    const fx = h.in({ type: 'CONNECT', flags: flags(), protocolId: 1, duration: 10, clientId: 'dev1' });
    expect(actions(fx)).toEqual([
      { type: 'awake', session: s },
      { type: 'settle', session: s, ref: 1, outcome: 'delivered' },
    ]);
    expect(types(fx)).toEqual(['CONNACK', 'PUBLISH']);
  });

  it('a sleeping client that wakes up from a new address is followed', () => {
    const h = new Harness();
    h.connect('mover', '127.0.0.1:1');
    h.in({ type: 'DISCONNECT', duration: 10 }, '127.0.0.1:1');
    h.in({ type: 'PINGREQ', clientId: 'mover' }, '127.0.0.1:2');
    expect(h.tick(0)[0]).toMatchObject({ kind: 'send', peer: '127.0.0.1:2', frame: { type: 'PINGRESP' } });
  });
});

describe('MQTT-SN gateway: will update (§6.4), forwarder (§5.5), discovery (§6.1)', () => {
  it('WILLTOPICUPD / WILLMSGUPD update the will and answer; an empty WILLTOPICUPD deletes it', () => {
    const h = new Harness();
    const s = h.connect();
    expect(frames(h.in({ type: 'WILLMSGUPD', message: Buffer.from('m') }))).toEqual([
      { type: 'WILLMSGRESP', returnCode: 3 },
    ]);
    const t = h.in({ type: 'WILLTOPICUPD', flags: flags({ qos: 1 }), topic: 'w/t' });
    expect(actions(t)).toEqual([
      { type: 'will', session: s, will: { topic: 'w/t', payload: Buffer.alloc(0), qos: 1, retain: false } },
    ]);
    expect(frames(t)).toEqual([{ type: 'WILLTOPICRESP', returnCode: 0 }]);
    expect(actions(h.in({ type: 'WILLMSGUPD', message: Buffer.from('bye') }))).toEqual([
      { type: 'will', session: s, will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 1, retain: false } },
    ]);
    expect(actions(h.in({ type: 'WILLTOPICUPD' }))).toEqual([{ type: 'will', session: s, will: null }]);
  });

  it('encapsulated messages are answered encapsulated with the same node id; node ids are separate clients', () => {
    const h = new Harness();
    const wrap = (nodeId: string, inner: Frame): Frame => ({
      type: 'ENCAPSULATED',
      radius: 1,
      nodeId: Buffer.from(nodeId),
      inner,
    });
    const c = (id: string): Frame => ({ type: 'CONNECT', flags: flags(), protocolId: 1, duration: 0, clientId: id });
    const a = h.in(wrap('n1', c('A')), '127.0.0.1:7');
    h.in(wrap('n2', c('B')), '127.0.0.1:7');
    expect(h.gw.clients).toBe(2);
    const connect = actions(a)[0]!;
    const fx = h.ev({ type: 'connack', session: (connect as { session: number }).session, result: 'accepted' });
    expect(fx).toEqual([
      {
        kind: 'send',
        peer: '127.0.0.1:7',
        frame: { type: 'CONNACK', returnCode: 0 },
        datagram: encode(wrap('n1', { type: 'CONNACK', returnCode: 0 })),
      },
    ]);
  });

  it('discovery is off by default; when on, SEARCHGW → GWINFO and ADVERTISE every interval to the address', () => {
    expect(drops(new Harness().in({ type: 'SEARCHGW', radius: 1 }))).toEqual(['discovery_disabled']);
    expect(new Harness().tick(1e9)).toEqual([]);
    const h = new Harness({ advertise: { enable: true, gateway_id: 7, interval: '60s', address: '127.0.0.1:1999' } });
    expect(frames(h.in({ type: 'SEARCHGW', radius: 1 }))).toEqual([{ type: 'GWINFO', gwId: 7 }]);
    const adv = h.tick(0);
    expect(adv).toEqual([
      expect.objectContaining({
        kind: 'send',
        peer: '127.0.0.1:1999',
        frame: { type: 'ADVERTISE', gwId: 7, duration: 60 },
      }),
    ]);
    expect(h.tick(59_999)).toEqual([]);
    expect(types(h.tick(1))).toEqual(['ADVERTISE']);
  });
});

describe('MQTT-SN gateway: bad input', () => {
  it('garbage and oversized datagrams are dropped with a reason, never thrown', () => {
    const h = new Harness({ limits: { max_datagram_size: 100 } });
    expect(drops(h.raw(Buffer.alloc(101)))).toEqual(['datagram_too_large']);
    expect(drops(h.raw(Buffer.from([5, 0x0c, 0])))).toEqual(['truncated']);
  });

  it('arbitrary datagrams from several peers never throw: each is a frame handled or a counted drop', () => {
    const valid = fc.constantFrom<Frame>(
      { type: 'CONNECT', flags: flags({ will: true }), protocolId: 1, duration: 1, clientId: 'f' },
      { type: 'WILLTOPIC', flags: flags(), topic: 'w' },
      { type: 'REGISTER', topicId: 0, msgId: 1, topic: 'a/b' },
      { type: 'DISCONNECT', duration: 1 },
      { type: 'PINGREQ', clientId: 'f' },
    );
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
      valid.map((f) => encode(f)),
      fc.tuple(valid, fc.integer({ min: 0, max: 255 }), fc.nat(20)).map(([f, v, i]) => {
        const b = Buffer.from(encode(f));
        b[i % b.length] = v; // one corrupted octet
        return b;
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(datagram, fc.constantFrom('127.0.0.1:1', '[::1]:2'), fc.nat(3000)), { maxLength: 40 }),
        (steps) => {
          const h = new Harness({ retry: { interval: '1s', max: 1 } });
          for (const [bytes, peer, ms] of steps) {
            for (const e of h.raw(bytes, peer)) expect(['send', 'broker', 'drop', 'event']).toContain(e.kind);
            h.tick(ms);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('any sequence of datagrams, broker events and ticks never throws and settles every delivery once', () => {
    const frameArb = fc.oneof(
      fc.constant<Frame>({ type: 'CONNECT', flags: flags(), protocolId: 1, duration: 5, clientId: 'p' }),
      fc.constant<Frame>({
        type: 'CONNECT',
        flags: flags({ will: true, cleanSession: false }),
        protocolId: 1,
        duration: 5,
        clientId: 'p',
      }),
      fc.constant<Frame>({ type: 'WILLTOPIC', flags: flags(), topic: 'w' }),
      fc.constant<Frame>({ type: 'WILLMSG', message: Buffer.from('x') }),
      fc.constant<Frame>({ type: 'SUBSCRIBE', flags: flags({ qos: 2 }), msgId: 1, topic: 'd/#' }),
      fc
        .integer({ min: 0, max: 4 })
        .map<Frame>((msgId) => ({ type: 'REGACK', topicId: 1, msgId, returnCode: msgId % 2 === 0 ? 0 : 2 })),
      fc.integer({ min: 0, max: 4 }).map<Frame>((msgId) => ({ type: 'PUBACK', topicId: 1, msgId, returnCode: 0 })),
      fc.integer({ min: 0, max: 4 }).map<Frame>((msgId) => ({ type: 'PUBREC', msgId })),
      fc.integer({ min: 0, max: 4 }).map<Frame>((msgId) => ({ type: 'PUBCOMP', msgId })),
      fc.constant<Frame>({ type: 'PINGREQ', clientId: 'p' }),
      fc.constantFrom<Frame>({ type: 'DISCONNECT', duration: 3 }, { type: 'DISCONNECT' }),
      fc.integer({ min: 0, max: 3 }).map<Frame>((msgId) => ({
        type: 'PUBLISH',
        flags: flags({ qos: 2, topicIdType: 1 }),
        topicId: 1,
        msgId,
        data: Buffer.alloc(1),
      })),
    );
    const step = fc.oneof(
      frameArb.map((f) => ({ kind: 'frame' as const, f })),
      fc.integer({ min: 0, max: 8000 }).map((ms) => ({ kind: 'tick' as const, ms })),
      fc.record({
        kind: fc.constant('deliver' as const),
        qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
        topic: fc.constantFrom('d/a', 'd/b', 'zz'),
      }),
      fc.constant({ kind: 'ack' as const }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const h = new Harness({
          retry: { interval: '2s', max: 2 },
          limits: { max_queue: 3 },
          sleep: { max_messages: 2 },
        });
        let ref = 0;
        const delivered: number[] = [];
        for (const st of steps) {
          const session = h.gw.client('p')?.session ?? 1;
          if (st.kind === 'frame') h.in(st.f);
          else if (st.kind === 'tick') h.tick(st.ms);
          else if (st.kind === 'deliver') {
            delivered.push(++ref);
            h.ev({
              type: 'deliver',
              session,
              ref,
              topic: st.topic,
              payload: Buffer.from('x'),
              qos: st.qos,
              retain: false,
            });
          } else {
            // answer every open broker request
            for (const a of actions(h.log)) {
              if (a.type === 'connect') h.ev({ type: 'connack', session: a.session, result: 'accepted' });
              if (a.type === 'publish' && a.qos > 0)
                h.ev({ type: 'puback', session: a.session!, ref: a.ref, result: 'accepted' });
              if (a.type === 'subscribe')
                h.ev({ type: 'suback', session: a.session, ref: a.ref, result: 'granted', qos: 2 });
            }
          }
        }
        h.log.push(...h.gw.shutdown());
        const settles = actions(h.log).flatMap((a) => (a.type === 'settle' ? [a.ref] : []));
        expect([...settles].sort((a, b) => a - b)).toEqual(delivered);
      }),
      { numRuns: 400 },
    );
  });
});
