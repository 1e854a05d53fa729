/**
 * Config of `gateways.zeromq.<name>`: the common gateway keys plus framing and named sockets. Every socket binds
 * and/or connects to any number of tcp:// or ipc:// endpoints; its type decides the direction
 * (sub/pull = uplink, pub/push = downlink).
 */
import { z } from 'zod';
import { byteSize, commonGatewayShape, duration } from '../../src/gateway/index.js';

const endpoint = z
  .string()
  .regex(/^(tcp:\/\/[^\s]+:(\d+|\*)|ipc:\/\/[^\s]+)$/, 'expected "tcp://host:port" or "ipc:///path"');

export const zeromqSocketSchema = z
  .object({
    type: z
      .enum(['sub', 'pull', 'pub', 'push'])
      .describe('sub/pull receive from peers (uplink); pub/push send to peers (downlink)'),
    bind: z.array(endpoint).default([]).describe('endpoints this socket binds (listens on)'),
    connect: z
      .array(endpoint)
      .default([])
      .describe('endpoints this socket connects to (reconnecting when they go away)'),
    subscribe: z.array(z.string()).default(['']).describe('sub only: topic prefixes to subscribe to; "" is everything'),
    send_hwm: z
      .number()
      .int()
      .min(0)
      .max(10_000_000)
      .default(1000)
      .describe('ZMQ_SNDHWM: messages queued per peer before push blocks and pub drops'),
    receive_hwm: z
      .number()
      .int()
      .min(0)
      .max(10_000_000)
      .default(1000)
      .describe('ZMQ_RCVHWM: messages queued per peer on receive'),
    reconnect_interval: duration(
      'ZMQ_RECONNECT_IVL: first wait before reconnecting a lost connection',
      0,
      3_600_000,
    ).prefault('100ms'),
    reconnect_max_interval: duration(
      'ZMQ_RECONNECT_IVL_MAX: reconnect backoff cap; 0 = no backoff',
      0,
      3_600_000,
    ).prefault('0ms'),
    max_message_size: byteSize('ZMQ_MAXMSGSIZE: a peer sending a bigger message is disconnected', 1).prefault('16MB'),
    linger: duration('ZMQ_LINGER: how long unsent messages are kept after stop', 0, 60_000).prefault('0ms'),
  })
  .strict()
  .refine((s) => s.bind.length + s.connect.length > 0, {
    message: 'a socket needs at least one bind or connect endpoint',
  });

export const zeromqFramingSchema = z
  .object({
    mode: z
      .enum(['multipart', 'prefix'])
      .default('multipart')
      .describe(
        'multipart: frame 1 is the topic, the last frame the payload; prefix: one frame "<topic><delimiter><payload>"',
      ),
    delimiter: z.string().min(1).default(' ').describe('prefix mode: what separates the topic from the payload'),
  })
  .strict();

export const zeromqConfigSchema = z
  .object({
    ...commonGatewayShape,
    framing: zeromqFramingSchema.prefault({}),
    sockets: z.record(z.string(), zeromqSocketSchema).describe('sockets by name'),
  })
  .strict()
  .refine((c) => Object.keys(c.sockets).length > 0, { message: 'at least one socket' });

export type ZeromqConfig = z.output<typeof zeromqConfigSchema>;
export type ZeromqSocketConfig = z.output<typeof zeromqSocketSchema>;
export type ZeromqFraming = z.output<typeof zeromqFramingSchema>;
