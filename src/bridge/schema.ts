/**
 * Config schema of `bridges.mqtt.<name>`: upstream connection, forwards (local → remote), subscriptions
 * (remote → local) and the durable cache. Templates are compiled here so a bad one is a config error at load.
 */
import { z } from 'zod';
import { byteSize, duration } from '../config/types.js';
import { compileRoute } from './topic-template.js';
import { filtersOverlap } from '../broker/topic/index.js';

const userProperties = z.record(z.string(), z.string()).default({});

const serverUrl = z
  .string()
  .regex(/^(mqtt|mqtts|ws|wss|tcp|ssl):\/\/[^\s]+$/, 'expected mqtt://, mqtts://, ws:// or wss:// URL');

const forwardSchema = z.object({
  local: z.string().min(1).describe('local topic filter; `{name}` captures one level, `{name*}` the rest (last level)'),
  remote: z
    .string()
    .min(1)
    .default('{topic}')
    .describe('remote topic template: captures, `{topic}` = whole local topic, `${node.name}`'),
  qos: z
    .union([z.literal(0), z.literal(1), z.literal(2), z.literal('keep')])
    .default('keep')
    .describe('QoS upstream; `keep` = as published locally'),
  retain: z
    .union([z.boolean(), z.literal('keep')])
    .default('keep')
    .describe('retain flag upstream; `keep` = as published locally'),
  user_properties: userProperties.describe('MQTT 5 user properties added to every forwarded message'),
});

const subscriptionSchema = z.object({
  remote: z
    .string()
    .min(1)
    .describe('remote topic filter (may start with `$share/<group>/`), with `{name}`/`{name*}` captures'),
  local: z
    .string()
    .min(1)
    .default('{topic}')
    .describe('local topic template: captures, `{topic}` = whole remote topic'),
  qos: z
    .union([z.literal(0), z.literal(1), z.literal(2)])
    .default(1)
    .describe('subscription QoS'),
  no_local: z
    .boolean()
    .default(true)
    .describe('v5: upstream does not send back what this bridge published (ignored for $share)'),
  retain_as_published: z.boolean().default(true).describe('v5: keep the retain flag of messages delivered live'),
  retain_handling: z
    .union([z.literal(0), z.literal(1), z.literal(2)])
    .default(0)
    .describe('v5: 0 retained on subscribe, 1 only if new, 2 never'),
});

const sslSchema = z
  .object({
    enable: z.boolean().default(false).describe('use TLS (implied by mqtts:// and wss:// URLs)'),
    cacertfile: z
      .string()
      .optional()
      .describe('PEM CA bundle that signs the upstream certificate (default: system CAs)'),
    certfile: z.string().optional().describe('PEM client certificate for mutual TLS'),
    keyfile: z.string().optional().describe('PEM private key of the client certificate'),
    verify: z
      .enum(['verify_peer', 'verify_none'])
      .default('verify_peer')
      .describe('verify the upstream certificate and host name'),
    server_name_indication: z
      .string()
      .optional()
      .describe('SNI host name to send and verify against; default: the URL host (none for an IP address)'),
  })
  .prefault({});

const reconnectSchema = z
  .object({
    initial: duration('first retry delay after a failed connect').prefault('1s'),
    max: duration('cap of the exponential backoff').prefault('60s'),
    multiplier: z.number().min(1).max(10).default(2).describe('backoff growth per failed attempt'),
    jitter: z.number().min(0).max(1).default(0.5).describe('fraction of the delay randomised away (0 = none)'),
  })
  .prefault({});

const cacheSchema = z
  .object({
    qos0: z
      .boolean()
      .default(false)
      .describe('also cache QoS 0 forwards (otherwise they are sent only while connected)'),
    max_messages: z.number().int().min(1).max(100_000_000).default(1_000_000).describe('most messages held'),
    max_bytes: byteSize('most payload+topic bytes held').prefault('1GB'),
    overflow: z
      .enum(['drop_oldest', 'drop_new', 'drop_newest'])
      .default('drop_oldest')
      .transform((v) => (v === 'drop_newest' ? 'drop_new' : v))
      .describe('a full cache drops its oldest unsent message, or the new one'),
  })
  .prefault({});

const statusSchema = z
  .object({
    enable: z.boolean().default(true).describe('retained online status upstream and a will announcing offline'),
    topic: z.string().default('protohub/${node.name}/status').describe('remote topic of the status message'),
    qos: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(1)
      .describe('QoS of status and will'),
  })
  .prefault({});

export const bridgeSchema = z
  .object({
    enable: z.boolean().default(true).describe('run this bridge'),
    servers: z.array(serverUrl).min(1).describe('upstream URLs, tried in order; a failure moves to the next'),
    proto_ver: z.enum(['v4', 'v5']).default('v5').describe('MQTT 3.1.1 (v4) or 5.0 (v5)'),
    clientid: z
      .string()
      .min(1)
      .max(65535)
      .optional()
      .describe('fixed client id; default `protohub-${node.name}-<bridge>`'),
    username: z.string().optional().describe('CONNECT user name'),
    password: z.string().optional().describe('CONNECT password'),
    keepalive: duration('keep-alive interval', 0, 65_535_000).prefault('60s'),
    clean_start: z.boolean().default(false).describe('start a new upstream session on every connect'),
    session_expiry: duration(
      'v5 Session Expiry Interval so the upstream keeps our subscriptions across outages',
      0,
      4_294_967_295_000,
    ).prefault('2h'),
    connect_timeout: duration('give up a connect attempt (TCP+TLS+CONNACK) after this long', 100).prefault('10s'),
    connect_properties: z
      .object({
        receive_maximum: z.number().int().min(1).max(65535).optional().describe('v5 Receive Maximum we offer'),
        maximum_packet_size: z.number().int().min(1).optional().describe('v5 Maximum Packet Size we accept'),
        user_properties: userProperties.describe('v5 user properties on CONNECT'),
      })
      .prefault({}),
    ssl: sslSchema,
    reconnect: reconnectSchema,
    max_inflight: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(32)
      .describe('unacknowledged forwards in flight; the drain speed'),
    hop_marker: z
      .boolean()
      .default(true)
      .describe('v5: mark forwards with a `protohub-hop` user property and drop marked messages coming back'),
    forwards: z.array(forwardSchema).default([]).describe('local → remote routes; the first matching one wins'),
    subscriptions: z.array(subscriptionSchema).default([]).describe('remote → local routes'),
    cache: cacheSchema,
    status: statusSchema,
  })
  .superRefine((b, ctx) => {
    b.forwards.forEach((f, i) => checkRoute(ctx, ['forwards', i], f.local, f.remote));
    b.subscriptions.forEach((s, i) => checkRoute(ctx, ['subscriptions', i], stripShare(s.remote), s.local));
    if (b.proto_ver === 'v4') checkV4Loops(b, ctx);
  });

type BridgeShape = { forwards: { local: string; remote: string }[]; subscriptions: { remote: string }[] };

function checkRoute(ctx: z.RefinementCtx, path: (string | number)[], filter: string, template: string): void {
  try {
    compileRoute(filter, template.replaceAll('${node.name}', 'node'));
  } catch (err) {
    ctx.addIssue({ code: 'custom', path, message: (err as Error).message });
  }
}

/**
 * MQTT.js cannot send mosquitto's bridge protocol version 0x84 and v3.1.1 has no no-local, so on v4 a
 * subscription that can match one of our own forwarded topics would echo it back: refuse that at load.
 */
function checkV4Loops(b: BridgeShape, ctx: z.RefinementCtx): void {
  b.subscriptions.forEach((s, i) => {
    for (const f of b.forwards) {
      const remoteFilter = templateAsFilter(f.remote, f.local);
      if (
        filtersOverlap(
          stripShare(s.remote)
            .replace(/\{[^}]*\*\}/g, '#')
            .replace(/\{[^}]*\}/g, '+'),
          remoteFilter,
        )
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['subscriptions', i, 'remote'],
          message: `on proto_ver v4 this subscription would receive forwards to "${f.remote}" back (a loop); use v5 or disjoint topics`,
        });
      }
    }
  });
}

/** The set of remote topics a forward can produce, as a filter (captures become wildcards). */
function templateAsFilter(template: string, local: string): string {
  const localFilter = local.replace(/\{[^}]*\*\}/g, '#').replace(/\{[^}]*\}/g, '+');
  return template
    .replaceAll('${node.name}', '+')
    .replace(/\{topic\}/g, localFilter)
    .replace(/\{[^}]*\*\}/g, '#')
    .replace(/\{[^}]*\}/g, '+')
    .replace(/#\/.*$/, '#');
}

export function stripShare(filter: string): string {
  // [MQTT-4.8.2] $share/{ShareName}/{filter}: the filter part is what topics are matched against
  const m = /^\$share\/[^/]+\/(.*)$/.exec(filter);
  return m ? m[1] : filter;
}

export type BridgeConfig = z.output<typeof bridgeSchema>;
export type ForwardConfig = BridgeConfig['forwards'][number];
export type SubscriptionConfig = BridgeConfig['subscriptions'][number];

export const bridgesSchema = z
  .object({
    mqtt: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]+$/), bridgeSchema)
      .default({})
      .describe('MQTT bridges to upstream brokers, by name'),
  })
  .prefault({});
