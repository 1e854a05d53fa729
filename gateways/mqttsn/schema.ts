/**
 * Config of `gateways.mqttsn.<name>`: the UDP listener, predefined topic ids, QoS -1, gateway discovery
 * (ADVERTISE/SEARCHGW/GWINFO, off by default), retransmission (Tretry/Nretry), sleeping-client buffers and the
 * per-client limits. Every MQTT-SN device becomes a client of the broker (see docs/gateways/mqttsn.md).
 */
import { z } from 'zod';
import { bind, byteSize, clientGatewayShape, duration, overflowPolicy } from '../../src/gateway/index.js';

const u16id = z.number().int().min(1).max(0xfffe);

export const predefinedTopicSchema = z
  .object({
    id: u16id.describe('predefined topic id (1..65534), known to both the gateway and the device'),
    topic: z
      .string()
      .min(1)
      .refine((t) => !/[+#\u0000]/.test(t), 'a topic name without wildcards')
      .describe('the MQTT topic name (under the mountpoint) this id stands for'),
  })
  .strict();

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected "host:port" or "[v6]:port"');

export const advertiseSchema = z
  .object({
    enable: z
      .boolean()
      .default(false)
      .describe('send ADVERTISE every interval and answer SEARCHGW with GWINFO (MQTT-SN 1.2 §6.1)'),
    gateway_id: z.number().int().min(0).max(255).default(1).describe('GwId carried in ADVERTISE and GWINFO'),
    interval: duration('ADVERTISE period (the Duration field is this in seconds)', 1000, 65_535_000).prefault('15m'),
    address: hostPort
      .default('127.0.0.1:1885')
      .describe('where ADVERTISE is sent (a unicast address; protohub sends no LAN broadcast by default)'),
  })
  .strict();

export const retrySchema = z
  .object({
    interval: duration('Tretry: wait for an answer before retransmitting (MQTT-SN 1.2 §6.13)', 10, 600_000).prefault(
      '10s',
    ),
    max: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('Nretry: retransmissions before the client counts as lost (its will is published)'),
  })
  .strict();

export const sleepSchema = z
  .object({
    max_messages: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(100)
      .describe('messages kept for a sleeping client (MQTT-SN 1.2 §6.14)'),
    max_bytes: byteSize('payload bytes kept for a sleeping client', 0, 1 << 30).prefault('256KB'),
    overflow: overflowPolicy.default('drop_oldest'),
  })
  .strict();

export const limitsSchema = z
  .object({
    max_clients: z.number().int().min(1).max(1_000_000).default(10_000).describe('connected MQTT-SN clients'),
    max_client_id_length: z
      .number()
      .int()
      .min(1)
      .max(65_000)
      .default(23)
      .describe('longer client ids get CONNACK "not supported" (MQTT-SN 1.2 §5.3.1 says 1-23)'),
    max_topics_per_client: z
      .number()
      .int()
      .min(1)
      .max(65_534)
      .default(256)
      .describe('normal topic ids registered per client; one more REGISTER gets REGACK "congestion"'),
    max_datagram_size: byteSize('larger datagrams are dropped unread', 64, 65_535).prefault('1500B'),
    max_inflight: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(1)
      .describe('QoS 1/2 messages sent to a client and not yet acknowledged (the spec allows 1)'),
    max_queue: z.number().int().min(1).max(1_000_000).default(1000).describe('messages waiting for an awake client'),
    max_queue_bytes: byteSize('payload bytes waiting for an awake client', 1, 1 << 30).prefault('1MB'),
    queue_overflow: overflowPolicy.default('drop_oldest'),
    max_pending_publishes: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(16)
      .describe('a client\'s QoS 1/2 publishes waiting for the broker; more get PUBACK "congestion"'),
  })
  .strict();

export const mqttsnConfigSchema = z
  .object({
    // enable, restart, mountpoint, allow_anonymous, inflight_window, max_mqueue_*: every client gateway's keys
    ...clientGatewayShape,
    bind: bind('UDP address and port to listen on ("[::]:1884" for IPv6)').prefault('0.0.0.0:1884'),
    predefined: z.array(predefinedTopicSchema).default([]).describe('predefined topic ids'),
    enable_qos3: z
      .boolean()
      .default(true)
      .describe('accept QoS -1 PUBLISH without a connection, predefined and short topic ids only (§6.8)'),
    keepalive_tolerance: z
      .number()
      .min(1)
      .max(10)
      .default(1.5)
      .describe('a client silent for keep-alive × this (or asleep past duration × this) is lost'),
    advertise: advertiseSchema.prefault({}).describe('gateway discovery; off by default'),
    retry: retrySchema.prefault({}).describe('retransmission of what the gateway sent'),
    sleep: sleepSchema.prefault({}).describe('buffer for sleeping clients'),
    limits: limitsSchema.prefault({}).describe('per-gateway and per-client limits'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<number>();
    c.predefined.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['predefined', i, 'id'], message: 'duplicate id' });
      seen.add(p.id);
    });
  });

export type MqttSnConfig = z.output<typeof mqttsnConfigSchema>;
