/**
 * The CoAP gateway definition (a client gateway: every CoAP client with a session is a client of the broker),
 * listed in gateways/registry.ts. LwM2M reuses this folder's codec and exchange pieces through `index.ts`.
 */
import type { ClientGatewayDefinition } from '../../src/gateway/index.js';
import { coapConfigSchema, type CoapConfig } from './schema.js';

export const coapGateway: ClientGatewayDefinition<CoapConfig> = {
  kind: 'client',
  protocol: 'coap',
  configSchema: coapConfigSchema,
  // the runtime loads only when an instance is configured
  create: async (config, ctx) => new (await import('./instance.js')).CoapGateway(config, ctx),
};
