/**
 * Runs every configured gateway instance (`gateways.<protocol>.<name>`) under its own supervisor. Mapping files
 * are compiled before anything starts, so a bad mapping stops hub start-up with its `file:line rule` error and
 * leaves nothing running. The constructor does no I/O; start()/stop() are idempotent.
 */
import { resolve } from 'node:path';
import type { BrokerApi } from '../broker/api.js';
import type { HubConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { compileMapping, loadMappingFile } from '../mapping/compile.js';
import type { CompiledMapping } from '../mapping/types.js';
import { clientGatewayDefinitions, gatewayDefinitions } from '../../gateways/registry.js';
import type { CommonGatewayConfig } from './common-schema.js';
import type { GatewayHealth } from './health.js';
import { GatewayMetrics } from './metrics.js';
import { defaultCodecs, type CodecRegistry } from '../codecs/registry.js';
import { asCommonConfig, clientRunnerDefinition, isClientDefinition } from './client-runner.js';
import type { ClientGatewayConfigBase } from './client-schema.js';
import type { AnyGatewayDefinition, GatewayDefinition } from './spi.js';
import { GatewaySupervisor } from './supervisor.js';

export interface GatewayManagerDeps {
  config: HubConfig['gateways'];
  broker: BrokerApi;
  logger: Logger;
  metrics: Metrics;
  /** Directory of the config file; relative mapping paths resolve against it. */
  baseDir: string;
  /**
   * Resolves a file name written at a config path (the loader's `sources.resolveFile`), so a mapping set in an
   * included file resolves against that file. Preferred over baseDir when given.
   */
  resolveFile?: (path: readonly (string | number)[], name: string) => string;
  /** Override the static registry (tests of the manager itself). */
  definitions?: readonly AnyGatewayDefinition[];
}

interface Planned {
  definition: GatewayDefinition;
  name: string;
  config: CommonGatewayConfig;
}

export class GatewayManager {
  readonly #deps: GatewayManagerDeps;
  readonly #supervisors: GatewaySupervisor[] = [];
  readonly #disabled: GatewayHealth[] = [];
  #started?: Promise<void>;
  #stopped?: Promise<void>;

  constructor(deps: GatewayManagerDeps) {
    this.#deps = deps;
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  stop(): Promise<void> {
    if (!this.#started) return Promise.resolve();
    this.#stopped ??= this.#started
      .catch(() => undefined)
      .then(() => Promise.all(this.#supervisors.map((s) => s.stop())))
      .then(() => undefined);
    return this.#stopped;
  }

  health(): GatewayHealth[] {
    return [...this.#supervisors.map((s) => s.health()), ...this.#disabled];
  }

  /** The hub's codec registry: the built-in codecs plus what each gateway definition brings (once per name). */
  #codecs?: CodecRegistry;
  get codecs(): CodecRegistry {
    if (this.#codecs) return this.#codecs;
    const registry = defaultCodecs();
    for (const def of this.#deps.definitions ?? [...gatewayDefinitions, ...clientGatewayDefinitions])
      for (const codec of def.codecs ?? []) if (!registry.get(codec.mediaType)) registry.register(codec);
    return (this.#codecs = registry);
  }

  /**
   * Stop, start or restart one running instance by id (`<protocol>.<name>`), for the HTTP API. Resolves false
   * for an unknown or disabled instance. Restart is stop then start: peers reconnect, mappings stay compiled.
   */
  async control(id: string, action: 'start' | 'stop' | 'restart'): Promise<boolean> {
    const s = this.#supervisors.find((x) => x.id === id);
    if (!s) return false;
    if (action !== 'start') await s.stop();
    if (action !== 'stop') await s.start();
    return true;
  }

  #plan(): Planned[] {
    const defs = this.#deps.definitions ?? [...gatewayDefinitions, ...clientGatewayDefinitions];
    const sections = this.#deps.config as Record<string, Record<string, unknown> | undefined>;
    const planned: Planned[] = [];
    for (const def of defs) {
      // client gateways run under the same supervisor, without mapping traffic (see client-runner.ts)
      const client = isClientDefinition(def);
      const definition = client ? clientRunnerDefinition(def, this.#deps.broker) : def;
      for (const [name, config] of Object.entries(sections[def.protocol] ?? {})) {
        planned.push({
          definition,
          name,
          config: client ? asCommonConfig(config as ClientGatewayConfigBase) : (config as CommonGatewayConfig),
        });
      }
    }
    return planned;
  }

  #mapping(p: Planned): CompiledMapping {
    const id = `${p.definition.protocol}.${p.name}`;
    const file = p.config.mapping;
    if (file) {
      const path =
        this.#deps.resolveFile?.(['gateways', p.definition.protocol, p.name, 'mapping'], file) ??
        resolve(this.#deps.baseDir, file);
      return loadMappingFile(path, this.codecs);
    }
    return compileMapping(p.definition.defaultMapping(p.name, p.config), {
      source: `default:${id}`,
      codecs: this.codecs,
    });
  }

  async #start(): Promise<void> {
    const planned = this.#plan();
    // Compile every mapping first: a load error must leave nothing half-started.
    const runnable = planned.filter((p) => p.config.enable).map((p) => ({ ...p, mapping: this.#mapping(p) }));
    for (const p of planned.filter((x) => !x.config.enable)) {
      this.#disabled.push({
        id: `${p.definition.protocol}.${p.name}`,
        protocol: p.definition.protocol,
        name: p.name,
        state: 'disabled',
        connection: 'closed',
        peers: 0,
        restarts: 0,
        mapping: p.config.mapping ?? 'default',
        since: Date.now(),
      });
    }
    for (const p of runnable) {
      const id = `${p.definition.protocol}.${p.name}`;
      this.#supervisors.push(
        new GatewaySupervisor({
          definition: p.definition,
          name: p.name,
          config: p.config,
          mapping: p.mapping,
          broker: this.#deps.broker,
          logger: this.#deps.logger,
          metrics: new GatewayMetrics(this.#deps.metrics, id),
          replies: p.definition.replyOptions?.(p.name, p.config),
          resolveFile: (key, file) =>
            this.#deps.resolveFile?.(['gateways', p.definition.protocol, p.name, ...key], file) ??
            resolve(this.#deps.baseDir, file),
        }),
      );
    }
    await Promise.all(this.#supervisors.map((s) => s.start()));
  }
}
