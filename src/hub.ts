/**
 * The hub: composes store, broker core, listeners, HTTP API, gateways and bridges from one frozen config.
 * The constructor does no I/O; start()/stop() are idempotent.
 */
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { hubConfigSchema, type HubConfig, type HubConfigInput } from './config/schema.js';
import type { BrokerApi } from './broker/api.js';

export interface HubOptions {
  logger?: Logger;
  /** Path of the config file it came from, for messages. */
  configFile?: string;
}

export type ListenerKind = 'tcp' | 'ssl' | 'ws' | 'wss' | 'http';

/** Validate a plain object (tests, embedding) into a full config with defaults. Throws ZodError. */
export function hubConfig(input: HubConfigInput = {}): HubConfig {
  return hubConfigSchema.parse(input);
}

export class Hub {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly metrics = new Metrics();
  #broker?: BrokerApi;

  constructor(config: HubConfig, opts: HubOptions = {}) {
    this.config = config;
    this.logger = opts.logger ?? silentLogger();
  }

  /** The in-process broker API (available after start()). */
  get broker(): BrokerApi {
    if (!this.#broker) throw new Error('hub not started');
    return this.#broker;
  }

  async start(): Promise<void> {
    throw new Error('not implemented yet');
  }

  async stop(): Promise<void> {}

  /** Bound address of a listener (after start), e.g. to learn the port chosen for bind ":0". */
  address(kind: ListenerKind, name = 'default'): { host: string; port: number } {
    throw new Error(`no ${kind} listener ${name}`);
  }
}
