import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { errorReply, joinBody, splitBody } from '../../gateways/nng/codec.js';
import { ProtocolError } from '../../src/errors.js';

describe('nng body framing', () => {
  it('round-trips any topic without the delimiter and any payload', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom(' ', '|', '::'),
        (t, p, d) => {
          const topic = t.split(d).join('_');
          const payload = Buffer.from(p);
          expect(splitBody(joinBody(topic, payload, d), d)).toEqual({ address: topic, payload });
        },
      ),
    );
  });

  it('splits at the first delimiter: the payload may contain more of them', () => {
    expect(splitBody(Buffer.from('sensors/a 21.5 C'), ' ')).toEqual({
      address: 'sensors/a',
      payload: Buffer.from('21.5 C'),
    });
  });

  it('garbage yields ProtocolError PH_NNG_FRAMING or a split, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          splitBody(Buffer.from(bytes), ' ');
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).code).toBe('PH_NNG_FRAMING');
        }
      }),
    );
    expect(() => splitBody(Buffer.from('nodelimiter'), ' ')).toThrow(/delimiter/);
    expect(() => splitBody(Buffer.from([0xc3, 0x28, 0x20, 0x41]), ' ')).toThrow(/UTF-8/);
  });

  it('renders error replies', () => {
    expect(errorReply('ERROR ', 'timeout', 'no response within 5000ms').toString()).toBe(
      'ERROR timeout: no response within 5000ms',
    );
  });
});
