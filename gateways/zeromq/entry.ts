/**
 * The ZeroMQ gateway definition, listed in gateways/registry.ts. Default convention without a mapping file:
 * topic frame `<t>` is published on `zmq/<name>/up/<t>`; MQTT messages on `zmq/<name>/down/<t>` leave as `<t>`.
 */
import type { GatewayDefinition } from '../../src/gateway/index.js';
import { zeromqConfigSchema, type ZeromqConfig } from './schema.js';

export const zeromqGateway: GatewayDefinition<ZeromqConfig> = {
  protocol: 'zeromq',
  configSchema: zeromqConfigSchema,
  capabilities: { uplink: true, downlink: true, requestReply: false, pausable: true },
  defaultMapping: (name) => ({
    uplink: [{ name: 'default-up', address: '{topic*}', topic: `zmq/${name}/up/{topic*}`, qos: 0 }],
    downlink: [{ name: 'default-down', filter: `zmq/${name}/down/{topic*}`, address: '{topic*}', qos: 1 }],
  }),
  // the runtime (and the native zeromq addon) loads only when an instance is configured: faster hub start-up
  create: async (config, ctx) => new (await import('./instance.js')).ZeromqGateway(config, ctx),
};
