import coapPacket from 'coap-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoapFormatError, decodeCoap, encodeCoap } from '../../gateways/coap/codec.js';
import { Method, Opt, decodeUint, encodeUint, type CoapMessage } from '../../gateways/coap/message.js';

const optionArb = fc.record({
  number: fc.constantFrom(1, 3, 4, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 60, 258, 2049, 65000),
  value: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

const messageArb: fc.Arbitrary<CoapMessage> = fc
  .record({
    type: fc.constantFrom('CON', 'NON', 'ACK', 'RST') as fc.Arbitrary<CoapMessage['type']>,
    code: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 64, max: 191 })),
    messageId: fc.integer({ min: 0, max: 0xffff }),
    token: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
    options: fc.array(optionArb, { maxLength: 6 }),
    payload: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  })
  // The codec keeps the options in option-number order (RFC 7252 §3.1 deltas); repeated ones keep their order.
  .map((m) => ({ ...m, options: [...m.options].sort((a, b) => a.number - b.number) }));

describe('CoAP codec', () => {
  it('decodes a POST to ps/sensors/c1 as libcoap sends it', () => {
    const wire = encodeCoap({
      type: 'CON',
      code: Method.POST,
      messageId: 0x1234,
      token: Buffer.from([0xab]),
      options: [
        { number: Opt.UriPath, value: Buffer.from('ps') },
        { number: Opt.UriPath, value: Buffer.from('sensors') },
        { number: Opt.UriPath, value: Buffer.from('c1') },
      ],
      payload: Buffer.from('21.5'),
    });
    // RFC 7252 §3: Ver=1, T=CON, TKL=1 → 0x41; code 0.02; then the message id.
    expect(wire.subarray(0, 4).toString('hex')).toBe('41021234');
    const msg = decodeCoap(wire);
    expect(msg.type).toBe('CON');
    expect(msg.code).toBe(Method.POST);
    expect(msg.options.map((o) => o.value.toString())).toEqual(['ps', 'sensors', 'c1']);
    expect(msg.payload.toString()).toBe('21.5');
  });

  it('round-trips every message it can encode', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const back = decodeCoap(encodeCoap(m));
        expect(back.type).toBe(m.type);
        expect(back.code).toBe(m.code);
        expect(back.messageId).toBe(m.messageId);
        expect(back.token.equals(m.token)).toBe(true);
        expect(back.options.map((o) => [o.number, o.value.toString('hex')])).toEqual(
          m.options.map((o) => [o.number, o.value.toString('hex')]),
        );
        expect(back.payload.equals(m.payload)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  // the codec is our own (for speed); coap-packet, which node-coap uses, is the reference it must agree with
  it('encodes byte for byte what coap-packet generates, and decodes what coap-packet parses', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const ours = encodeCoap(m);
        const theirs = coapPacket.generate(
          {
            code: `${m.code >> 5}.${String(m.code & 0x1f).padStart(2, '0')}`,
            messageId: m.messageId,
            token: m.token,
            confirmable: m.type === 'CON',
            ack: m.type === 'ACK',
            reset: m.type === 'RST',
            options: m.options.map((o) => ({ name: String(o.number) as never, value: o.value })),
            payload: m.payload,
          },
          65_507,
        );
        expect(ours.toString('hex')).toBe(theirs.toString('hex'));
        const parsed = coapPacket.parse(ours);
        const back = decodeCoap(ours);
        expect(back.messageId).toBe(parsed.messageId);
        expect(back.token.equals(parsed.token)).toBe(true);
        expect(back.payload.equals(parsed.payload)).toBe(true);
        expect(back.options.map((o) => o.value.toString('hex'))).toEqual(
          parsed.options.map((o) => o.value.toString('hex')),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('calls a token or option value that runs past the datagram a format error (coap-packet shortened it)', () => {
    expect(() => decodeCoap(Buffer.from('42010203aa', 'hex'))).toThrow(CoapFormatError);
    const err = (() => {
      try {
        decodeCoap(Buffer.from('40010203b4707371', 'hex')); // Uri-Path of 4 bytes, 3 present
      } catch (e) {
        return e as CoapFormatError;
      }
    })();
    expect(err?.reason).toBe('option');
    expect(decodeCoap(Buffer.from('40010203b3707371', 'hex')).options[0]?.value.toString()).toBe('psq');
  });

  it('turns arbitrary bytes into a message or a CoapFormatError, never another throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCoap(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(CoapFormatError);
          expect((err as CoapFormatError).code).toBe('PH_COAP_MALFORMED');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects what RFC 7252 §3 calls format errors, keeping the header for a RST', () => {
    const cases: [string, string][] = [
      ['4001', 'truncated'],
      ['00010203', 'version'],
      ['49010203', 'token_length'],
      ['40000203aa', 'empty_not_empty'],
      ['40010203ff', 'payload_marker'],
      ['40010203b170ff', 'payload_marker'],
      ['40010203f0', 'option'],
    ];
    for (const [hex, reason] of cases) {
      const err = (() => {
        try {
          decodeCoap(Buffer.from(hex, 'hex'));
        } catch (e) {
          return e as CoapFormatError;
        }
        throw new Error(`${hex} decoded`);
      })();
      expect(err.reason, hex).toBe(reason);
      if (hex.length >= 8) expect(err.header?.messageId, hex).toBe(0x0203);
    }
  });

  it('accepts an If-Match value 0xff at the end (not a payload marker)', () => {
    const msg = decodeCoap(Buffer.from('4001020311ff', 'hex'));
    expect(msg.options).toEqual([{ number: Opt.IfMatch, value: Buffer.from([0xff]) }]);
  });

  it('encodes uint option values minimally (RFC 7252 §3.2)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const enc = encodeUint(n);
        expect(decodeUint(enc)).toBe(n);
        if (enc.length > 0) expect(enc[0]).not.toBe(0);
      }),
    );
  });
});
