/**
 * POST /api/v5/publish and /api/v5/publish/bulk (EMQX 5 bodies): publish as the hub itself, not subject to
 * client authorization (the caller is an API admin). QoS >= 1 resolves once durably queued for persistent
 * subscribers. Response `{id}`, or per message in bulk `{id}` / `{code, message}`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { envelope, type PublishProperties } from '../../envelope.js';
import { HubError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import { statusOf } from '../errors.js';
import type { Route } from '../router.js';
import { broker } from './need.js';

export const publishSchema = z
  .object({
    topic: z.string().min(1),
    payload: z.string().default(''),
    payload_encoding: z.enum(['plain', 'base64']).default('plain'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
    retain: z.boolean().default(false),
    properties: z
      .object({
        payload_format_indicator: z.union([z.literal(0), z.literal(1)]).optional(),
        message_expiry_interval: z.number().int().min(0).max(0xffffffff).optional(),
        content_type: z.string().optional(),
        response_topic: z.string().optional(),
        correlation_data: z.string().optional(),
        user_properties: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

type PublishBody = z.output<typeof publishSchema>;

const MAX_BULK = 1000;

async function publishOne(deps: ApiDeps, p: PublishBody): Promise<{ id: string }> {
  const props = p.properties;
  const properties: PublishProperties | undefined = props && {
    payloadFormatIndicator:
      props.payload_format_indicator === undefined ? undefined : props.payload_format_indicator === 1,
    messageExpiryInterval: props.message_expiry_interval,
    contentType: props.content_type,
    responseTopic: props.response_topic,
    correlationData: props.correlation_data === undefined ? undefined : Buffer.from(props.correlation_data),
    userProperties: props.user_properties,
  };
  const payload = Buffer.from(p.payload, p.payload_encoding === 'base64' ? 'base64' : 'utf8');
  await broker(deps).publish(
    envelope(p.topic, payload, { qos: p.qos, retain: p.retain, properties, origin: { clientId: '$hub/http-api' } }),
  );
  return { id: randomBytes(8).toString('hex') };
}

export const publishRoutes: Route<ApiDeps>[] = [
  {
    method: 'POST',
    path: '/api/v5/publish',
    handler: async (ctx) => publishOne(ctx.deps, await ctx.body(publishSchema)),
  },
  {
    method: 'POST',
    path: '/api/v5/publish/bulk',
    handler: async (ctx) => {
      const list = await ctx.body(z.array(publishSchema).min(1).max(MAX_BULK));
      const out: Array<{ id: string } | { code: string; message: string }> = [];
      for (const p of list) {
        try {
          out.push(await publishOne(ctx.deps, p));
        } catch (err) {
          if (!(err instanceof HubError) || statusOf(err) >= 500) throw err;
          out.push({ code: err.code, message: err.message });
        }
      }
      return out;
    },
  },
];
