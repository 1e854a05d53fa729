/** EMQX-shaped commands → CoAP requests (TS 1.1 Core §6.3/§6.4), bad shapes → CommandError; the request matcher. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Method, Opt, decodeCoap, encodeCoap, optionValues, uintOption } from '../../gateways/coap/index.js';
import { bodyFormatOf } from '../../gateways/lwm2m/client.js';
import { CommandError, parseCommand, type CommandContext } from '../../gateways/lwm2m/commands.js';
import { decodeTlv } from '../../gateways/lwm2m/tlv.js';
import { ObjectRegistry } from '../../gateways/lwm2m/objects.js';
import { parsePath } from '../../gateways/lwm2m/path.js';
import { Requester, type RequestOutcome } from '../../gateways/lwm2m/requester.js';

const reg = ObjectRegistry.load();
const ctx: CommandContext = { typeOf: reg.typeOf, rootPath: '/', bodyFormat: 11542, accept: 11542 };
const cmd = (o: unknown, c: CommandContext = ctx) => parseCommand(Buffer.from(JSON.stringify(o)), c);
const uri = (opts: { number: number; value: Buffer }[]) =>
  opts.filter((o) => o.number === Opt.UriPath).map((o) => o.value.toString());

describe('commands', () => {
  it('a write of an Opaque resource is sent as opaque (42) with the base64-decoded bytes, others as text/plain', () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const w = cmd({ reqID: 1, msgType: 'write', data: { path: '/5/0/0', value: bytes.toString('base64') } });
    expect([w.request.code, uintOption({ options: w.request.options } as never, Opt.ContentFormat)]).toEqual([
      Method.PUT,
      42,
    ]);
    expect(w.request.payload).toEqual(bytes);
    const s = cmd({ reqID: 2, msgType: 'write', data: { path: '/5/0/1', value: 'coap://fw' } }); // String
    expect([
      uintOption({ options: s.request.options } as never, Opt.ContentFormat),
      s.request.payload?.toString(),
    ]).toEqual([0, 'coap://fw']);
  });

  it('maps each msgType to its CoAP request', () => {
    const read = cmd({ reqID: 1, msgType: 'read', data: { path: '/3303/0/5700' } });
    expect([read.request.code, uri(read.request.options)]).toEqual([Method.GET, ['3303', '0', '5700']]);
    const inst = cmd({ reqID: 1, msgType: 'read', data: { path: '/3/0' } });
    expect(inst.request.options.find((o) => o.number === Opt.Accept)?.value).toEqual(Buffer.from([0x2d, 0x16]));
    const obs = cmd({ reqID: 2, msgType: 'observe', data: { path: '/3303/0' } });
    expect(obs.request.options.find((o) => o.number === Opt.Observe)?.value.length).toBe(0); // Observe = 0
    const w = cmd({ reqID: 3, msgType: 'write', data: { path: '/3306/0/5850', value: true } });
    expect([w.request.code, w.request.payload?.toString()]).toEqual([Method.PUT, '1']);
    const batch = cmd({
      reqID: 4,
      msgType: 'write',
      data: {
        basePath: '/3306/0',
        content: [
          { path: '/5850', value: false },
          { path: '5851', type: 'Integer', value: 40 },
        ],
      },
    });
    expect(batch.request.code).toBe(Method.POST);
    expect(decodeTlv(batch.request.payload!, parsePath('/3306/0'), reg.typeOf)).toEqual([
      { path: '/3306/0/5850', value: false },
      { path: '/3306/0/5851', value: 40 },
    ]);
    const ex = cmd({ reqID: 5, msgType: 'execute', data: { path: '/3/0/4', args: "0='x'" } });
    expect([ex.request.code, ex.request.payload?.toString()]).toEqual([Method.POST, "0='x'"]);
    const attr = cmd({ reqID: 6, msgType: 'write-attr', data: { path: '/3303/0/5700', pmin: 1, st: '0.5' } });
    expect(attr.request.options.filter((o) => o.number === Opt.UriQuery).map((o) => o.value.toString())).toEqual([
      'pmin=1',
      'st=0.5',
    ]);
    const cr = cmd({
      reqID: 7,
      msgType: 'create',
      data: { basePath: '/3303', content: [{ path: '/0/5700', value: 1.5 }] },
    });
    expect([cr.request.code, uri(cr.request.options)]).toEqual([Method.POST, ['3303']]);
    expect(cmd({ reqID: 8, msgType: 'delete', data: { path: '/3303/1' } }).request.code).toBe(Method.DELETE);
    const alt = cmd({ reqID: 9, msgType: 'read', data: { path: '/3/0/0' } }, { ...ctx, rootPath: '/lwm2m' });
    expect(uri(alt.request.options)).toEqual(['lwm2m', '3', '0', '0']);
  });

  it('refuses wrong shapes with a CommandError that echoes reqID and msgType', () => {
    const bad: [unknown, RegExp][] = [
      [{ reqID: 1, msgType: 'read' }, /"data" must be an object/],
      [{ reqID: 1, msgType: 'read', data: { path: 5 } }, /data.path/],
      [{ reqID: 1, msgType: 'read', data: { path: '/3/0/0/0/0' } }, /invalid LwM2M path/],
      [{ reqID: 1, msgType: 'write', data: { path: '/3303/0/5700', value: 'hot' } }, /Float/],
      [{ reqID: 1, msgType: 'write', data: { path: '/3303/0/5700', type: 'Decimal', value: 1 } }, /unknown type/],
      [{ reqID: 1, msgType: 'write-attr', data: { path: '/3303/0/5700' } }, /needs one of/],
      [{ reqID: 1, msgType: 'execute', data: { path: '/3/0' } }, /resource path/],
    ];
    for (const [o, re] of bad) {
      let err: unknown;
      try {
        cmd(o);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(o)).toBeInstanceOf(CommandError);
      expect((err as CommandError).message).toMatch(re);
      expect((err as CommandError).reqID).toBe(1);
    }
  });

  it('never throws anything but a CommandError on arbitrary JSON (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        try {
          parseCommand(Buffer.from(text), ctx);
        } catch (err) {
          expect(err).toBeInstanceOf(CommandError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('request matcher', () => {
  const setup = () => {
    const sent: Buffer[] = [];
    const r = new Requester({ ackTimeoutMs: 100, ackRandomFactor: 1, maxRetransmit: 2 }, 10_000, {
      send: (_p, b) => sent.push(b),
    });
    return { r, sent };
  };

  it('matches a piggybacked response by message id and token', () => {
    const { r, sent } = setup();
    const out: RequestOutcome[] = [];
    r.request('p', { code: Method.GET, options: [] }, 0, { done: (o) => out.push(o) });
    const req = decodeCoap(sent[0]!);
    const ack = decodeCoap(
      encodeCoap({
        type: 'ACK',
        code: 0x45,
        messageId: req.messageId,
        token: req.token,
        options: [],
        payload: Buffer.from('1'),
      }),
    );
    expect(r.receive('p', ack, () => undefined)).toBe(true);
    expect(out).toMatchObject([{ kind: 'response', message: { code: 0x45 } }]);
    expect(r.inFlight).toBe(0);
  });

  it('waits for a separate response after an empty ACK and ACKs it (RFC 7252 §5.2.2)', () => {
    const { r, sent } = setup();
    const out: RequestOutcome[] = [];
    r.request('p', { code: Method.GET, options: [] }, 0, { done: (o) => out.push(o) });
    const req = decodeCoap(sent[0]!);
    r.receive(
      'p',
      { type: 'ACK', code: 0, messageId: req.messageId, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) },
      () => undefined,
    );
    r.tick(5000); // no retransmission after the ACK
    expect(sent).toHaveLength(1);
    const acks: Buffer[] = [];
    r.receive(
      'p',
      { type: 'CON', code: 0x45, messageId: 777, token: req.token, options: [], payload: Buffer.alloc(0) },
      (b) => acks.push(b),
    );
    expect(decodeCoap(acks[0]!)).toMatchObject({ type: 'ACK', messageId: 777 });
    expect(out[0]!.kind).toBe('response');
  });

  it('retransmits a CON, then gives up with timeout; RST ends with reset', () => {
    const { r, sent } = setup();
    const out: RequestOutcome[] = [];
    r.request('p', { code: Method.GET, options: [] }, 0, { done: (o) => out.push(o) });
    r.tick(100);
    r.tick(300);
    expect(sent).toHaveLength(3);
    expect(decodeCoap(sent[1]!).messageId).toBe(decodeCoap(sent[0]!).messageId);
    r.tick(700);
    expect(out).toEqual([{ kind: 'timeout', after: 'retransmissions' }]);
    r.request('p', { code: Method.GET, options: [] }, 0, { done: (o) => out.push(o) });
    const mid = decodeCoap(sent[3]!).messageId;
    r.receive(
      'p',
      { type: 'RST', code: 0, messageId: mid, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) },
      () => undefined,
    );
    expect(out[1]).toEqual({ kind: 'reset' });
  });

  it('keeps an observation open and routes later responses with its token as notifications', () => {
    const { r, sent } = setup();
    const notes: number[] = [];
    const out: RequestOutcome[] = [];
    const obs = [{ number: Opt.Observe, value: Buffer.alloc(0) }];
    const token = r.request('p', { code: Method.GET, options: obs }, 0, {
      done: (o) => out.push(o),
      onNotify: (m) => notes.push(uintOption(m, Opt.Observe)!),
    });
    const req = decodeCoap(sent[0]!);
    expect(optionValues(req, Opt.Observe)).toHaveLength(1);
    r.receive(
      'p',
      {
        type: 'ACK',
        code: 0x45,
        messageId: req.messageId,
        token: req.token,
        options: [{ number: Opt.Observe, value: Buffer.from([1]) }],
        payload: Buffer.alloc(0),
      },
      () => undefined,
    );
    r.receive(
      'p',
      {
        type: 'NON',
        code: 0x45,
        messageId: 9,
        token: req.token,
        options: [{ number: Opt.Observe, value: Buffer.from([2]) }],
        payload: Buffer.alloc(0),
      },
      () => undefined,
    );
    expect(notes).toEqual([2]);
    r.forget(token);
    expect(
      r.receive(
        'p',
        { type: 'NON', code: 0x45, messageId: 10, token: req.token, options: [], payload: Buffer.alloc(0) },
        () => undefined,
      ),
    ).toBe(false);
  });

  it('releases a request once, when it stops being outstanding (RFC 7252 §4.7): empty ACK, response, timeout', () => {
    const { r, sent } = setup();
    const released: string[] = [];
    const out: RequestOutcome[] = [];
    r.request('p', { code: Method.GET, options: [] }, 0, {
      done: (o) => out.push(o),
      onRelease: () => released.push('a'),
    });
    const a = decodeCoap(sent[0]!);
    const emptyAck = { type: 'ACK' as const, code: 0, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) };
    r.receive('p', { ...emptyAck, messageId: a.messageId }, () => undefined);
    expect(released).toEqual(['a']); // the ACK ends the interaction although the response is still to come
    expect(out).toEqual([]);
    r.receive(
      'p',
      { type: 'NON', code: 0x45, messageId: 5, token: a.token, options: [], payload: Buffer.alloc(0) },
      () => undefined,
    );
    expect(released).toEqual(['a']);
    expect(out.map((o) => o.kind)).toEqual(['response']);

    r.request('p', { code: Method.GET, options: [] }, 0, {
      done: (o) => out.push(o),
      onRelease: () => released.push('b'),
    });
    r.tick(100);
    r.tick(300);
    r.tick(700);
    expect(out.map((o) => o.kind)).toEqual(['response', 'timeout']);
    expect(released).toEqual(['a', 'b']);
  });

  it('stops retransmitting a request whose deadline passed', () => {
    const sent: Buffer[] = [];
    const r = new Requester({ ackTimeoutMs: 100, ackRandomFactor: 1, maxRetransmit: 10 }, 250, {
      send: (_p, b) => sent.push(b),
    });
    const out: RequestOutcome[] = [];
    r.request('p', { code: Method.GET, options: [] }, 0, { done: (o) => out.push(o) });
    r.tick(100);
    r.tick(300); // past the 250 ms deadline: timeout, and no further copies
    expect(out).toEqual([{ kind: 'timeout', after: 'deadline' }]);
    const copies = sent.length;
    r.tick(700);
    r.tick(1500);
    expect(sent).toHaveLength(copies);
    expect(r.inFlight).toBe(0);
  });

  it('property: whatever arrives in whatever order, each request is released once and answered once, release first', () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constantFrom('ack', 'emptyAck', 'rst', 'separate', 'duplicate'), i: fc.nat(4) }),
      fc.record({ kind: fc.constant('tick'), dt: fc.integer({ min: 1, max: 400 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(event, { maxLength: 40 }), (n, events) => {
        const sent: Buffer[] = [];
        const r = new Requester({ ackTimeoutMs: 100, ackRandomFactor: 1, maxRetransmit: 2 }, 1000, {
          send: (_p, b) => sent.push(b),
        });
        const done = Array.from({ length: n }, () => 0);
        const released = Array.from({ length: n }, () => 0);
        const releasedAtDone: number[] = [];
        const reqs = Array.from({ length: n }, (_, i) => {
          r.request('p', { code: Method.GET, options: [] }, 0, {
            done: () => {
              done[i]!++;
              releasedAtDone[i] = released[i]!;
            },
            onRelease: () => released[i]!++,
          });
          return decodeCoap(sent[sent.length - 1]!);
        });
        let now = 0;
        const empty = { options: [], payload: Buffer.alloc(0) };
        for (const e of events) {
          if (e.kind === 'tick') {
            now += e.dt;
            r.tick(now);
            continue;
          }
          const q = reqs[e.i % n]!;
          const m =
            e.kind === 'ack'
              ? { ...empty, type: 'ACK' as const, code: 0x45, messageId: q.messageId, token: q.token }
              : e.kind === 'emptyAck'
                ? { ...empty, type: 'ACK' as const, code: 0, messageId: q.messageId, token: Buffer.alloc(0) }
                : e.kind === 'rst'
                  ? { ...empty, type: 'RST' as const, code: 0, messageId: q.messageId, token: Buffer.alloc(0) }
                  : { ...empty, type: 'CON' as const, code: 0x45, messageId: 5000 + e.i, token: q.token };
          r.receive('p', m, () => undefined);
          if (e.kind === 'duplicate') r.receive('p', m, () => undefined);
        }
        r.tick(now + 10_000); // past every deadline
        expect(done).toEqual(done.map(() => 1));
        expect(released).toEqual(released.map(() => 1));
        expect(releasedAtDone).toEqual(done.map(() => 1)); // the slot is free before the caller hears the outcome
        expect(r.inFlight).toBe(0);
      }),
    );
  });
});

describe('the format the server asks for (bodyFormatOf)', () => {
  const of = (lwm2m: string, ct: number[]) =>
    bodyFormatOf({ lwm2m, objects: { contentFormats: ct } } as unknown as Parameters<typeof bodyFormatOf>[0]);
  it('TLV for 1.0 whatever it declares; the most compact declared one for 1.1 / 1.2', () => {
    expect(of('1.0', [112, 11543])).toBe(11542);
    expect(of('1.1', [])).toBe(11542);
    expect(of('1.1', [11543])).toBe(11543);
    expect(of('1.1', [11543, 11542])).toBe(11542);
    expect(of('1.1', [110, 11543])).toBe(110);
    expect(of('1.1', [110, 112])).toBe(112);
    expect(of('1.1', [112, 11544])).toBe(112); // LwM2M CBOR is a 1.2 format
    expect(of('1.2', [112, 11544])).toBe(11544);
    expect(of('1.2', [110])).toBe(110);
  });
});
