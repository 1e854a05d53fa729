/**
 * Config schema of `bridges.mqtt.<name>`. Placeholder until the bridge lands: accepts any bridge table.
 */
import { z } from 'zod';

export const bridgeSchema = z.record(z.string(), z.unknown());

export const bridgesSchema = z.object({
  mqtt: z.record(z.string(), bridgeSchema).default({}).describe('MQTT bridges to upstream brokers, by name'),
}).prefault({});
