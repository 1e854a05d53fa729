/**
 * The NNG gateway definition, listed in gateways/registry.ts. Default convention without a mapping file: a body
 * `<topic> <payload>` is published on `nng/<name>/up/<topic>`; MQTT messages on `nng/<name>/down/<topic>` leave
 * as `<topic> <payload>`; rep requests are answered from `nng/<name>/reply/<id>`.
 */
import type { GatewayDefinition } from '../../src/gateway/index.js';
import { nngConfigSchema, type NngConfig } from './schema.js';

export const nngGateway: GatewayDefinition<NngConfig> = {
  protocol: 'nng',
  configSchema: nngConfigSchema,
  capabilities: { uplink: true, downlink: true, requestReply: true, pausable: true },
  defaultMapping: (name) => ({
    uplink: [{ name: 'default-up', address: '{topic*}', topic: `nng/${name}/up/{topic*}`, qos: 0 }],
    downlink: [{ name: 'default-down', filter: `nng/${name}/down/{topic*}`, address: '{topic*}', qos: 1 }],
  }),
  replyOptions: (name, config) => {
    if (!Object.values(config.sockets).some((s) => s.type === 'rep')) return undefined;
    const rr = config.request_reply;
    return {
      topicPrefix: rr.response_topic_prefix ?? `nng/${name}/reply`,
      timeoutMs: rr.timeout,
      maxPending: rr.max_pending,
    };
  },
  // the runtime (and the native nanomsg addon) loads only when an instance is configured: faster hub start-up
  create: async (config, ctx) => new (await import('./instance.js')).NngGateway(config, ctx),
};
