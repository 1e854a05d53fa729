/**
 * The DDS gateway definition, listed in gateways/registry.ts. Default convention without a mapping file:
 * a sample of DDS topic `<t>` with key values `<k…>` is published on `dds/<name>/<t>/<k…>`; MQTT messages on
 * `dds/<name>/cmd/<t>[/<k…>]` are written to DDS topic `<t>`.
 */
import type { GatewayDefinition } from '../../src/gateway/index.js';
import { ddsConfigSchema, type DdsConfig } from './schema.js';

export const ddsGateway: GatewayDefinition<DdsConfig> = {
  protocol: 'dds',
  configSchema: ddsConfigSchema,
  capabilities: { uplink: true, downlink: true, requestReply: false, pausable: true },
  defaultMapping: (name) => ({
    uplink: [{ name: 'default-up', address: '{topic*}', topic: `dds/${name}/{topic*}`, qos: 1 }],
    downlink: [{ name: 'default-down', filter: `dds/${name}/cmd/{topic*}`, address: '{topic*}', qos: 1 }],
  }),
  // the Connector (and its native library) loads only when an instance starts
  create: async (config, ctx) => new (await import('./instance.js')).DdsGateway(config, ctx),
};
