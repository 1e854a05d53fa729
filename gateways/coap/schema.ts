/**
 * Config of `gateways.coap.<name>`: the client gateway keys (mountpoint, allow_anonymous, per-device window and
 * queue) and the CoAP ones. Defaults follow EMQX's CoAP gateway where it has the key (publish_qos, subscribe_qos,
 * notify_type, connection_required, heartbeat) and RFC 7252 §4.8 for transmission parameters.
 */
import { z } from 'zod';
import { bind, byteSize, clientGatewayShape, duration, overflowPolicy } from '../../src/gateway/index.js';

const qosMode = z.enum(['coap', 'qos0', 'qos1', 'qos2']);

export const coapConfigSchema = z
  .object({
    ...clientGatewayShape,
    bind: bind('UDP address to listen on; "[::]:5683" for IPv6 (dual-stack where the OS allows)').prefault(
      '0.0.0.0:5683',
    ),
    connection_required: z
      .boolean()
      .default(false)
      .describe(
        'connection mode: clients POST mqtt/connection first and pass clientid+token with every request (EMQX semantics)',
      ),
    heartbeat: duration(
      'connection mode: the keep-alive; a client with no request or heartbeat (PUT mqtt/connection) for keepalive_multiplier (1.5) × this is disconnected and its will published; connectionless: a client with no observation and no request for this long is forgotten',
      1000,
      86_400_000,
    ).prefault('30s'),
    session_expiry: duration(
      'connection mode: how long a client session (subscriptions, queued messages) outlives its connection; 0 = ends with it',
      0,
      4_294_967_000,
    ).prefault('0s'),
    publish_qos: qosMode
      .default('coap')
      .describe('QoS of a publish without a qos query parameter: coap = CON → 1, NON → 0; or a fixed QoS'),
    subscribe_qos: qosMode
      .default('coap')
      .describe('QoS of an observe subscription without a qos query parameter: coap = CON → 1, NON → 0'),
    notify_type: z
      .enum(['qos', 'con', 'non'])
      .default('qos')
      .describe('notification message type: qos = NON for QoS 0 messages and CON for QoS 1/2; or always con/non'),
    max_block_size: byteSize('largest block (RFC 7959 SZX) the gateway sends or asks for: 16..1024', 16, 1024).prefault(
      '1024B',
    ),
    max_body_size: byteSize(
      'largest request body (after Block1 reassembly) or message payload accepted; larger → 4.13',
      1,
      268_435_456,
    ).prefault('256KB'),
    max_datagram_size: byteSize(
      'largest UDP datagram read or sent; larger ones are dropped (counted)',
      64,
      65_507,
    ).prefault('1500B'),
    socket_buffer: byteSize(
      'UDP receive and send buffer (SO_RCVBUF/SO_SNDBUF): a burst of requests or ACKs larger than this is lost by the OS (NON publishes have no flow control: it bounds how long the hub may fall behind a burst); capped by net.core.rmem_max/wmem_max',
      4096,
      268_435_456,
    ).prefault('4MB'),
    exchange_lifetime: duration(
      'RFC 7252 EXCHANGE_LIFETIME: how long message ids are remembered for deduplication',
      1000,
      3_600_000,
    ).prefault('247s'),
    block_timeout: duration(
      'a Block1 transfer or stored Block2 body with no block for this long is forgotten',
      1000,
      3_600_000,
    ).prefault('60s'),
    transmission: z
      .object({
        ack_timeout: duration(
          'RFC 7252 ACK_TIMEOUT for CON notifications and separate responses',
          100,
          60_000,
        ).prefault('2s'),
        ack_random_factor: z.number().min(1).max(4).default(1.5).describe('RFC 7252 ACK_RANDOM_FACTOR'),
        max_retransmit: z.number().int().min(0).max(20).default(4).describe('RFC 7252 MAX_RETRANSMIT'),
      })
      .strict()
      .prefault({}),
    observe: z
      .object({
        window: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(1)
          .describe(
            'CON notifications awaiting ACK per observation (not per client: a client with n observations can have n × window outstanding, where RFC 7252 NSTART is 1 per client)',
          ),
        max_queue: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(1000)
          .describe(
            'notifications waiting behind the window per observation; past it queue_overflow drops one (counted)',
          ),
        max_queue_bytes: byteSize(
          'payload bytes of the notifications waiting per observation (one message always fits); past it queue_overflow drops (counted)',
          1,
          1 << 30,
        ).prefault('1MB'),
        queue_overflow: overflowPolicy.default('drop_oldest'),
        max_per_client: z.number().int().min(1).max(100_000).default(64).describe('observations per client'),
        max_total: z.number().int().min(1).max(10_000_000).default(100_000).describe('observations in all'),
      })
      .strict()
      .prefault({}),
    dtls: z
      .object({
        enable: z
          .boolean()
          .default(false)
          .describe('also listen for CoAP over DTLS 1.2 (coaps://, certificate mode; see docs/gateways/coap.md)'),
        bind: bind('UDP address of the DTLS listener').prefault('0.0.0.0:5684'),
        certfile: z
          .string()
          .optional()
          .describe('PEM server certificate (the first one is sent): ECDSA P-256 or RSA key; required when enabled'),
        keyfile: z.string().optional().describe('PEM private key of certfile, unencrypted; required when enabled'),
        max_handshakes: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(1000)
          .describe('DTLS handshakes in progress at once; a ClientHello past it is dropped (counted)'),
        max_sessions: z
          .number()
          .int()
          .min(1)
          .max(10_000_000)
          .default(10_000)
          .describe('DTLS sessions (handshaking or established) at once; a ClientHello past it is dropped (counted)'),
        handshake_timeout: duration('a DTLS handshake not finished in this time is dropped', 1000, 600_000).prefault(
          '30s',
        ),
        idle_timeout: duration(
          'an established DTLS session with no datagram in either direction for this long is forgotten',
          1000,
          86_400_000,
        ).prefault('10m'),
      })
      .strict()
      .superRefine((d, ctx) => {
        if (!d.enable) return;
        for (const key of ['certfile', 'keyfile'] as const)
          if (!d[key])
            ctx.addIssue({ code: 'custom', path: [key], message: `expected ${key} when dtls.enable = true` });
      })
      .prefault({}),
    limits: z
      .object({
        max_clients: z.number().int().min(1).max(10_000_000).default(100_000).describe('CoAP clients tracked at once'),
        max_block_transfers_per_client: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(4)
          .describe('Block1 transfers in progress, and stored Block2 bodies, per client'),
        max_block_transfers: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(1000)
          .describe('Block1 transfers and stored Block2 bodies in all'),
        max_block_bytes: byteSize(
          'payload bytes held by all partial Block1 bodies together, and separately by all stored Block2 bodies; past it a Block1 transfer is refused (5.03) and the oldest Block2 bodies go (counted)',
          1024,
          17_179_869_184,
        ).prefault('64MB'),
        max_dedup_entries: z
          .number()
          .int()
          .min(100)
          .max(10_000_000)
          .default(100_000)
          .describe('message ids remembered for deduplication; past it the oldest are forgotten (counted)'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type CoapConfig = z.output<typeof coapConfigSchema>;
