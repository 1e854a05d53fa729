/** What the API routes may use of the hub. Each getter returns undefined while that part is not running. */
import type { Broker } from '../broker/broker.js';
import type { HubConfig } from '../config/schema.js';
import type { DeviceManagement } from '../gateway/client-spi.js';
import type { GatewayHealth } from '../gateway/health.js';
import type { BridgeStatus } from '../bridge/bridge.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ApiKeyStore } from './api-keys.js';
import type { HttpAuth } from './auth.js';
import type { RateSampler } from './rates.js';
import type { DlqRing } from './dlq-ring.js';
import type { LiveStreams } from './live.js';

export interface GatewayControl {
  health(): GatewayHealth[];
  control(id: string, action: 'start' | 'stop' | 'restart'): Promise<boolean>;
  /** Device management of a running instance (LwM2M); views without gateways that have it may leave it out. */
  management?(id: string): DeviceManagement | undefined;
}

export interface BridgeControl {
  status(): BridgeStatus[];
  control(name: string, action: 'pause' | 'resume'): boolean;
}

/** The parts of the hub the HTTP API reads; the hub passes getters so the API never holds stale objects. */
export interface HubView {
  config: HubConfig;
  version: string;
  startedAt: number;
  metrics: Metrics;
  logger: Logger;
  broker(): Broker | undefined;
  gateways(): GatewayControl | undefined;
  bridges(): BridgeControl | undefined;
  /** Legacy status JSON of /api/v1/status. */
  status(): unknown;
  /**
   * Hub.reload(): re-read the config file (a ReloadResult). A view without it answers POST /api/v5/reload with
   * 501 PH_HTTP_NOT_IMPLEMENTED.
   */
  reload?: () => Promise<unknown>;
}

export interface ApiDeps extends HubView {
  keys: ApiKeyStore;
  auth: HttpAuth;
  rates: RateSampler;
  maxPage: number;
  dlqRing: DlqRing;
  live: LiveStreams;
}
