/**
 * The LwM2M gateway definition (a client gateway: every registered endpoint is a client of the broker), listed in
 * gateways/registry.ts. It uses the CoAP gateway only through gateways/coap/index.ts.
 */
import type { ClientGatewayDefinition } from '../../src/gateway/index.js';
import { lwm2mConfigSchema, type Lwm2mConfig } from './schema.js';

export const lwm2mGateway: ClientGatewayDefinition<Lwm2mConfig> = {
  kind: 'client',
  protocol: 'lwm2m',
  configSchema: lwm2mConfigSchema,
  create: async (config, ctx) => new (await import('./instance.js')).Lwm2mGateway(config, ctx),
};
