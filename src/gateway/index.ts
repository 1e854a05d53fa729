/**
 * The gateway SPI as one import: everything a protocol gateway under `gateways/` may use from `src/`.
 * Gateways import from here (or from the package entry `src/index.ts`), never from deeper paths.
 */
export type {
  ConnectionState,
  DownlinkMessage,
  GatewayCapabilities,
  GatewayContext,
  GatewayDefinition,
  GatewayInstance,
  IngressFault,
  IngressItem,
  IngressMessage,
  InstanceHealth,
  ReplyHandle,
  AnyGatewayDefinition,
} from './spi.js';
export type {
  ClientGatewayContext,
  ClientGatewayDefinition,
  ClientGatewayInstance,
  DeviceConnect,
  DeviceManagement,
  DeviceSessions,
  ManagedDevice,
  ResourceDescription,
} from './client-spi.js';
export {
  clientGatewaySchema,
  clientGatewayShape,
  type ClientGatewayConfig,
  type ClientGatewayConfigBase,
} from './client-schema.js';
export type {
  DeviceCloseReason,
  DeviceConnectResult,
  DeviceDelivery,
  DeviceInfo,
  DevicePublish,
  DeviceRefusal,
  DeviceSession,
  DeviceSessionHandler,
  DeviceSubscription,
  DeviceWill,
  SubscribeOutcome,
} from '../broker/device-types.js';
export {
  bufferSchema,
  commonGatewaySchema,
  commonGatewayShape,
  gatewayOverflowPolicy,
  restartSchema,
  type BufferConfig,
  type CommonGatewayConfig,
  type RestartConfig,
} from './common-schema.js';
export { GatewayMetrics, type Direction } from './metrics.js';
export { InstanceLifecycle, type LifecycleHooks, type LifecycleState } from './lifecycle.js';
export { delimiter, topicText, type Delimiter } from './frame-text.js';
export { topicMatches } from '../broker/topic/match.js';
export { bind, byteSize, duration, overflowPolicy, parseDuration, parseSize } from '../config/types.js';
export {
  AuthError,
  CodecError,
  ConfigError,
  GatewayError,
  HubError,
  MappingError,
  ProtocolError,
  QuotaError,
  StateError,
  TopicError,
} from '../errors.js';
export {
  envelope,
  type Envelope,
  type Origin,
  type PublishProperties,
  type QoS,
  type UserProperties,
} from '../envelope.js';
export type { Logger } from '../logger.js';
export type { ClientConnectedEvent, ClientDisconnectedEvent, ClientLifecycle } from '../sys/client-events.js';
export type { MappingDefinition } from '../mapping/schema.js';
export type { Codec } from '../codecs/types.js';
/** Device-session sinks that implement this list and kick in the HTTP API like TCP clients (issue 15). */
export type { ClientDetails, DescribedSink } from '../broker/inspect.js';
