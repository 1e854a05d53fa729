/**
 * Runs one gateway instance: creates it, starts it, wires it to the broker, and when it fails (start rejects or
 * ingress$ errors) tears it down and restarts a fresh instance after an exponential backoff with jitter. The
 * backoff resets once an instance stayed up for `max_backoff`. start()/stop() are idempotent and bounded.
 *
 * The retained `$hub/gateways/<id>/status` is republished on every state change and, while running, whenever
 * the instance's health (connection, peers, last error) changed: health is sampled every `statusIntervalMs`
 * (1 s), so an instance publishes at most once per interval for health and always its latest health.
 */
import type { DeviceManagement } from './client-spi.js';
import type { Subscription } from 'rxjs';
import type { BrokerApi } from '../broker/api.js';
import type { Logger } from '../logger.js';
import type { CompiledMapping } from '../mapping/types.js';
import { ReplyRouter, type ReplyRouterOptions } from '../pipeline/reply-router.js';
import { backoffDelay } from '../backoff.js';
import type { CommonGatewayConfig } from './common-schema.js';
import type { GatewayHealth, RuntimeState } from './health.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayDefinition, GatewayInstance } from './spi.js';
import { gatewayClientId, wireGateway } from './wiring.js';
import { envelope } from '../envelope.js';

export interface SupervisorDeps {
  definition: GatewayDefinition;
  name: string;
  config: CommonGatewayConfig;
  mapping: CompiledMapping;
  broker: BrokerApi;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Request/response routing for instances whose peers wait for answers. */
  replies?: ReplyRouterOptions;
  /** Resolves file names written in the instance config (see GatewayContext.resolveFile). */
  resolveFile?: (key: readonly (string | number)[], name: string) => string;
  /** Bound on an instance's start() and stop(). */
  timeoutMs?: number;
  /** How often a running instance's health is sampled for the retained status (default 1000 ms). */
  statusIntervalMs?: number;
  random?: () => number;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** What a status subscriber would see change; `since` moves only with the state, which is in the key. */
function statusKey(h: GatewayHealth): string {
  return JSON.stringify([h.state, h.connection, h.peers, h.lastError ?? null, h.restarts]);
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms}ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class GatewaySupervisor {
  readonly id: string;
  readonly #deps: SupervisorDeps;
  readonly #log: Logger;
  #state: RuntimeState = 'stopped';
  #since = Date.now();
  #instance?: GatewayInstance;
  #wiring?: Subscription;
  #replies?: ReplyRouter;
  #timer?: NodeJS.Timeout;
  #attempt = 0;
  #restarts = 0;
  #startedAt = 0;
  #lastError?: string;
  #wanted = false;
  #cycle: Promise<void> = Promise.resolve();
  /** The status last published, to republish only what changed. */
  #publishedStatus = '';
  #healthTimer?: NodeJS.Timeout;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.id = `${deps.definition.protocol}.${deps.name}`;
    this.#log = deps.logger.child({ gateway: this.id });
  }

  /** Start the instance; resolves after the first attempt (a failed first start is retried in the background). */
  async start(): Promise<void> {
    if (this.#wanted) return this.#cycle;
    this.#wanted = true;
    this.#cycle = this.#launch();
    return this.#cycle;
  }

  async stop(): Promise<void> {
    if (!this.#wanted) return this.#cycle;
    this.#wanted = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#cycle = this.#cycle.then(async () => {
      this.#setState('stopping');
      await this.#teardown();
      this.#setState('stopped');
    });
    return this.#cycle;
  }

  /** Device management of the running instance (for the HTTP API); undefined while not running or without it. */
  management(): DeviceManagement | undefined {
    return this.#state === 'running' ? this.#instance?.management : undefined;
  }

  health(): GatewayHealth {
    const inst = this.#state === 'running' ? this.#instance?.health() : undefined;
    return {
      id: this.id,
      protocol: this.#deps.definition.protocol,
      name: this.#deps.name,
      state: this.#state,
      connection: inst?.connection ?? 'closed',
      peers: inst?.peers ?? 0,
      lastError: inst?.lastError ?? this.#lastError,
      restarts: this.#restarts,
      mapping: this.#deps.mapping.source,
      since: this.#since,
    };
  }

  #setState(state: RuntimeState): void {
    this.#state = state;
    this.#since = Date.now();
    this.#deps.metrics.up(state === 'running');
    this.#publishStatus();
  }

  /** Republish the retained status when the health of the running instance changed since the last one. */
  #sampleHealth(): void {
    const health = this.health();
    if (statusKey(health) !== this.#publishedStatus) this.#publishStatus(health);
  }

  #publishStatus(health: GatewayHealth = this.health()): void {
    this.#publishedStatus = statusKey(health);
    // Retained, like bridges' status, so an operator's client sees the current state on subscribe.
    const status = envelope(`$hub/gateways/${this.id}/status`, JSON.stringify(health), {
      qos: 0,
      retain: true,
      origin: { gateway: this.id, clientId: gatewayClientId(this.id) },
    });
    this.#deps.broker.publish(status).catch(() => undefined); // the broker may already be stopping
  }

  async #launch(): Promise<void> {
    if (!this.#wanted) return;
    const d = this.#deps;
    this.#setState('starting');
    let instance: GatewayInstance;
    try {
      instance = await d.definition.create(d.config, {
        name: d.name,
        id: this.id,
        logger: this.#log,
        metrics: d.metrics,
        resolveFile: d.resolveFile,
      });
    } catch (err) {
      await this.#fail(err);
      return;
    }
    if (!this.#wanted) return;
    this.#instance = instance;
    try {
      await bounded(instance.start(), d.timeoutMs ?? 10_000, 'gateway start');
    } catch (err) {
      await this.#fail(err);
      return;
    }
    if (!this.#wanted) return; // stop() arrived during start; its teardown closes the instance
    this.#startedAt = Date.now();
    this.#replies = d.replies
      ? new ReplyRouter({ ...d.replies, onTimeout: () => d.metrics.dropped('reply_timeout') })
      : undefined;
    this.#setState('running');
    this.#log.info('gateway running');
    this.#healthTimer = setInterval(() => this.#sampleHealth(), d.statusIntervalMs ?? 1000);
    this.#healthTimer.unref();
    this.#wiring = wireGateway({
      id: this.id,
      instance,
      mapping: d.mapping,
      broker: d.broker,
      metrics: d.metrics,
      config: d.config,
      replies: this.#replies,
    }).subscribe({
      error: (err) => {
        this.#cycle = this.#cycle.then(() => this.#fail(err));
      },
      complete: () => {
        if (this.#wanted && this.#state === 'running')
          this.#cycle = this.#cycle.then(() => this.#fail(new Error('ingress completed while running')));
      },
    });
  }

  async #fail(err: unknown): Promise<void> {
    this.#lastError = errorText(err);
    this.#log.warn({ err }, 'gateway failed');
    this.#setState('failed');
    await this.#teardown();
    if (!this.#wanted) return;
    const { restart } = this.#deps.config;
    // Only a run that lasted resets the backoff; consumed here so repeated start failures keep growing it.
    if (this.#startedAt > 0 && Date.now() - this.#startedAt >= restart.max_backoff) this.#attempt = 0;
    this.#startedAt = 0;
    const delay = backoffDelay(
      this.#attempt++,
      { initialMs: restart.initial_backoff, maxMs: restart.max_backoff, multiplier: 2, jitter: restart.jitter },
      this.#deps.random,
    );
    this.#setState('restarting');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#restarts++;
      this.#deps.metrics.restarted();
      this.#cycle = this.#cycle.then(() => this.#launch());
    }, delay);
  }

  async #teardown(): Promise<void> {
    clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
    this.#wiring?.unsubscribe();
    this.#wiring = undefined;
    this.#replies?.close();
    this.#replies = undefined;
    const instance = this.#instance;
    this.#instance = undefined;
    if (!instance) return;
    try {
      await bounded(instance.stop(), this.#deps.timeoutMs ?? 10_000, 'gateway stop');
    } catch (err) {
      this.#lastError = errorText(err);
      this.#log.warn({ err }, 'gateway stop failed');
    }
  }
}
