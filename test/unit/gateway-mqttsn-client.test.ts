import { describe, expect, it } from 'vitest';
import { shortTopicId } from '../../gateways/mqttsn/frames.js';
import { actions, drops, flags, frames, Harness, types } from './gateway-mqttsn-harness.js';

describe('MQTT-SN gateway: connection (MQTT-SN 1.2 §6.2, §6.3)', () => {
  it('CONNECT → connect action; connack accepted → CONNACK accepted', () => {
    const h = new Harness();
    const fx = h.in({ type: 'CONNECT', flags: flags(), protocolId: 1, duration: 30, clientId: 'dev1' });
    expect(frames(fx)).toEqual([]);
    expect(actions(fx)).toEqual([
      { type: 'connect', session: 1, clientId: 'dev1', peer: '127.0.0.1:5000', cleanSession: true, keepAlive: 30 },
    ]);
    expect(frames(h.ev({ type: 'connack', session: 1, result: 'accepted' }))).toEqual([
      { type: 'CONNACK', returnCode: 0 },
    ]);
    expect(h.gw.client('dev1')?.state).toBe('active');
  });

  it('the will prompts: WILLTOPICREQ, WILLTOPIC, WILLMSGREQ, WILLMSG, then connect with the will', () => {
    const h = new Harness();
    expect(
      types(h.in({ type: 'CONNECT', flags: flags({ will: true }), protocolId: 1, duration: 0, clientId: 'w' })),
    ).toEqual(['WILLTOPICREQ']);
    expect(types(h.in({ type: 'WILLTOPIC', flags: flags({ qos: 1, retain: true }), topic: 'dev/w/status' }))).toEqual([
      'WILLMSGREQ',
    ]);
    const fx = h.in({ type: 'WILLMSG', message: Buffer.from('gone') });
    expect(actions(fx)).toEqual([
      {
        type: 'connect',
        session: 1,
        clientId: 'w',
        peer: '127.0.0.1:5000',
        cleanSession: true,
        keepAlive: 0,
        will: { topic: 'dev/w/status', payload: Buffer.from('gone'), qos: 1, retain: true },
      },
    ]);
  });

  it('an unanswered will prompt is retransmitted Nretry times, then the attempt is dropped', () => {
    const h = new Harness({ retry: { interval: '1s', max: 2 } });
    h.in({ type: 'CONNECT', flags: flags({ will: true }), protocolId: 1, duration: 0, clientId: 'w' });
    expect(types(h.tick(1000))).toEqual(['WILLTOPICREQ']);
    expect(types(h.tick(1000))).toEqual(['WILLTOPICREQ']);
    expect(drops(h.tick(1000))).toEqual(['will_prompt_timeout']);
    expect(h.gw.clients).toBe(0);
  });

  it('refuses a bad protocol id, an empty or too long client id, and more than max_clients', () => {
    const h = new Harness({ limits: { max_clients: 1, max_client_id_length: 4 } });
    const rc = (clientId: string, protocolId = 1, peer = '127.0.0.1:1') =>
      h.in({ type: 'CONNECT', flags: flags(), protocolId, duration: 0, clientId }, peer);
    expect(frames(rc('abc', 2))).toEqual([{ type: 'CONNACK', returnCode: 3 }]);
    expect(drops(rc(''))).toEqual(['client_id_empty']);
    expect(drops(rc('abcde'))).toEqual(['client_id_too_long']);
    expect(frames(rc('abcde'))).toEqual([{ type: 'CONNACK', returnCode: 3 }]);
    h.connect('a', '127.0.0.1:1');
    const fx = rc('b', 1, '127.0.0.1:2');
    expect(frames(fx)).toEqual([{ type: 'CONNACK', returnCode: 1 }]);
    expect(drops(fx)).toEqual(['max_clients']);
  });

  it('a refused connect answers CONNACK not supported / congestion', () => {
    const h = new Harness();
    h.in({ type: 'CONNECT', flags: flags(), protocolId: 1, duration: 0, clientId: 'x' });
    expect(frames(h.ev({ type: 'connack', session: 1, result: 'not_authorized' }))).toEqual([
      { type: 'CONNACK', returnCode: 3 },
    ]);
    expect(h.gw.clients).toBe(0);
  });

  it('the same client id from another address takes over: the old session closes without will', () => {
    const h = new Harness();
    const s1 = h.connect('dev', '127.0.0.1:1');
    const fx = h.in({ type: 'CONNECT', flags: flags(), protocolId: 1, duration: 0, clientId: 'dev' }, '127.0.0.1:2');
    expect(actions(fx)).toContainEqual({ type: 'close', session: s1, reason: 'takeover', will: false });
    expect(actions(fx)).toContainEqual(
      expect.objectContaining({ type: 'connect', session: s1 + 1, peer: '127.0.0.1:2' }),
    );
    expect(h.gw.clients).toBe(1);
  });

  it('a resent CONNECT while the broker has not answered starts nothing new', () => {
    const h = new Harness();
    const c = { type: 'CONNECT', flags: flags(), protocolId: 1, duration: 0, clientId: 'd' } as const;
    h.in(c);
    expect(actions(h.in(c))).toEqual([]);
  });

  it('a connect the broker never answers ends after Tretry × (Nretry + 1) with CONNACK congestion', () => {
    const h = new Harness({ retry: { interval: '1s', max: 2 } });
    h.in({ type: 'CONNECT', flags: flags(), protocolId: 1, duration: 0, clientId: 'slow' });
    expect(h.tick(2999)).toEqual([]);
    const fx = h.tick(1);
    expect(frames(fx)).toEqual([{ type: 'CONNACK', returnCode: 1 }]);
    expect(actions(fx)).toEqual([{ type: 'close', session: 1, reason: 'disconnect', will: false }]);
    expect(h.gw.clients).toBe(0);
  });

  it('DISCONNECT: DISCONNECT back, close without will', () => {
    const h = new Harness();
    const s = h.connect();
    const fx = h.in({ type: 'DISCONNECT' });
    expect(types(fx)).toEqual(['DISCONNECT']);
    expect(actions(fx)).toEqual([{ type: 'close', session: s, reason: 'disconnect', will: false }]);
    expect(h.gw.clients).toBe(0);
  });

  it('frames from an unknown peer are dropped as not_connected', () => {
    const h = new Harness();
    expect(drops(h.in({ type: 'PINGREQ' }))).toEqual(['not_connected']);
  });
});

describe('MQTT-SN gateway: keep-alive and retransmission (§6.11, §6.13)', () => {
  it('PINGREQ → PINGRESP; silence past 1.5 × keep-alive → close with will', () => {
    const h = new Harness();
    const s = h.connect('k', undefined, {}, 10);
    expect(types(h.in({ type: 'PINGREQ' }))).toEqual(['PINGRESP']);
    expect(actions(h.tick(15_000))).toEqual([]);
    expect(actions(h.tick(1))).toEqual([{ type: 'close', session: s, reason: 'keepalive_timeout', will: true }]);
  });

  it('an unacknowledged PUBLISH is resent with DUP every Tretry, and after Nretry the client is lost', () => {
    const h = new Harness({ retry: { interval: '5s', max: 2 } });
    const s = h.connect('r', undefined, {}, 0);
    h.in({ type: 'SUBSCRIBE', flags: flags({ qos: 1, topicIdType: 2 }), msgId: 1, topicId: shortTopicId('ab') });
    h.ev({ type: 'suback', session: s, ref: 1, result: 'granted', qos: 1 });
    const first = frames(
      h.ev({ type: 'deliver', session: s, ref: 7, topic: 'ab', payload: Buffer.from('x'), qos: 1, retain: false }),
    );
    expect(first).toEqual([
      {
        type: 'PUBLISH',
        flags: flags({ qos: 1, topicIdType: 2, cleanSession: false }),
        topicId: shortTopicId('ab'),
        msgId: 1,
        data: Buffer.from('x'),
      },
    ]);
    expect(frames(h.tick(5000))).toEqual([
      { ...first[0], flags: flags({ dup: true, qos: 1, topicIdType: 2, cleanSession: false }) },
    ]);
    expect(frames(h.tick(5000))).toHaveLength(1);
    const fx = h.tick(5000);
    expect(actions(fx)).toEqual([
      { type: 'close', session: s, reason: 'retry_exhausted', will: true },
      { type: 'settle', session: s, ref: 7, outcome: 'dropped', reason: 'client_gone' },
    ]);
  });
});

describe('MQTT-SN gateway: topic ids and publish from the client (§6.5, §6.6, §6.7, §6.8)', () => {
  it('REGISTER → REGACK with an id; PUBLISH QoS 1 on it → publish; broker puback → PUBACK accepted', () => {
    const h = new Harness();
    const s = h.connect();
    expect(frames(h.in({ type: 'REGISTER', topicId: 0, msgId: 3, topic: 'sensors/sn/x' }))).toEqual([
      { type: 'REGACK', topicId: 1, msgId: 3, returnCode: 0 },
    ]);
    const fx = h.in({ type: 'PUBLISH', flags: flags({ qos: 1 }), topicId: 1, msgId: 4, data: Buffer.from('21.5') });
    expect(actions(fx)).toEqual([
      {
        type: 'publish',
        session: s,
        ref: 1,
        topic: 'sensors/sn/x',
        payload: Buffer.from('21.5'),
        qos: 1,
        retain: false,
      },
    ]);
    expect(frames(h.ev({ type: 'puback', session: s, ref: 1, result: 'accepted' }))).toEqual([
      { type: 'PUBACK', topicId: 1, msgId: 4, returnCode: 0 },
    ]);
  });

  it('an unknown topic id → PUBACK invalid topic id, nothing published', () => {
    const h = new Harness();
    h.connect();
    const fx = h.in({ type: 'PUBLISH', flags: flags({ qos: 0 }), topicId: 99, msgId: 0, data: Buffer.alloc(0) });
    expect(frames(fx)).toEqual([{ type: 'PUBACK', topicId: 99, msgId: 0, returnCode: 2 }]);
    expect(actions(fx)).toEqual([]);
    expect(drops(fx)).toEqual(['invalid_topic_id']);
  });

  it('predefined and short topic ids need no REGISTER', () => {
    const h = new Harness();
    const s = h.connect();
    const pre = h.in({
      type: 'PUBLISH',
      flags: flags({ topicIdType: 1 }),
      topicId: 1,
      msgId: 0,
      data: Buffer.from('p'),
    });
    expect(actions(pre)).toEqual([expect.objectContaining({ type: 'publish', session: s, topic: 'sensors/predef/1' })]);
    const short = h.in({
      type: 'PUBLISH',
      flags: flags({ topicIdType: 2, retain: true }),
      topicId: shortTopicId('t1')!,
      msgId: 0,
      data: Buffer.from('s'),
    });
    expect(actions(short)).toEqual([expect.objectContaining({ topic: 't1', retain: true, qos: 0 })]);
  });

  it('a REGISTER flood beyond max_topics_per_client gets REGACK congestion, counted', () => {
    const h = new Harness({ limits: { max_topics_per_client: 2 } });
    h.connect();
    h.in({ type: 'REGISTER', topicId: 0, msgId: 1, topic: 'a' });
    h.in({ type: 'REGISTER', topicId: 0, msgId: 2, topic: 'b' });
    // re-registering a known name is idempotent
    expect(frames(h.in({ type: 'REGISTER', topicId: 0, msgId: 3, topic: 'a' }))).toEqual([
      { type: 'REGACK', topicId: 1, msgId: 3, returnCode: 0 },
    ]);
    const fx = h.in({ type: 'REGISTER', topicId: 0, msgId: 4, topic: 'c' });
    expect(frames(fx)).toEqual([{ type: 'REGACK', topicId: 0, msgId: 4, returnCode: 1 }]);
    expect(drops(fx)).toEqual(['max_topics']);
    expect(frames(h.in({ type: 'REGISTER', topicId: 0, msgId: 5, topic: 'x/#' }))).toEqual([
      { type: 'REGACK', topicId: 0, msgId: 5, returnCode: 3 },
    ]);
  });

  it('QoS 2: a PUBLISH resent before PUBREL is not published twice (§6.6, §6.13)', () => {
    const h = new Harness();
    const s = h.connect();
    const pub = {
      type: 'PUBLISH',
      flags: flags({ qos: 2, topicIdType: 1 }),
      topicId: 1,
      msgId: 9,
      data: Buffer.from('q2'),
    } as const;
    expect(actions(h.in(pub))).toHaveLength(1);
    const dupBeforeAccept = h.in({ ...pub, flags: { ...pub.flags, dup: true } });
    expect(actions(dupBeforeAccept)).toEqual([]);
    expect(drops(dupBeforeAccept)).toEqual(['duplicate']);
    expect(frames(h.ev({ type: 'puback', session: s, ref: 1, result: 'accepted' }))).toEqual([
      { type: 'PUBREC', msgId: 9 },
    ]);
    const dupAfterAccept = h.in({ ...pub, flags: { ...pub.flags, dup: true } });
    expect(actions(dupAfterAccept)).toEqual([]);
    expect(frames(dupAfterAccept)).toEqual([{ type: 'PUBREC', msgId: 9 }]);
    expect(frames(h.in({ type: 'PUBREL', msgId: 9 }))).toEqual([{ type: 'PUBCOMP', msgId: 9 }]);
    // after PUBREL the id is free again: a new message with it is published
    expect(actions(h.in(pub))).toHaveLength(1);
  });

  it('a QoS 1 PUBLISH refused by the broker gets PUBACK with the return code', () => {
    const h = new Harness();
    const s = h.connect();
    h.in({ type: 'PUBLISH', flags: flags({ qos: 1, topicIdType: 1 }), topicId: 1, msgId: 2, data: Buffer.alloc(0) });
    expect(frames(h.ev({ type: 'puback', session: s, ref: 1, result: 'not_authorized' }))).toEqual([
      { type: 'PUBACK', topicId: 1, msgId: 2, returnCode: 3 },
    ]);
  });

  it('too many publishes waiting for the broker → PUBACK congestion', () => {
    const h = new Harness({ limits: { max_pending_publishes: 1 } });
    h.connect();
    const p = (msgId: number) =>
      h.in({ type: 'PUBLISH', flags: flags({ qos: 1, topicIdType: 1 }), topicId: 1, msgId, data: Buffer.alloc(0) });
    p(1);
    expect(frames(p(2))).toEqual([{ type: 'PUBACK', topicId: 1, msgId: 2, returnCode: 1 }]);
  });

  it('QoS -1 without a connection: predefined and short ids are published as the gateway, normal ids dropped', () => {
    const h = new Harness();
    const pre = h.in(
      { type: 'PUBLISH', flags: flags({ qos: -1, topicIdType: 1 }), topicId: 1, msgId: 0, data: Buffer.from('m') },
      '127.0.0.1:9',
    );
    expect(actions(pre)).toEqual([
      {
        type: 'publish',
        session: null,
        ref: 0,
        topic: 'sensors/predef/1',
        payload: Buffer.from('m'),
        qos: 0,
        retain: false,
        peer: '127.0.0.1:9',
      },
    ]);
    expect(
      drops(h.in({ type: 'PUBLISH', flags: flags({ qos: -1 }), topicId: 1, msgId: 0, data: Buffer.alloc(0) })),
    ).toEqual(['qos_minus1_normal_topic_id']);
    const off = new Harness({ enable_qos3: false });
    expect(
      drops(
        off.in({
          type: 'PUBLISH',
          flags: flags({ qos: -1, topicIdType: 1 }),
          topicId: 1,
          msgId: 0,
          data: Buffer.alloc(0),
        }),
      ),
    ).toEqual(['qos_minus1_disabled']);
  });
});
