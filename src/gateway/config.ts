/**
 * `gateways.<protocol>.<name>` schema, assembled from the static gateway registry so each gateway owns its keys.
 * A definition's capabilities are enforced here, when the config loads: a setting the protocol cannot honour is a
 * config error naming its key, not a silent difference at run time.
 */
import { z } from 'zod';
import { clientGatewayDefinitions, gatewayDefinitions } from '../../gateways/registry.js';
import type { CommonGatewayConfig } from './common-schema.js';
import type { GatewayDefinition } from './spi.js';

/** The instances of one protocol by name, with the definition's capabilities checked on each. */
export function gatewayInstancesSchema(def: GatewayDefinition) {
  return z
    .record(z.string(), def.configSchema)
    .superRefine((instances, ctx) => {
      for (const [name, config] of Object.entries(instances as Record<string, CommonGatewayConfig>)) {
        if (config.uplink_buffer?.overflow === 'block' && !def.capabilities.pausable) {
          // `block` pauses the peers when the buffer is full; a gateway that cannot pause would only drop.
          ctx.addIssue({
            code: 'custom',
            path: [name, 'uplink_buffer', 'overflow'],
            input: 'block',
            message: `expected "drop_oldest" or "drop_newest" (${def.protocol} gateways cannot pause their peers, so "block" is not available)`,
          });
        }
      }
    })
    .default({})
    .describe(`${def.protocol} gateway instances by name`);
}

const shape: Record<string, z.ZodType> = {};
for (const def of gatewayDefinitions) shape[def.protocol] = gatewayInstancesSchema(def);
// client gateways have no pipeline buffers, so no capability to check
for (const def of clientGatewayDefinitions)
  shape[def.protocol] = z
    .record(z.string(), def.configSchema)
    .default({})
    .describe(`${def.protocol} gateway instances by name`);

export const gatewaysSchema = z.object(shape).strict().prefault({});
