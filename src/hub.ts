/**
 * The hub: composes store, broker core, listeners, HTTP API, gateways and bridges from one frozen config.
 * The constructor does no I/O; start()/stop() are idempotent and bounded.
 */
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { hubConfigSchema, type HubConfig, type HubConfigInput } from './config/schema.js';
import type { BrokerApi } from './broker/api.js';
import { Broker } from './broker/broker.js';
import { ListenerSet } from './broker/listeners.js';
import type { AccessControl } from './broker/access.js';
import { Authenticator, Authorizer, type ClientAcl } from './auth/index.js';
import { createStore } from './store/index.js';
import type { BrokerStore } from './store/types.js';
import { HttpApi } from './http/server.js';
import type { GatewayControl, BridgeControl, HubView } from './http/deps.js';
import { version } from './version.js';
import { dirname, resolve } from 'node:path';

export interface HubOptions {
  logger?: Logger;
  /** Path of the config file it came from, for messages. */
  configFile?: string;
  /**
   * Resolves a relative file name written at a config path against the file that wrote it (the loader's
   * `sources.resolveFile`), so a mapping set in an included file resolves next to that file.
   */
  resolveFile?: (path: readonly (string | number)[], name: string) => string;
}

export type ListenerKind = 'tcp' | 'ssl' | 'ws' | 'wss' | 'http';

/** Validate a plain object (tests, embedding) into a full config with defaults. Throws ZodError. */
export function hubConfig(input: HubConfigInput = {}): HubConfig {
  return hubConfigSchema.parse(input);
}

/** A component the hub starts after the broker and stops before it (gateways, bridges). */
export interface HubComponent {
  start(): Promise<void>;
  stop(): Promise<void>;
  status?(): unknown;
}

type State = 'stopped' | 'starting' | 'running' | 'stopping';

export class Hub {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly metrics = new Metrics();
  readonly startedAt = Date.now();
  #state: State = 'stopped';
  #broker?: Broker;
  #store?: BrokerStore;
  #listeners?: ListenerSet;
  #http?: HttpApi;
  #authenticator?: Authenticator;
  #components: Array<{ name: string; component: HubComponent }> = [];
  #gateways?: GatewayControl;
  #bridges?: BridgeControl;
  #starting?: Promise<void>;
  #stopping?: Promise<void>;

  readonly #configFile?: string;
  readonly #resolveFile?: HubOptions['resolveFile'];

  constructor(config: HubConfig, opts: HubOptions = {}) {
    this.#configFile = opts.configFile;
    this.#resolveFile = opts.resolveFile;
    this.config = config;
    this.logger = opts.logger ?? silentLogger();
    this.view = {
      config,
      get version() {
        return version(); // read on first use: the constructor does no I/O
      },
      startedAt: this.startedAt,
      metrics: this.metrics,
      logger: this.logger,
      broker: () => this.#broker,
      gateways: () => this.#gateways,
      bridges: () => this.#bridges,
      status: () => this.status(),
    };
  }

  get state(): State {
    return this.#state;
  }

  /** The in-process broker API (available after start()). */
  get broker(): BrokerApi {
    if (!this.#broker) throw new Error('hub not started');
    return this.#broker;
  }

  start(): Promise<void> {
    this.#starting ??= this.#start().catch(async (err: unknown) => {
      this.#starting = undefined;
      await this.#teardown().catch(() => undefined);
      this.#state = 'stopped';
      throw err;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    const { config, logger, metrics } = this;
    const store = createStore(config.store, {
      logger,
      metrics,
      onError: (err) => logger.error({ err }, 'store error'),
    });
    store.open();
    this.#store = store;
    const authenticator = new Authenticator(config.auth, { metrics, logger });
    await authenticator.start();
    this.#authenticator = authenticator;
    const authorizer = new Authorizer(config.authorization, { metrics });
    const openAccess = config.authorization.rules.length === 0 && config.authorization.no_match === 'allow';
    const access: AccessControl = {
      authenticate: (req) => authenticator.authenticate(req),
      enhancedAuthMethods: authenticator.enhancedAuthMethods,
      enhancedAuthStepTimeoutMs: authenticator.enhancedAuthStepTimeoutMs,
      beginEnhancedAuth: (method, req) => authenticator.beginEnhancedAuth(method, req),
      // with no rules and no_match = allow, only a JWT acl can deny: skip the per-message lookup otherwise
      authorize: openAccess
        ? (client, action, topic) =>
            client.acl === undefined ||
            authorizer.authorize({ ...client, acl: client.acl as ClientAcl }, action, topic) === 'allow'
        : (client, action, topic) =>
            authorizer.authorize({ ...client, acl: client.acl as ClientAcl | undefined }, action, topic) === 'allow',
    };
    const broker = new Broker({ mqtt: config.mqtt, store, metrics, logger, access });
    broker.start();
    this.#broker = broker;
    for (const { name, component } of await this.#createComponents(broker)) {
      await component.start();
      this.#components.push({ name, component });
    }
    this.#listeners = new ListenerSet(config.listeners, { broker, access, logger });
    await this.#listeners.start();
    if (config.http.enable) {
      this.#http = new HttpApi(config.http.bind, this.view);
      await this.#http.start();
    }
    this.#state = 'running';
    logger.info({ node: config.node.name, store: store.kind }, 'started');
  }

  /** Bridges first (so forwards catch what gateways publish from their first message), then gateways. */
  async #createComponents(broker: Broker): Promise<Array<{ name: string; component: HubComponent }>> {
    const { config, logger, metrics } = this;
    const out: Array<{ name: string; component: HubComponent }> = [];
    // loaded only when configured (MQTT.js, RxJS pipeline, native addons): the broker alone starts faster
    if (Object.keys(config.bridges.mqtt).length > 0) {
      const { BridgeManager } = await import('./bridge/manager.js');
      const bridges = new BridgeManager({
        config: config.bridges,
        broker,
        store: config.store,
        nodeName: config.node.name,
        logger,
        metrics,
      });
      this.#bridges = bridges;
      out.push({
        name: 'bridges',
        component: { start: () => bridges.start(), stop: () => bridges.stop(), status: () => bridges.status() },
      });
    }
    if (!Object.values(config.gateways).some((instances) => Object.keys(instances as object).length > 0)) return out;
    const { GatewayManager } = await import('./gateway/manager.js');
    const gateways = new GatewayManager({
      config: config.gateways,
      broker,
      logger,
      metrics,
      baseDir: this.#baseDir,
      resolveFile: this.#resolveFile,
    });
    this.#gateways = gateways;
    out.push({
      name: 'gateways',
      component: { start: () => gateways.start(), stop: () => gateways.stop(), status: () => gateways.health() },
    });
    return out;
  }

  /**
   * What the HTTP API sees of the hub. Getters, so the API never holds a stopped component. Live reload
   * (issue #15) sets `reload` on this object to enable POST /api/v5/reload.
   */
  readonly view: HubView;

  /** Relative paths in the config (mapping files) resolve against the config file's directory. */
  get #baseDir(): string {
    return this.#configFile ? dirname(resolve(this.#configFile)) : process.cwd();
  }

  /**
   * Stop accepting, send v5 clients DISCONNECT 0x8B, stop gateways and bridges, flush and close the store.
   * Bounded: components get at most `timeoutMs` in total.
   */
  stop(timeoutMs = 4000): Promise<void> {
    if (this.#state === 'stopped' && !this.#starting) return Promise.resolve();
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => undefined);
      this.#state = 'stopping';
      await this.#teardown(timeoutMs);
      this.#state = 'stopped';
      this.#starting = undefined;
      this.#stopping = undefined;
      this.logger.info('stopped');
    })();
    return this.#stopping;
  }

  async #teardown(timeoutMs = 4000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const bounded = (p: Promise<unknown>) =>
      Promise.race([
        p.catch((err: unknown) => this.logger.warn({ err }, 'stop failed')),
        new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()),
      ]);
    await bounded(this.#listeners?.close() ?? Promise.resolve());
    for (const { component } of this.#components.splice(0).reverse()) await bounded(component.stop());
    this.#broker?.stop();
    await bounded(this.#http?.stop() ?? Promise.resolve());
    await bounded(this.#authenticator?.stop() ?? Promise.resolve());
    try {
      this.#store?.flush();
      this.#store?.close();
    } catch (err) {
      this.logger.error({ err }, 'store close failed');
    }
    this.#listeners = undefined;
    this.#http = undefined;
    this.#gateways = undefined;
    this.#bridges = undefined;
  }

  /** Bound address of a listener (after start), e.g. to learn the port chosen for bind ":0". */
  address(kind: ListenerKind, name = 'default'): { host: string; port: number } {
    const a = kind === 'http' ? this.#http?.address() : this.#listeners?.address(kind, name);
    if (!a) throw new Error(`no ${kind} listener ${name}`);
    return a;
  }

  status(): Record<string, unknown> {
    const b = this.#broker;
    return {
      node: this.config.node.name,
      state: this.#state,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      broker: b
        ? {
            sessions: b.sessions.size,
            retained: b.retained.size,
            connections: this.#listeners?.connections.size ?? 0,
            devices: b.devices.size,
          }
        : undefined,
      components: Object.fromEntries(this.#components.map(({ name, component }) => [name, component.status?.()])),
    };
  }
}
