/**
 * The sans-IO Lwm2mEndpoint under commands and datagrams a real deployment sends it: requests too large for one
 * datagram, bounds on observations, address changes, bad registrations. The device is played by the test
 * (EndpointRig), time is a fake clock.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Method, Opt, Rsp, encodeCoap, encodeUint } from '../../gateways/coap/index.js';
import { Requester } from '../../gateways/lwm2m/requester.js';
import { EndpointRig, peerAt } from '../support/lwm2m-endpoint-rig.js';

const write = (reqID: number, path: string, value: string): string =>
  JSON.stringify({ reqID, msgType: 'write', data: { path, value } });
const read = (reqID: number, path = '/3/0/9'): string => JSON.stringify({ reqID, msgType: 'read', data: { path } });

it('a command too large for one datagram is refused with 4.13 on up/resp, counted, and the next command goes out', async () => {
  const rig = new EndpointRig();
  const dev = peerAt(5001);
  await rig.register('big', dev);
  const deliver = rig.delivers.get('big')!;
  // 70 KB: more than any UDP datagram (the CoAP encoder itself refuses it)
  expect(() => deliver(write(1, '/5/0/0', Buffer.alloc(70_000, 1).toString('base64')))).not.toThrow();
  await rig.settle();
  const [r] = rig.results('big');
  expect(r).toMatchObject({ reqID: 1, msgType: 'write', data: { reqPath: '/5/0/0', code: '4.13' } });
  expect((r!.data as { reason: string }).reason).toMatch(/max_datagram_size 1500/);
  expect(await rig.dropped('request_too_large')).toBe(1);
  expect(rig.acked).toHaveLength(1); // the QoS 1 command is acknowledged with its error result
  expect(rig.requestsTo(dev)).toHaveLength(0);
  deliver(read(2));
  expect(rig.requestsTo(dev)).toHaveLength(1);
  expect(rig.ep.list()[0]).toMatchObject({ outstanding: 1, queuedCommands: 0 });
});

it('a sleeping queue-mode device: the oversized command is refused at once and its wake-up Update does not crash', async () => {
  const rig = new EndpointRig({ qmode_time_window: '300ms' });
  const dev = peerAt(5002);
  const loc = await rig.register('sleepy', dev, ['lt=300', 'b=UQ']);
  rig.tick(1000); // the window passes
  rig.delivers.get('sleepy')!(write(1, '/5/0/0', Buffer.alloc(70_000, 1).toString('base64')));
  rig.delivers.get('sleepy')!(read(2));
  await rig.settle();
  expect(rig.results('sleepy').map((r) => (r.data as { code: string }).code)).toEqual(['4.13']);
  expect(() => rig.request(dev, Method.POST, loc.split('/'))).not.toThrow();
  const reads = rig.requestsTo(dev);
  expect(reads).toHaveLength(1); // the read that waited goes out on wake-up
  rig.answer(dev, reads[0]!, Rsp.Content, '87', [{ number: Opt.ContentFormat, value: encodeUint(0) }]);
  await rig.settle();
  expect(rig.results('sleepy').map((r) => (r.data as { code: string }).code)).toEqual(['4.13', '2.05']);
});

it('a write just over max_datagram_size gets 4.13 at once instead of a silent drop and a 5.04 later', async () => {
  const rig = new EndpointRig({ max_datagram_size: 1500 });
  const dev = peerAt(5003);
  await rig.register('mid', dev);
  rig.delivers.get('mid')!(write(7, '/5/0/0', Buffer.alloc(3000, 1).toString('base64')));
  rig.delivers.get('mid')!(write(8, '/5/0/0', Buffer.alloc(1000, 1).toString('base64')));
  await rig.settle();
  expect(rig.results('mid')).toMatchObject([{ reqID: 7, data: { code: '4.13' } }]);
  const sent = rig.requestsTo(dev);
  expect(sent).toHaveLength(1); // 1 KB fits: it goes out
  expect(rig.sent.at(-1)!.bytes.length).toBeLessThanOrEqual(1500);
});

it('any datagrams and any commands in any order never make the endpoint throw', async () => {
  const datagram = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((b) => ({ kind: 'datagram' as const, bytes: Buffer.from(b) })),
    fc.record({
      kind: fc.constant('answer' as const),
      code: fc.constantFrom(0, Rsp.Content, Rsp.Changed, Rsp.NotFound, Rsp.Content),
      payload: fc.string({ maxLength: 20 }),
      observe: fc.option(fc.integer({ min: 0, max: 0xffffff }), { nil: undefined }),
      type: fc.constantFrom('ACK' as const, 'CON' as const, 'RST' as const),
    }),
  );
  const command = fc.record({
    kind: fc.constant('command' as const),
    msgType: fc.constantFrom('read', 'write', 'observe', 'cancel-observe', 'execute', 'discover', 'create', 'bogus'),
    path: fc.constantFrom('/3/0/9', '/5/0/0', '/5/0/0', '/3/0', '/70000/0', 'x'),
    size: fc.constantFrom(0, 10, 1400, 3000, 100_000, 100_000),
  });
  const tick = fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 200_000 }) });
  const step = fc.oneof({ arbitrary: command, weight: 3 }, { arbitrary: datagram, weight: 2 }, tick);
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.boolean(), async (steps, queueMode) => {
      const rig = new EndpointRig({ qmode_time_window: '1s', max_observations: 2 });
      const dev = peerAt(6000);
      await rig.register('p', dev, ['lt=300', queueMode ? 'b=UQ' : 'b=U']);
      for (const s of steps) {
        const deliver = rig.delivers.get('p')!;
        if (s.kind === 'datagram') rig.ep.receive(dev, s.bytes);
        else if (s.kind === 'tick') rig.tick(s.ms);
        else if (s.kind === 'command') {
          const value = 'v'.repeat(s.size);
          deliver(JSON.stringify({ reqID: 1, msgType: s.msgType, data: { path: s.path, value, args: 'a' } }));
        } else {
          const last = rig.requestsTo(dev).at(-1);
          if (!last) continue;
          const options = s.observe === undefined ? [] : [{ number: Opt.Observe, value: encodeUint(s.observe) }];
          if (s.type === 'ACK') rig.answer(dev, last, s.code, s.payload, options);
          else
            rig.ep.receive(
              dev,
              encodeCoap({
                type: s.type,
                code: s.type === 'RST' ? 0 : s.code,
                messageId: s.type === 'RST' ? last.messageId : (last.messageId + 7) & 0xffff,
                token: s.type === 'RST' ? Buffer.alloc(0) : last.token,
                options,
                payload: Buffer.from(s.type === 'RST' ? '' : s.payload),
              }),
            );
        }
        await rig.settle();
      }
      for (const c of rig.ep.list()) expect(c.outstanding).toBeLessThanOrEqual(1);
    }),
    { numRuns: 300 },
  );
});

const observe = (reqID: number, path: string): string => JSON.stringify({ reqID, msgType: 'observe', data: { path } });

it('max_observations counts observes still queued or unanswered: concurrent observes and auto_observe cannot pass it', async () => {
  const rig = new EndpointRig({ max_observations: 2, transmission: { nstart: 4 } });
  const dev = peerAt(5010);
  await rig.register('obs', dev);
  const deliver = rig.delivers.get('obs')!;
  for (const [i, p] of ['/3/0/9', '/3/0/0', '/3/0/1', '/3/0/2'].entries()) deliver(observe(i, p));
  await rig.settle();
  expect(rig.results('obs')).toMatchObject([
    { reqID: 2, data: { code: '5.03', reason: 'too many observations' } },
    { reqID: 3, data: { code: '5.03' } },
  ]);
  expect(await rig.dropped('max_observations')).toBe(2);
  expect(rig.logs.some((l) => l.level === 'debug' && /max_observations/.test(l.msg))).toBe(true);
  const sent = rig.requestsTo(dev);
  expect(sent).toHaveLength(2);
  const obsOpt = [{ number: Opt.Observe, value: encodeUint(1) }];
  rig.answer(dev, sent[0]!, Rsp.Content, '1', obsOpt);
  rig.answer(dev, sent[1]!, Rsp.NotFound); // refused by the device: no observation, its place is free again
  deliver(observe(4, '/3/0/3'));
  deliver(observe(5, '/3/0/4'));
  await rig.settle();
  expect(
    rig
      .results('obs')
      .slice(2)
      .map((r) => [r.reqID, (r.data as { code: string }).code]),
  ).toEqual([
    [0, '2.05'],
    [1, '4.04'],
    [5, '5.03'],
  ]);
});

it('auto_observe with max_observations 1 observes one instance, the others are refused and counted', async () => {
  const rig = new EndpointRig({ max_observations: 1, auto_observe: true, transmission: { nstart: 4 } });
  const dev = peerAt(5011);
  await rig.register('auto', dev, ['lt=300'], '</3/0>,</4/0>,</6/0>');
  expect(rig.requestsTo(dev)).toHaveLength(1);
  expect(await rig.dropped('max_observations')).toBe(2);
});

it('after an Update from a new address (NAT rebinding) observations and unacknowledged requests follow the device', async () => {
  const rig = new EndpointRig();
  const before = peerAt(5020);
  const after = peerAt(5021);
  const loc = await rig.register('nat', before);
  const deliver = rig.delivers.get('nat')!;
  deliver(observe(1, '/3/0/9'));
  const obs = rig.requestsTo(before)[0]!;
  rig.answer(before, obs, Rsp.Content, '1', [{ number: Opt.Observe, value: encodeUint(1) }]);
  deliver(read(2, '/3/0/0')); // sent to the old address, not acknowledged yet
  const pendingRead = rig.requestsTo(before)[1]!;
  rig.request(after, Method.POST, loc.split('/'));
  await rig.settle();
  // the unacknowledged read is retransmitted to the new address, same message id
  const resent = rig.requestsTo(after);
  expect(resent.map((m) => m.messageId)).toEqual([pendingRead.messageId]);
  rig.answer(after, resent[0]!, Rsp.Content, 'ACME', [{ number: Opt.ContentFormat, value: encodeUint(0) }]);
  const n = rig.sent.length;
  rig.ep.receive(
    after,
    encodeCoap({
      type: 'CON',
      code: Rsp.Content,
      messageId: 4242,
      token: obs.token,
      options: [{ number: Opt.Observe, value: encodeUint(2) }],
      payload: Buffer.from('2'),
    }),
  );
  await rig.settle();
  expect(rig.sent.slice(n).map((s) => [s.peer, s.message.type, s.message.messageId])).toEqual([
    [after.key, 'ACK', 4242],
  ]);
  expect(rig.results('nat', 'up/notify')).toMatchObject([{ reqID: 1, msgType: 'notify', data: { reqPath: '/3/0/9' } }]);
  expect(rig.results('nat').map((r) => [r.reqID, (r.data as { code: string }).code])).toEqual([
    [1, '2.05'],
    [2, '2.05'],
  ]);
});

it('many endpoints expiring in one tick: each deregistered once with its pending command answered, updated ones live on', async () => {
  const rig = new EndpointRig({ transmission: { nstart: 2 } });
  const n = 500;
  const locs: string[] = [];
  for (let i = 0; i < n; i++) locs.push(await rig.register(`m${i}`, peerAt(7000 + i), ['lt=60']));
  for (let i = 0; i < n; i++) {
    rig.delivers.get(`m${i}`)!(observe(1, '/3/0/9'));
    const q = rig.requestsTo(peerAt(7000 + i))[0]!;
    rig.answer(peerAt(7000 + i), q, Rsp.Content, '1', [{ number: Opt.Observe, value: encodeUint(1) }]);
    rig.delivers.get(`m${i}`)!(read(2)); // outstanding, never answered
  }
  rig.tick(30_000);
  // every 10th endpoint updates (lifetime runs from now again), twice, to leave superseded expiry entries behind
  for (let i = 0; i < n; i += 10) rig.request(peerAt(7000 + i), Method.POST, locs[i]!.split('/'));
  rig.tick(10_000);
  for (let i = 0; i < n; i += 10) rig.request(peerAt(7000 + i), Method.POST, locs[i]!.split('/'), ['lt=120']);
  await rig.settle();
  expect(rig.ep.registered).toBe(n); // the deadline of the reads passed (30 s): 5.04 each, no expiry yet
  rig.tick(20_001);
  await rig.settle();
  expect(rig.ep.registered).toBe(n / 10);
  const deregs = rig.published.filter((p) => p.topic === 'up/register' && p.payload.includes('deregister'));
  expect(deregs).toHaveLength(n - n / 10);
  expect(new Set(deregs.map((d) => d.ep)).size).toBe(n - n / 10);
  expect(rig.ep.requester.inFlight).toBe(n / 10); // only the survivors' observations remain
  rig.tick(120_000);
  await rig.settle();
  expect(rig.ep.registered).toBe(0);
  expect(rig.ep.requester.inFlight).toBe(0);
});

it('a registration with an object id above 65535 gets one answer, 4.00, and nothing is observed', async () => {
  const rig = new EndpointRig({ auto_observe: true });
  const dev = peerAt(5030);
  const m = rig.request(dev, Method.POST, ['rd'], ['ep=bigid', 'lt=300'], '</70000/0>,</3/0>');
  await rig.settle();
  const answers = rig.sent.filter((s) => s.message.messageId === m.messageId && s.message.type === 'ACK');
  expect(answers.map((a) => a.message.code)).toEqual([Rsp.BadRequest]);
  expect(answers[0]!.message.payload.toString()).toMatch(/above 65535/);
  expect(rig.ep.registered).toBe(0);
  expect(rig.requestsTo(dev)).toHaveLength(0);
  expect(await rig.dropped('bad_link_format')).toBe(1);
});

it("cancel-observe carries the observation's own token (RFC 7641 §3.6); seqNum is the notification's Observe value", async () => {
  const rig = new EndpointRig();
  const dev = peerAt(5040);
  await rig.register('co', dev);
  const deliver = rig.delivers.get('co')!;
  deliver(observe(1, '/3/0/9'));
  const obs = rig.requestsTo(dev)[0]!;
  rig.answer(dev, obs, Rsp.Content, '1', [{ number: Opt.Observe, value: encodeUint(7) }]);
  const note = (seq: number, mid: number) =>
    rig.ep.receive(
      dev,
      encodeCoap({
        type: 'CON',
        code: Rsp.Content,
        messageId: mid,
        token: obs.token,
        options: [{ number: Opt.Observe, value: encodeUint(seq) }],
        payload: Buffer.from(String(seq)),
      }),
    );
  note(9, 300);
  note(12, 301);
  await rig.settle();
  expect(rig.results('co', 'up/notify').map((n) => n.seqNum)).toEqual([9, 12]);
  deliver(JSON.stringify({ reqID: 2, msgType: 'cancel-observe', data: { path: '/3/0/9' } }));
  const cancel = rig.requestsTo(dev)[1]!;
  expect(cancel.token.equals(obs.token)).toBe(true);
  expect(cancel.options.find((o) => o.number === Opt.Observe)?.value).toEqual(encodeUint(1));
  rig.answer(dev, cancel, Rsp.Content, '12');
  await rig.settle();
  expect(rig.results('co').map((r) => [r.reqID, (r.data as { code: string }).code])).toEqual([
    [1, '2.05'],
    [2, '2.05'],
  ]);
  const n = rig.sent.length;
  note(13, 302); // after the cancellation: RST, nothing published
  await rig.settle();
  expect(rig.sent.slice(n).map((s) => s.message.type)).toEqual(['RST']);
  expect(rig.results('co', 'up/notify')).toHaveLength(2);
  expect(rig.ep.requester.inFlight).toBe(0);
});

it('refused commands, full queues and malformed datagrams are logged (debug) with the endpoint or peer', async () => {
  const rig = new EndpointRig({ max_queued_commands: 1 });
  const dev = peerAt(5050);
  await rig.register('lg', dev);
  const deliver = rig.delivers.get('lg')!;
  deliver('{"msgType":"nope"}');
  deliver(read(1)); // outstanding
  deliver(read(2)); // queued
  deliver(read(3)); // queue full
  rig.ep.receive(dev, Buffer.from([0x40, 0x01])); // shorter than a CoAP header
  const debug = rig.logs.filter((l) => l.level === 'debug');
  expect(debug.map((l) => l.msg)).toEqual([
    'LwM2M command refused',
    'LwM2M command queue full',
    'LwM2M datagram malformed',
  ]);
  expect(debug.map((l) => (l.obj as { ep?: string; peer?: string }).ep ?? (l.obj as { peer: string }).peer)).toEqual([
    'lg',
    'lg',
    dev.key,
  ]);
  expect([
    await rig.dropped('bad_command'),
    await rig.dropped('command_queue_full'),
    await rig.dropped('malformed'),
  ]).toEqual([1, 1, 1]);
});

it('lifetime_min / lifetime_max: Register and Update outside them are refused with 4.00, the registration stays', async () => {
  const rig = new EndpointRig({ lifetime_min: '60s', lifetime_max: '3600s' });
  const dev = peerAt(5060);
  const code = (m: { messageId: number }) =>
    rig.sent.find((s) => s.peer === dev.key && s.message.messageId === m.messageId)!.message;
  for (const lt of ['lt=59', 'lt=3601']) {
    const m = rig.request(dev, Method.POST, ['rd'], ['ep=lt', lt]);
    await rig.settle();
    expect([code(m).code, code(m).payload.toString()]).toEqual([Rsp.BadRequest, expect.stringMatching(/lifetime/)]);
  }
  expect(rig.ep.registered).toBe(0);
  const loc = await rig.register('lt', dev, ['lt=60']);
  for (const lt of ['lt=30', 'lt=7200']) {
    const u = rig.request(dev, Method.POST, loc.split('/'), [lt]);
    await rig.settle();
    expect(code(u).code).toBe(Rsp.BadRequest);
  }
  expect(rig.ep.list()[0]).toMatchObject({ ep: 'lt', lt: 60 });
  const ok = rig.request(dev, Method.POST, loc.split('/'), ['lt=3600']);
  await rig.settle();
  expect(code(ok).code).toBe(Rsp.Changed);
  expect(rig.ep.list()[0]!.lt).toBe(3600);
  expect(await rig.dropped('bad_registration')).toBe(4);
});

it('LwM2M 1.1 queue mode by the Q parameter: commands wait while it sleeps and go out when it sends anything', async () => {
  const rig = new EndpointRig({ qmode_time_window: '5s' });
  const dev = peerAt(5070);
  await rig.register('q11', dev, ['lt=300', 'lwm2m=1.1', 'b=U', 'Q']);
  expect(rig.ep.list()[0]).toMatchObject({ queueMode: true, awake: true });
  rig.tick(6000);
  expect(rig.ep.list()[0]!.awake).toBe(false);
  rig.delivers.get('q11')!(read(1));
  expect(rig.requestsTo(dev)).toHaveLength(0);
  expect(rig.ep.list()[0]!.queuedCommands).toBe(1);
  rig.ep.receive(
    dev,
    encodeCoap({ type: 'CON', code: 0, messageId: 9, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) }),
  ); // CoAP ping
  expect(rig.requestsTo(dev)).toHaveLength(1);
});

it('/bs (bootstrap) is answered 4.04 with a reason; nothing registers', async () => {
  const rig = new EndpointRig();
  const dev = peerAt(5080);
  const m = rig.request(dev, Method.POST, ['bs'], ['ep=boot']);
  await rig.settle();
  const reply = rig.sent.find((s) => s.message.messageId === m.messageId)!.message;
  expect([reply.type, reply.code, reply.payload.toString()]).toEqual([
    'ACK',
    Rsp.NotFound,
    'bootstrap server not provided',
  ]);
  expect(rig.ep.registered).toBe(0);
});

it('max_endpoints holds for registrations arriving together (their sessions still connecting)', async () => {
  const rig = new EndpointRig({ max_endpoints: 2 });
  const msgs = [0, 1, 2, 3].map((i) => rig.request(peerAt(5100 + i), Method.POST, ['rd'], [`ep=burst${i}`, 'lt=300']));
  await rig.settle();
  const codes = msgs.map(
    (m, i) =>
      rig.sent.find((s) => s.peer === peerAt(5100 + i).key && s.message.messageId === m.messageId)!.message.code,
  );
  expect(codes.filter((c) => c === Rsp.Created)).toHaveLength(2);
  expect(codes.filter((c) => c === Rsp.ServiceUnavailable)).toHaveLength(2);
  expect(rig.ep.registered).toBe(2);
  expect(await rig.dropped('max_endpoints')).toBe(2);
});

it('max_queued_bytes_total bounds the commands waiting in all endpoints together', async () => {
  const rig = new EndpointRig({ qmode_time_window: '1s', max_queued_bytes_total: '600B', max_queued_bytes: '1MB' });
  const a = peerAt(5110);
  const b = peerAt(5111);
  await rig.register('qa', a, ['lt=300', 'b=UQ']);
  const locB = await rig.register('qb', b, ['lt=300', 'b=UQ']);
  rig.tick(2000); // both asleep
  const cmd = (reqID: number) => write(reqID, '/3/0/14', 'x'.repeat(200)); // ~250 bytes each
  rig.delivers.get('qa')!(cmd(1));
  rig.delivers.get('qb')!(cmd(2));
  rig.delivers.get('qb')!(cmd(3)); // would pass 600 bytes in total
  await rig.settle();
  expect(rig.results('qb')).toMatchObject([
    { reqID: 3, data: { code: '5.03', reason: expect.stringMatching(/gateway/) } },
  ]);
  expect(await rig.dropped('gateway_queue_full')).toBe(1);
  rig.request(b, Method.POST, locB.split('/')); // qb wakes: its command leaves the queue, room again
  rig.delivers.get('qa')!(cmd(4));
  await rig.settle();
  expect(rig.results('qa')).toEqual([]);
  expect(rig.ep.list().map((e) => e.queuedCommands)).toEqual([2, 0]);
});

it('discover results are split between links, not inside quoted values', async () => {
  const rig = new EndpointRig();
  const dev = peerAt(5120);
  await rig.register('disc', dev);
  rig.delivers.get('disc')!(JSON.stringify({ reqID: 1, msgType: 'discover', data: { path: '/3/0' } }));
  const q = rig.requestsTo(dev)[0]!;
  rig.answer(dev, q, Rsp.Content, '</3/0>;title="a, b",</3/0/1>, </3/0/2>;x="<,>"', [
    { number: Opt.ContentFormat, value: encodeUint(40) },
  ]);
  await rig.settle();
  expect((rig.results('disc')[0]!.data as { content: string[] }).content).toEqual([
    '</3/0>;title="a, b"',
    '</3/0/1>',
    '</3/0/2>;x="<,>"',
  ]);
});

it('the size check is exact at the limit: a request of exactly max_datagram_size goes out, one byte more is 4.13', () => {
  const req = (n: number) => ({
    code: Method.PUT,
    options: [
      { number: Opt.UriPath, value: Buffer.from('5') },
      { number: Opt.UriPath, value: Buffer.from('0') },
      { number: Opt.UriPath, value: Buffer.from('0') },
      { number: Opt.ContentFormat, value: encodeUint(42) },
    ],
    payload: Buffer.alloc(n),
  });
  // header 4 + token 4 + options (1+1, 1+1, 1+1, 1+1) + marker 1 = 17 bytes around the payload
  expect(Requester.oversize(req(1500 - 17), 1500)).toBeUndefined();
  expect(Requester.oversize(req(1500 - 16), 1500)).toBe(1501);
  expect(Requester.oversize(req(70_000), 1500)).toBe(Infinity);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 64, max: 3000 }), (n, max) => {
      const exact = 17 + n;
      expect(Requester.oversize(req(n), max)).toBe(exact > max ? exact : undefined);
    }),
  );
});
