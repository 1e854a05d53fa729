/**
 * Config keys every client gateway instance has (`gateways.<protocol>.<name>.…`): mountpoint, anonymous
 * override, per-device in-flight window and session queue, restart backoff. Client gateways spread
 * `clientGatewayShape` into their own object schema.
 */
import { z } from 'zod';
import { byteSize } from '../config/types.js';
import { restartSchema, type RestartConfig } from './common-schema.js';

export const clientGatewayShape = {
  enable: z.boolean().default(true).describe('start this gateway instance'),
  mountpoint: z
    .string()
    .default('')
    .describe(
      'topic prefix of every device of this instance (EMQX semantics: prepended on the way in, stripped on the way out); ${clientid} and ${username} are replaced',
    ),
  allow_anonymous: z
    .boolean()
    .optional()
    .describe('devices without credentials may connect; default: auth.allow_anonymous'),
  inflight_window: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(16)
    .describe('QoS >= 1 messages in flight to one device before the rest wait in its session queue'),
  max_mqueue_len: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .optional()
    .describe('messages queued per device session (offline, asleep or window full); default: mqtt.max_mqueue_len'),
  max_mqueue_bytes: byteSize('payload bytes queued per device session; default: mqtt.max_mqueue_bytes', 1).optional(),
  mqueue_overflow: z
    .enum(['drop_oldest', 'drop_newest'])
    .optional()
    .describe('which message a full device queue drops (counted); default: mqtt.mqueue_overflow'),
  restart: restartSchema.prefault({}).describe('supervisor restart backoff'),
};

export const clientGatewaySchema = z.object(clientGatewayShape);
export type ClientGatewayConfig = z.output<typeof clientGatewaySchema>;

/** What the hub reads from any client gateway's config (a gateway's own schema may have more keys). */
export interface ClientGatewayConfigBase {
  enable: boolean;
  restart: RestartConfig;
  mountpoint?: string;
  allow_anonymous?: boolean;
  inflight_window?: number;
  max_mqueue_len?: number;
  max_mqueue_bytes?: number;
  mqueue_overflow?: 'drop_oldest' | 'drop_newest';
}
