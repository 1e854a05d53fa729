/**
 * Config of `gateways.nng.<name>`: the common gateway keys, the topic delimiter, request/response settings and
 * named sockets. Sockets listen and/or dial tcp://, ipc:// and ws:// URLs (NNG terms; nanomsg calls them bind
 * and connect). The type decides the direction: sub/pull/rep receive, pub/push send, pair/bus do both.
 */
import { z } from 'zod';
import { byteSize, commonGatewayShape, duration } from '../../src/gateway/index.js';

// The nanomsg ws transport takes no URL path (it rejects "ws://host:port/x"), so none is accepted here.
const url = z
  .string()
  .regex(
    /^((tcp|ws):\/\/[^\s/]+:\d+|ipc:\/\/[^\s]+)$/,
    'expected "tcp://host:port", "ws://host:port" or "ipc:///path"',
  );

export const nngSocketSchema = z
  .object({
    type: z
      .enum(['sub', 'pull', 'rep', 'pub', 'push', 'pair', 'bus', 'req'])
      .describe(
        'sub/pull: uplink; rep: uplink requests answered from MQTT; pub/push: downlink; pair/bus: both; req: downlink requests whose SP reply answers the MQTT 5 request',
      ),
    listen: z.array(url).default([]).describe('URLs this socket listens on'),
    dial: z.array(url).default([]).describe('URLs this socket dials (redialling when they go away)'),
    subscribe: z.array(z.string()).default(['']).describe('sub only: body prefixes to subscribe to; "" is everything'),
    address_prefix: z
      .string()
      .default('')
      .describe(
        'prepended to the topic of every message this socket receives before mapping, e.g. "req/" to tell requests apart',
      ),
    reconnect_interval: duration('NN_RECONNECT_IVL: wait before redialling', 1, 3_600_000).prefault('100ms'),
    reconnect_max_interval: duration('NN_RECONNECT_IVL_MAX: redial backoff cap; 0 = no backoff', 0, 3_600_000).prefault(
      '0ms',
    ),
    max_message_size: byteSize(
      'NN_RCVMAXSIZE: larger incoming messages are dropped by the transport',
      1,
      2_147_483_647,
    ).prefault('16MB'),
    send_buffer: byteSize(
      'NN_SNDBUF: bytes the transport buffers per socket before pub drops and push waits',
      1024,
      2_147_483_647,
    ).prefault('128KB'),
    receive_buffer: byteSize('NN_RCVBUF: bytes the transport buffers on receive', 1024, 2_147_483_647).prefault(
      '128KB',
    ),
  })
  .strict()
  .refine((s) => s.listen.length + s.dial.length > 0, { message: 'a socket needs at least one listen or dial URL' });

export const requestReplySchema = z
  .object({
    timeout: duration(
      'how long a rep request waits for the MQTT response before the error reply, and a req socket for the SP reply',
      1,
      3_600_000,
    ).prefault('5s'),
    max_pending: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe('requests waiting for a response at once; more are refused with an error reply'),
    response_topic_prefix: z
      .string()
      .min(1)
      .optional()
      .describe('response topics are <prefix>/<id>; default nng/<name>/reply'),
    error_prefix: z.string().default('ERROR ').describe('an error reply body is <error_prefix><reason>: <detail>'),
  })
  .strict();

export const nngConfigSchema = z
  .object({
    ...commonGatewayShape,
    dial_probe_interval: duration(
      'how often dial URLs are probed to show a dead peer in health; 0 = never',
      0,
      3_600_000,
    ).prefault('2s'),
    topic_delimiter: z
      .string()
      .min(1)
      .default(' ')
      .describe('SP messages carry no topic: the body is "<topic><delimiter><payload>"'),
    request_reply: requestReplySchema.prefault({}).describe('MQTT 5 request/response for rep sockets'),
    sockets: z.record(z.string(), nngSocketSchema).describe('sockets by name'),
  })
  .strict()
  .refine((c) => Object.keys(c.sockets).length > 0, { message: 'at least one socket' });

export type NngConfig = z.output<typeof nngConfigSchema>;
export type NngSocketConfig = z.output<typeof nngSocketSchema>;
