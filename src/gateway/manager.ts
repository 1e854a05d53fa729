/**
 * Runs every configured gateway instance (`gateways.<protocol>.<name>`) under its own supervisor. Mapping files
 * are compiled before anything starts, so a bad mapping stops hub start-up with its `file:line rule` error and
 * leaves nothing running. The constructor does no I/O; start()/stop() are idempotent.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrokerApi } from '../broker/api.js';
import type { HubConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { compileMapping, loadMappingFile } from '../mapping/compile.js';
import type { CompiledMapping } from '../mapping/types.js';
import { clientGatewayDefinitions, gatewayDefinitions } from '../../gateways/registry.js';
import type { DeviceManagement } from './client-spi.js';
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

/** Instances about to be (re)started by a reload, mappings already compiled. See GatewayManager.prepare(). */
export interface PreparedGateways {
  readonly config: HubConfig['gateways'];
  readonly resolveFile?: GatewayManagerDeps['resolveFile'];
  readonly instances: ReadonlyMap<string, Planned & { mapping?: CompiledMapping }>;
}

/** What reload did to one instance. */
export interface InstanceOutcome {
  id: string;
  action: 'added' | 'removed' | 'restarted';
  ok: boolean;
  error?: string;
}

export class GatewayManager {
  #deps: GatewayManagerDeps;
  readonly #supervisors: GatewaySupervisor[] = [];
  readonly #disabled: GatewayHealth[] = [];
  /** sha256 of each instance's mapping file as compiled, so a reload can tell the file changed on disk. */
  readonly #mappingHashes = new Map<string, string>();
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

  /** Device management of one running instance by id (LwM2M endpoints for the HTTP API). */
  management(id: string): DeviceManagement | undefined {
    return this.#supervisors.find((x) => x.id === id)?.management();
  }

  #plan(config = this.#deps.config): Planned[] {
    const defs = this.#deps.definitions ?? [...gatewayDefinitions, ...clientGatewayDefinitions];
    const sections = config as Record<string, Record<string, unknown> | undefined>;
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

  #mappingPath(p: Planned, resolveFile = this.#deps.resolveFile): string | undefined {
    const file = p.config.mapping;
    if (!file) return undefined;
    return (
      resolveFile?.(['gateways', p.definition.protocol, p.name, 'mapping'], file) ?? resolve(this.#deps.baseDir, file)
    );
  }

  #mapping(p: Planned, resolveFile = this.#deps.resolveFile): CompiledMapping {
    const id = `${p.definition.protocol}.${p.name}`;
    const path = this.#mappingPath(p, resolveFile);
    if (path) {
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
    for (const p of planned.filter((x) => !x.config.enable)) this.#disabled.push(disabledHealth(p));
    for (const p of runnable) {
      const path = this.#mappingPath(p);
      if (path) this.#mappingHashes.set(`${p.definition.protocol}.${p.name}`, fileHash(path) ?? '');
      this.#supervisors.push(this.#supervisor(p, p.mapping));
    }
    await Promise.all(this.#supervisors.map((s) => s.start()));
  }

  #supervisor(p: Planned, mapping: CompiledMapping): GatewaySupervisor {
    const id = `${p.definition.protocol}.${p.name}`;
    return new GatewaySupervisor({
      definition: p.definition,
      name: p.name,
      config: p.config,
      mapping,
      broker: this.#deps.broker,
      logger: this.#deps.logger,
      metrics: new GatewayMetrics(this.#deps.metrics, id),
      replies: p.definition.replyOptions?.(p.name, p.config),
      resolveFile: (key, file) =>
        this.#deps.resolveFile?.(['gateways', p.definition.protocol, p.name, ...key], file) ??
        resolve(this.#deps.baseDir, file),
    });
  }

  // ---- live reload ---------------------------------------------------------------------------------------

  /** Ids of running instances whose mapping file differs on disk from the one compiled (or is gone). */
  changedMappings(): Set<string> {
    const changed = new Set<string>();
    for (const p of this.#plan()) {
      const id = `${p.definition.protocol}.${p.name}`;
      const path = this.#mappingPath(p);
      const known = this.#mappingHashes.get(id);
      if (path && known !== undefined && fileHash(path) !== known) changed.add(id);
    }
    return changed;
  }

  /**
   * Compile the mappings of the instances `ids` under the new config, touching nothing that runs: a bad mapping
   * throws its PH_MAPPING_* error here and the reload is rejected whole.
   */
  prepare(
    config: HubConfig['gateways'],
    ids: readonly string[],
    resolveFile?: GatewayManagerDeps['resolveFile'],
  ): PreparedGateways {
    const wanted = new Set(ids);
    const instances = new Map<string, Planned & { mapping?: CompiledMapping }>();
    for (const p of this.#plan(config)) {
      const id = `${p.definition.protocol}.${p.name}`;
      if (!wanted.has(id)) continue;
      instances.set(id, { ...p, mapping: p.config.enable ? this.#mapping(p, resolveFile) : undefined });
    }
    return { config, resolveFile, instances };
  }

  /**
   * Apply a reload: stop `remove` and `restart` instances, start `add` and `restart` ones from `prepared`. Every
   * other instance keeps running untouched (same supervisor, same restart count).
   */
  async reconfigure(
    prepared: PreparedGateways,
    changes: { add: readonly string[]; remove: readonly string[]; restart: readonly string[] },
  ): Promise<InstanceOutcome[]> {
    await this.start();
    this.#deps = {
      ...this.#deps,
      config: prepared.config,
      resolveFile: prepared.resolveFile ?? this.#deps.resolveFile,
    };
    const outcome = async (id: string, action: InstanceOutcome['action']): Promise<InstanceOutcome> => {
      try {
        await this.#detach(id);
        if (action !== 'removed') await this.#attach(id, prepared);
        return { id, action, ok: true };
      } catch (err) {
        return { id, action, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    };
    return Promise.all([
      ...changes.remove.map((id) => outcome(id, 'removed')),
      ...changes.restart.map((id) => outcome(id, 'restarted')),
      ...changes.add.map((id) => outcome(id, 'added')),
    ]);
  }

  async #detach(id: string): Promise<void> {
    const i = this.#supervisors.findIndex((s) => s.id === id);
    if (i >= 0) await this.#supervisors.splice(i, 1)[0].stop();
    const d = this.#disabled.findIndex((h) => h.id === id);
    if (d >= 0) this.#disabled.splice(d, 1);
    this.#mappingHashes.delete(id);
  }

  async #attach(id: string, prepared: PreparedGateways): Promise<void> {
    const p = prepared.instances.get(id);
    if (!p) throw new Error(`gateway ${id} was not prepared`);
    if (!p.mapping) {
      this.#disabled.push(disabledHealth(p));
      return;
    }
    const path = this.#mappingPath(p);
    if (path) this.#mappingHashes.set(id, fileHash(path) ?? '');
    const supervisor = this.#supervisor(p, p.mapping);
    this.#supervisors.push(supervisor);
    await supervisor.start();
  }
}

function disabledHealth(p: Planned): GatewayHealth {
  return {
    id: `${p.definition.protocol}.${p.name}`,
    protocol: p.definition.protocol,
    name: p.name,
    state: 'disabled',
    connection: 'closed',
    peers: 0,
    restarts: 0,
    mapping: p.config.mapping ?? 'default',
    since: Date.now(),
  };
}

function fileHash(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined; // gone or unreadable: counts as changed; compiling it then reports why
  }
}
