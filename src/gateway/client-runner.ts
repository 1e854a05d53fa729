/**
 * Runs a client gateway under the same GatewaySupervisor as address-mapped ones: the definition is presented as
 * a GatewayDefinition whose instance has no mapping traffic (an empty mapping: no uplink rules, no downlink
 * subscriptions), whose ingress$ only carries the instance's failure and completes on stop, and whose context
 * adds the instance's DeviceSessions.
 */
import { NEVER, Subject, takeUntil, type Observable } from 'rxjs';
import type { BrokerApi } from '../broker/api.js';
import { StateError } from '../errors.js';
import type { MappingDefinition } from '../mapping/schema.js';
import type { ClientGatewayDefinition, ClientGatewayInstance } from './client-spi.js';
import type { ClientGatewayConfigBase } from './client-schema.js';
import type { CommonGatewayConfig } from './common-schema.js';
import { InstanceDeviceSessions } from './device-sessions.js';
import type { GatewayDefinition, GatewayInstance, IngressItem } from './spi.js';

export const EMPTY_MAPPING: MappingDefinition = { uplink: [], downlink: [] };

/** Pipeline keys a client gateway does not have, filled in so the supervisor's shared code can read them. */
export function asCommonConfig(c: ClientGatewayConfigBase): CommonGatewayConfig {
  const buffer = { max_messages: 1, max_bytes: 1, overflow: 'drop_newest' as const };
  return { ...c, mapping: undefined, uplink_buffer: buffer, downlink_buffer: buffer, dlq: false };
}

export function isClientDefinition(d: { kind?: string }): d is ClientGatewayDefinition {
  return d.kind === 'client';
}

function wrap(inner: ClientGatewayInstance, devices: InstanceDeviceSessions): GatewayInstance {
  const stopped$ = new Subject<void>();
  const ingress$: Observable<IngressItem> = (inner.failure$ ?? NEVER).pipe(takeUntil(stopped$));
  return {
    ingress$,
    start: () => inner.start(),
    stop: async () => {
      try {
        await inner.stop();
      } finally {
        devices.loseAll('gateway stopped');
        stopped$.next();
        stopped$.complete();
      }
    },
    send: () => Promise.reject(new StateError('PH_STATE_STOPPED', 'a client gateway has no pipeline downlink')),
    health: () => inner.health(),
    management: inner.management,
  };
}

/** The supervisor-facing definition of a client gateway, bound to the broker its devices connect to. */
export function clientRunnerDefinition(def: ClientGatewayDefinition, broker: BrokerApi): GatewayDefinition {
  return {
    protocol: def.protocol,
    configSchema: def.configSchema as unknown as GatewayDefinition['configSchema'],
    capabilities: { uplink: false, downlink: false, requestReply: false, pausable: false },
    defaultMapping: () => EMPTY_MAPPING,
    create: async (config, ctx) => {
      const clientConfig = config as unknown as ClientGatewayConfigBase;
      const devices = new InstanceDeviceSessions(broker, def.protocol, ctx.id, clientConfig, ctx.metrics);
      const inner = await def.create(clientConfig, { ...ctx, devices });
      return wrap(inner, devices);
    },
  };
}
