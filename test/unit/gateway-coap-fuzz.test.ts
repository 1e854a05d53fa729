/**
 * The whole CoAP message layer under random input: datagram sequences from four ports (well-formed requests with
 * random options, ACK/RST, raw bytes), clock jumps with timer ticks, and broker deliveries. Whatever arrives, the
 * endpoint never throws, never reaches its internal-error path, stays within its table limits, and settles every
 * delivery it drops.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { peerAddress } from '../../gateways/coap/channel.js';
import { encodeCoap } from '../../gateways/coap/codec.js';
import type { CoapMessage } from '../../gateways/coap/message.js';
import { stubEndpoint } from '../support/coap-stub.js';

const optionNumber = fc.constantFrom(
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  11,
  12,
  13,
  14,
  15,
  17,
  20,
  23,
  27,
  28,
  35,
  39,
  60,
  258,
  9999,
);
const optionValue = fc.oneof(
  fc.uint8Array({ maxLength: 6 }),
  fc.constantFrom(Uint8Array.from([0x70, 0x73]), Uint8Array.from([0x2b]), Uint8Array.from([0x23]), Uint8Array.of()),
);
const message = fc.record({
  type: fc.constantFrom('CON', 'NON', 'ACK', 'RST'),
  code: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 0x45), fc.integer({ min: 0, max: 255 })),
  messageId: fc.integer({ min: 0, max: 30 }),
  token: fc.uint8Array({ maxLength: 2 }).map((a) => Buffer.from(a)),
  options: fc
    .array(fc.record({ number: optionNumber, value: optionValue.map((a) => Buffer.from(a)) }), { maxLength: 6 })
    .map((o) => [{ number: 11, value: Buffer.from('ps') }, ...o].sort((a, b) => a.number - b.number)),
  payload: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
});
const op = fc.oneof(
  message.map((m) => ({ kind: 'msg' as const, m: m as CoapMessage })),
  fc.uint8Array({ maxLength: 40 }).map((b) => ({ kind: 'raw' as const, b: Buffer.from(b) })),
  fc.integer({ min: 0, max: 5000 }).map((dt) => ({ kind: 'tick' as const, dt })),
  fc
    .record({ topic: fc.constantFrom('a', 'ps', 'x/y'), qos: fc.constantFrom(0, 1, 2), len: fc.nat(3000) })
    .map((d) => ({ kind: 'deliver' as const, d: d as { topic: string; qos: 0 | 1 | 2; len: number } })),
);

describe('CoapEndpoint under random datagrams, ticks and deliveries', () => {
  for (const mode of ['connectionless', 'connection mode'])
    it(`never throws and stays bounded (${mode})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(op, fc.integer({ min: 0, max: 3 })), { maxLength: 40 }), async (ops) => {
          const s = stubEndpoint({
            connection_required: mode === 'connection mode',
            max_block_size: '64B',
            observe: { max_per_client: 3, max_total: 6, max_queue: 4 },
            limits: {
              max_clients: 3,
              max_block_transfers: 4,
              max_block_transfers_per_client: 2,
              max_dedup_entries: 100,
            },
          });
          for (const [o, port] of ops) {
            const peer = peerAddress('127.0.0.1', 5000 + port);
            if (o.kind === 'msg') {
              let bytes: Buffer;
              try {
                bytes = encodeCoap(o.m);
              } catch {
                continue; // not encodable (e.g. a code the codec refuses): not a datagram
              }
              s.ep.receive(peer, bytes);
            } else if (o.kind === 'raw') s.ep.receive(peer, o.b);
            else if (o.kind === 'tick') s.advance(o.dt, Math.max(1, o.dt));
            else for (let i = 0; i < s.st.handlers.length; i++) s.deliver(i, o.d.topic, 'd'.repeat(o.d.len), o.d.qos);
            await s.flush();
          }
          expect(s.st.dropped.internal_error ?? 0).toBe(0);
          const stats = s.ep.stats();
          expect(stats.clients).toBeLessThanOrEqual(3);
          expect(stats.observations).toBeLessThanOrEqual(6);
          expect(s.ep.block2.size).toBeLessThanOrEqual(4);
          expect(s.ep.dedup.size).toBeLessThanOrEqual(100);
          // connectionless: once the clients went quiet, every CON notification was ACKed or given up, so every
          // broker delivery is settled (connection mode legitimately holds them for the client's next observation)
          s.advance(600_000, 1000);
          if (mode === 'connectionless') expect(s.st.deliveries.filter((d) => !d.acked)).toEqual([]);
        }),
        { numRuns: 300 },
      );
    });
});
