/**
 * Config keys every gateway instance has (`gateways.<protocol>.<name>.…`): mapping file, buffers and their
 * overflow policy, restart backoff. Gateways spread `commonGatewayShape` into their own object schema.
 */
import { z } from 'zod';
import { byteSize, duration } from '../config/types.js';

export const gatewayOverflowPolicy = z
  .enum(['drop_oldest', 'drop_newest', 'block'])
  .describe(
    'what a full buffer does with one more message: drop the oldest, drop the new one, or pause the source where the protocol allows (past the limit it then drops the new one)',
  );

export const bufferSchema = z.object({
  max_messages: z.number().int().min(1).max(10_000_000).default(10_000).describe('messages this buffer holds'),
  max_bytes: byteSize('payload bytes this buffer holds', 1).prefault('64MB'),
  overflow: gatewayOverflowPolicy.default('drop_oldest'),
});

export const restartSchema = z.object({
  initial_backoff: duration('wait before the first restart of a failed instance', 10, 3_600_000).prefault('500ms'),
  max_backoff: duration('longest wait between restarts (the backoff doubles up to this)', 10, 3_600_000).prefault(
    '30s',
  ),
  jitter: z.number().min(0).max(1).default(0.2).describe('fraction of each backoff randomised away (0 = none)'),
});

export const commonGatewayShape = {
  enable: z.boolean().default(true).describe('start this gateway instance'),
  mapping: z
    .string()
    .min(1)
    .optional()
    .describe("mapping file (HOCON), relative to the config file; default: the gateway's documented convention"),
  uplink_buffer: bufferSchema.prefault({}).describe('messages from peers waiting to be published into the broker'),
  downlink_buffer: bufferSchema.prefault({}).describe('broker messages waiting to be sent to peers'),
  restart: restartSchema.prefault({}).describe('supervisor restart backoff'),
  dlq: z.boolean().default(true).describe('publish messages that cannot be mapped to $hub/dlq/<protocol>.<name>'),
};

export const commonGatewaySchema = z.object(commonGatewayShape);
export type CommonGatewayConfig = z.output<typeof commonGatewaySchema>;
export type BufferConfig = z.output<typeof bufferSchema>;
export type RestartConfig = z.output<typeof restartSchema>;
