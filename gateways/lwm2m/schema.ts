/**
 * Config of `gateways.lwm2m.<name>`: the client gateway keys plus EMQX's LwM2M gateway keys (lifetime_min/max,
 * qmode_time_window, auto_observe, update_msg_publish_condition, translators) with the same defaults, except that
 * register/update events default to up/register and up/update (issue #12). `{ep}` in the mountpoint is EMQX's
 * endpoint-name placeholder and becomes the device-session `${clientid}` (the client id is the endpoint name).
 */
import { z } from 'zod';
import { bind, byteSize, clientGatewayShape, duration } from '../../src/gateway/index.js';

const translator = (topic: string, what: string) =>
  z
    .object({
      topic: z.string().min(1).default(topic).describe(`topic (under the mountpoint) of ${what}`),
      qos: z
        .union([z.literal(0), z.literal(1), z.literal(2)])
        .default(0)
        .describe('QoS'),
    })
    .strict()
    .prefault({});

export const lwm2mConfigSchema = z
  .object({
    ...clientGatewayShape,
    mountpoint: z
      .string()
      .default('lwm2m/{ep}/')
      .transform((s) => s.replaceAll('{ep}', '${clientid}').replaceAll('${endpoint_name}', '${clientid}'))
      .describe('topic prefix of every endpoint; {ep} (EMQX) or ${clientid} is the endpoint name'),
    bind: bind('UDP address the LwM2M server listens on').prefault('0.0.0.0:5783'),
    lifetime_min: duration('shortest registration lifetime accepted (shorter → 4.00)', 1000, 4_294_967_000).prefault(
      '1s',
    ),
    lifetime_max: duration('longest registration lifetime accepted (longer → 4.00)', 1000, 4_294_967_000).prefault(
      '86400s',
    ),
    qmode_time_window: duration(
      'queue mode: after a message from a sleeping endpoint, queued and new commands go out for this long',
      0,
      3_600_000,
    ).prefault('22s'),
    auto_observe: z.boolean().default(false).describe('observe every object instance listed at registration'),
    update_msg_publish_condition: z
      .enum(['always', 'contains_object_list'])
      .default('contains_object_list')
      .describe('publish an update event for every Update, or only for one carrying object links'),
    object_dirs: z.array(z.string()).default([]).describe('extra directories of OMA object XML definitions'),
    request_timeout: duration(
      'how long a command waits for the device answer (piggybacked or separate) before a 5.04 on up/resp',
      500,
      600_000,
    ).prefault('30s'),
    max_queued_commands: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(100)
      .describe(
        'commands waiting per endpoint (for an NSTART slot or for a sleeping device to wake); past it new commands are refused (5.03 on up/resp, counted)',
      ),
    max_queued_bytes: byteSize(
      'bytes of the commands waiting per endpoint; past it new commands are refused like above',
      1,
    ).prefault('1MB'),
    max_queued_bytes_total: byteSize(
      'bytes of the commands waiting in all endpoints of this instance; past it new commands are refused (5.03 on up/resp, counted gateway_queue_full)',
      1,
    ).prefault('64MB'),
    max_observations: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(64)
      .describe('observations per endpoint; another observe is refused (5.03 on up/resp, counted)'),
    max_endpoints: z.number().int().min(1).max(10_000_000).default(100_000).describe('registered endpoints at once'),
    max_datagram_size: z.number().int().min(64).max(65_507).default(1500).describe('largest UDP datagram read or sent'),
    transmission: z
      .object({
        ack_timeout: duration('RFC 7252 ACK_TIMEOUT for requests to devices', 100, 60_000).prefault('2s'),
        ack_random_factor: z.number().min(1).max(4).default(1.5).describe('RFC 7252 ACK_RANDOM_FACTOR'),
        max_retransmit: z.number().int().min(0).max(20).default(4).describe('RFC 7252 MAX_RETRANSMIT'),
        nstart: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(1)
          .describe('RFC 7252 §4.7 NSTART: requests outstanding to one endpoint at once; the rest wait in its queue'),
      })
      .strict()
      .prefault({}),
    translators: z
      .object({
        command: translator('dn/#', 'commands (subscribed by each endpoint session)'),
        response: translator('up/resp', 'command results'),
        notify: translator('up/notify', 'observe notifications'),
        register: translator('up/register', 'register and deregister events'),
        update: translator('up/update', 'update events'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Lwm2mConfig = z.output<typeof lwm2mConfigSchema>;
