/**
 * The package entry (`import … from 'protohub'`): what an embedding application and a protocol gateway may use.
 * Everything else under src/ is internal and may change without notice. Gateways under gateways/ import the
 * same SPI through src/gateway/index.ts (ESLint refuses deeper paths); this file re-exports all of it.
 */

// The hub and its configuration
export { Hub, hubConfig, type HubComponent, type HubOptions, type ListenerKind, type ReloadResult } from './hub.js';
export type { ComponentOutcome } from './reload/result.js';
export type { ClientConnectedEvent, ClientDisconnectedEvent, ClientLifecycle } from './sys/client-events.js';
export {
  hubConfigSchema,
  type AclRule,
  type HubConfig,
  type HubConfigInput,
  type MqttOptions,
} from './config/schema.js';
export {
  formatConfigError,
  loadConfig,
  parseConfigText,
  type ConfigSources,
  type LoadConfigOptions,
  type LoadedConfig,
} from './config/loader.js';

// The in-process broker API (Hub#broker)
export type {
  BrokerApi,
  Delivery,
  InternalSessionOptions,
  InternalSubscription,
  PublishOptions,
} from './broker/api.js';
export { NEVER_EXPIRES } from './broker/expiry.js';

// Topics: validation, matching, coverage, shared subscriptions
export {
  TopicReason,
  assertTopicFilter,
  assertTopicName,
  coversFilter,
  filtersOverlap,
  parseSharedFilter,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
  type SharedFilter,
  type SharedFilterError,
  type TopicReasonText,
} from './broker/topic/index.js';

// Payload codecs
export { CodecRegistry, defaultCodecs, normalizeMediaType } from './codecs/registry.js';

// Logging
export { createLogger, silentLogger, type LoggerOptions } from './logger.js';

// Errors not already in the gateway SPI below
export { BridgeError, StoreError, UsageError } from './errors.js';

// The gateway SPI (also: Envelope, errors, Codec, Logger, config helpers, InstanceLifecycle)
export * from './gateway/index.js';
