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
import { Authenticator, Authorizer } from './auth/index.js';
import { createStore } from './store/index.js';
import type { BrokerStore } from './store/types.js';
import { HttpApi } from './http/server.js';
import { ConfigError } from './errors.js';
import type { HubView } from './http/deps.js';
import { version } from './version.js';
import { dirname, resolve } from 'node:path';
import type { BridgeManager } from './bridge/manager.js';
import type { GatewayManager } from './gateway/manager.js';
import { loadConfig } from './config/loader.js';
import { LiveAccess } from './reload/live-access.js';
import { ReloadCoalescer } from './reload/coalescer.js';
import { reloadOnce, reloadsCounter, type ReloadTarget, type ResolveFile } from './reload/reloader.js';
import type { ReloadResult } from './reload/result.js';
import { SysPublisher } from './sys/publisher.js';
import { SysStatsSource } from './sys/snapshot.js';

export type { ReloadResult } from './reload/result.js';

export interface HubOptions {
  logger?: Logger;
  /** Path of the config file it came from, for messages. */
  configFile?: string;
  /**
   * Resolves a relative file name written at a config path against the file that wrote it (the loader's
   * `sources.resolveFile`), so a mapping set in an included file resolves next to that file.
   */
  resolveFile?: (path: readonly (string | number)[], name: string) => string;
  /**
   * How reload() reads the new config. Default: `loadConfig(configFile)` (the same loader as start-up), so
   * without a configFile reload() is rejected unless this is given.
   */
  loadConfig?: () => { config: HubConfig; resolveFile?: ResolveFile };
  /** Least time between two reloads; requests in between are coalesced (default 1000 ms). */
  reloadMinIntervalMs?: number;
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
  #config: HubConfig;
  readonly logger: Logger;
  readonly metrics = new Metrics();
  readonly startedAt = Date.now();
  #state: State = 'stopped';
  #broker?: Broker;
  #store?: BrokerStore;
  #listeners?: ListenerSet;
  #http?: HttpApi;
  #access?: LiveAccess;
  #gateways?: GatewayManager;
  #bridges?: BridgeManager;
  #sys?: SysPublisher;
  readonly #sysStats = new SysStatsSource(this.startedAt);
  #components: Array<{ name: string; component: HubComponent }> = [];
  #starting?: Promise<void>;
  #stopping?: Promise<void>;

  readonly #configFile?: string;
  #resolveFile?: HubOptions['resolveFile'];
  readonly #loadConfig?: HubOptions['loadConfig'];
  readonly #reloads: ReloadCoalescer<ReloadResult>;

  constructor(config: HubConfig, opts: HubOptions = {}) {
    this.#configFile = opts.configFile;
    this.#resolveFile = opts.resolveFile;
    this.#loadConfig = opts.loadConfig;
    this.#config = config;
    this.logger = opts.logger ?? silentLogger();
    const current = () => this.#config;
    this.view = {
      get config() {
        return current();
      },
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
      reload: () => this.reload(),
    };
    this.#reloads = new ReloadCoalescer(() => this.#reloadNow(), { minIntervalMs: opts.reloadMinIntervalMs });
  }

  /** The running configuration (after a reload: the new one, minus changes that need a restart). */
  get config(): HubConfig {
    return this.#config;
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
    const access = new LiveAccess(
      authenticator,
      new Authorizer(config.authorization, { metrics }),
      config.authorization,
    );
    this.#access = access;
    const broker = new Broker({ mqtt: config.mqtt, store, metrics, logger, access });
    broker.start();
    this.#broker = broker;
    this.#startSys(config.sys_topics);
    for (const result of ['applied', 'unchanged', 'partial', 'rejected']) reloadsCounter(metrics).inc({ result }, 0);
    // loaded only when configured (MQTT.js, RxJS pipeline, native addons): the broker alone starts faster
    if (Object.keys(config.bridges.mqtt).length > 0) await this.#addComponent('bridges', broker, config);
    if (Object.values(config.gateways).some((instances) => Object.keys(instances as object).length > 0))
      await this.#addComponent('gateways', broker, config);
    for (const { component } of this.#components) await component.start();
    this.#listeners = new ListenerSet(config.listeners, { broker, access, logger });
    await this.#listeners.start();
    if (config.http.enable) {
      this.#http = new HttpApi(config.http.bind, this.view);
      await this.#http.start();
    }
    this.#state = 'running';
    logger.info({ node: config.node.name, store: store.kind }, 'started');
  }

  /**
   * What the HTTP API sees of the hub. Getters, so the API never holds a stopped component or a config replaced
   * by a reload; `reload` is Hub.reload() (POST /api/v5/reload).
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
      if (this.#reloading) {
        const wait = new Promise((r) => setTimeout(r, timeoutMs / 2).unref());
        await Promise.race([this.#reloading.catch(() => undefined), wait]);
      }
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
    this.#sys?.stop();
    this.#broker?.stop();
    await bounded(this.#http?.stop() ?? Promise.resolve());
    await bounded(this.#access?.authenticator.stop() ?? Promise.resolve());
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

  // ---- live reload and $SYS ------------------------------------------------------------------------------

  /**
   * Re-read the config file and apply what changed without dropping clients (SIGHUP, `POST /api/v5/reload`,
   * `protohub ctl reload` all land here). Never rejects: an invalid config gives `status: 'rejected'` with the
   * `file:line` errors `protohub check` prints. Concurrent and rapid calls are coalesced: one reload runs, at
   * most one waits, and later callers share the waiting one's result.
   */
  reload(): Promise<ReloadResult> {
    return this.#reloads.request();
  }

  /** The reload being applied, if any: stop() lets it finish (bounded) so it cannot start components after. */
  #reloading?: Promise<ReloadResult>;

  /** Requests answered by another request's reload (reload storms), for tests and status. */
  get reloadStats(): { runs: number; coalesced: number } {
    return { ...this.#reloads.stats };
  }

  #reloadNow(): Promise<ReloadResult> {
    if (this.#state !== 'running' || !this.#access || !this.#broker) {
      const now = new Date().toISOString();
      const errors = [`PH_RELOAD_NOT_RUNNING: the hub is ${this.#state}`];
      return Promise.resolve({
        status: 'rejected',
        code: 'PH_RELOAD_NOT_RUNNING',
        errors,
        changes: [],
        restartRequired: [],
        startedAt: now,
        durationMs: 0,
      });
    }
    const running = reloadOnce(this.#reloadTarget(this.#access, this.#broker));
    this.#reloading = running;
    return running.finally(() => {
      if (this.#reloading === running) this.#reloading = undefined;
    });
  }

  #reloadTarget(access: LiveAccess, broker: Broker): ReloadTarget {
    const file = this.#configFile;
    return {
      logger: this.logger,
      metrics: this.metrics,
      access,
      running: () => this.#config,
      load: () => {
        if (this.#loadConfig) return this.#loadConfig();
        if (!file) throw new ConfigError('PH_RELOAD_NO_FILE', 'the hub was not started from a config file');
        const { config, sources } = loadConfig(file);
        return { config, resolveFile: (path, name) => sources.resolveFile(path, name) };
      },
      gateways: async (create) => {
        if (!this.#gateways && create)
          await this.#addComponent('gateways', broker, { ...this.#config, gateways: {} as HubConfig['gateways'] });
        return this.#gateways;
      },
      bridges: async (create) => {
        if (!this.#bridges && create)
          await this.#addComponent('bridges', broker, {
            ...this.#config,
            bridges: { mqtt: {} } as HubConfig['bridges'],
          });
        return this.#bridges;
      },
      restartSys: (config) => {
        this.#sys?.stop();
        this.#startSys(config);
      },
      commit: (config, resolveFile) => {
        this.#config = config;
        if (resolveFile) this.#resolveFile = resolveFile;
      },
    };
  }

  /**
   * Create the gateway or bridge manager (no I/O) and register it; bridges go first so their forwards catch what
   * gateways publish from the first message, and stop last. A reload adding the first instance passes an empty
   * section and lets the manager's reconfigure() add it.
   */
  async #addComponent(kind: 'gateways' | 'bridges', broker: Broker, config: HubConfig): Promise<void> {
    const { logger, metrics } = this;
    if (kind === 'gateways') {
      const { GatewayManager } = await import('./gateway/manager.js');
      const m = (this.#gateways = new GatewayManager({
        config: config.gateways,
        broker,
        logger,
        metrics,
        baseDir: this.#baseDir,
        resolveFile: this.#resolveFile,
      }));
      const component = { start: () => m.start(), stop: () => m.stop(), status: () => m.health() };
      this.#components.push({ name: 'gateways', component });
    } else {
      const { BridgeManager } = await import('./bridge/manager.js');
      const m = (this.#bridges = new BridgeManager({
        config: config.bridges,
        broker,
        store: config.store,
        nodeName: config.node.name,
        logger,
        metrics,
      }));
      const component = { start: () => m.start(), stop: () => m.stop(), status: () => m.status() };
      this.#components.unshift({ name: 'bridges', component });
    }
  }

  #startSys(config: HubConfig['sys_topics']): void {
    const broker = this.#broker;
    if (!broker) return;
    const sys = new SysPublisher({
      broker,
      node: this.#config.node.name,
      config,
      logger: this.logger,
      snapshot: () => this.#sysStats.read(this.metrics, broker),
    });
    this.#sys = sys;
    broker.clientEvents = config.enable ? sys : undefined;
    sys.start();
  }
}
