/**
 * `gateways.<protocol>.<name>` schema, assembled from the static gateway registry so each gateway owns its keys.
 */
import { z } from 'zod';
import { clientGatewayDefinitions, gatewayDefinitions } from '../../gateways/registry.js';

const shape: Record<string, z.ZodType> = {};
for (const def of [...gatewayDefinitions, ...clientGatewayDefinitions]) {
  shape[def.protocol] = z
    .record(z.string(), def.configSchema)
    .default({})
    .describe(`${def.protocol} gateway instances by name`);
}

export const gatewaysSchema = z.object(shape).strict().prefault({});
