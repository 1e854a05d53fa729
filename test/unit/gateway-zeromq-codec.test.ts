import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrames, encodeFrames } from '../../gateways/zeromq/codec.js';
import { ProtocolError } from '../../src/errors.js';

const multipart = { mode: 'multipart' as const, delimiter: ' ' };
const prefix = { mode: 'prefix' as const, delimiter: ' ' };
const bytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));

describe('zeromq framing', () => {
  it('round-trips multipart and prefix framing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), bytes, (topic, payload) => {
        expect(decodeFrames(encodeFrames(topic, payload, multipart), multipart)).toEqual({ address: topic, payload });
        const noDelim = topic.replaceAll(' ', '_');
        expect(decodeFrames(encodeFrames(noDelim, payload, prefix), prefix)).toEqual({ address: noDelim, payload });
      }),
    );
  });

  it('takes frame 1 as topic and the last frame as payload', () => {
    const got = decodeFrames([Buffer.from('a/b'), Buffer.from('mid'), Buffer.from('last')], multipart);
    expect(got).toEqual({ address: 'a/b', payload: Buffer.from('last') });
  });

  it('garbage yields a ProtocolError PH_ZMQ_FRAMING, never anything else', () => {
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 4 }), fc.boolean(), (frames, usePrefix) => {
        try {
          decodeFrames(frames, usePrefix ? prefix : multipart);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).code).toBe('PH_ZMQ_FRAMING');
        }
      }),
    );
    expect(() => decodeFrames([Buffer.from('only')], multipart)).toThrow(/1 frame/);
    expect(() => decodeFrames([Buffer.from([0xff, 0xfe]), Buffer.from('x')], multipart)).toThrow(/UTF-8/);
    expect(() => decodeFrames([Buffer.from('nodelimiter')], prefix)).toThrow(/delimiter/);
  });
});
