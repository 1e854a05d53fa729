/**
 * Runs every enabled `bridges.mqtt.<name>`: builds each bridge with its own cache (SQLite file
 * `<store.dir>/bridge-<name>.db`, or memory for `store.type = memory` — lost on restart), starts and stops them.
 */
import { join } from 'node:path';
import type { BrokerApi } from '../broker/api.js';
import type { HubConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { Bridge, type BridgeStatus } from './bridge.js';
import type { CacheBackend } from './cache-types.js';
import { MemoryCacheBackend } from './memory-cache.js';
import { SqliteCacheBackend } from './sqlite-cache.js';

export type { BridgeStatus } from './bridge.js';

export interface BridgeManagerDeps {
  config: HubConfig['bridges'];
  broker: BrokerApi;
  store: { type: 'sqlite' | 'memory'; dir: string };
  nodeName: string;
  logger: Logger;
  metrics: Metrics;
}

/** What reload did to one bridge. */
export interface BridgeOutcome {
  id: string;
  action: 'added' | 'removed' | 'restarted';
  ok: boolean;
  error?: string;
}

/** Bridges built (not started) for a reload; see BridgeManager.prepare(). */
export interface PreparedBridges {
  readonly config: HubConfig['bridges'];
  /** Enabled bridges by name; a name missing here is disabled under the new config. */
  readonly bridges: ReadonlyMap<string, Bridge>;
}

export class BridgeManager {
  #deps: BridgeManagerDeps;
  #bridges: Bridge[] = [];
  #started = false;
  /** Memory caches outlive their bridge, so a bridge restarted by a reload keeps its backlog. */
  readonly #memoryCaches = new Map<string, MemoryCacheBackend>();

  constructor(deps: BridgeManagerDeps) {
    this.#deps = deps;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { config } = this.#deps;
    this.#bridges = Object.entries(config.mqtt)
      .filter(([, cfg]) => cfg.enable)
      .map(([name, cfg]) => this.#build(name, cfg));
    const started: Bridge[] = [];
    try {
      for (const b of this.#bridges) {
        await b.start();
        started.push(b);
      }
    } catch (err) {
      // leave nothing half-running: a hub that fails to start must not keep connections or open files
      await Promise.all(started.map((b) => b.stop()));
      this.#bridges = [];
      this.#started = false;
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await Promise.all(this.#bridges.map((b) => b.stop()));
    this.#bridges = [];
  }

  #build(name: string, cfg: HubConfig['bridges']['mqtt'][string]): Bridge {
    const { store, broker, nodeName, logger, metrics } = this.#deps;
    let cache: CacheBackend;
    if (store.type === 'sqlite') cache = new SqliteCacheBackend(join(store.dir, `bridge-${name}.db`));
    else {
      cache = this.#memoryCaches.get(name) ?? new MemoryCacheBackend();
      this.#memoryCaches.set(name, cache as MemoryCacheBackend);
    }
    return new Bridge({ name, config: cfg, broker, cache, nodeName, logger: logger.child({ bridge: name }), metrics });
  }

  // ---- live reload ---------------------------------------------------------------------------------------

  /** Build the bridges `names` under the new config without starting them; a bad template throws here. */
  prepare(config: HubConfig['bridges'], names: readonly string[]): PreparedBridges {
    const bridges = new Map<string, Bridge>();
    for (const name of names) {
      const cfg = config.mqtt[name];
      if (cfg?.enable) bridges.set(name, this.#build(name, cfg));
    }
    return { config, bridges };
  }

  /**
   * Stop removed and changed bridges, start added and changed ones. A restarted bridge reopens the same cache
   * (its backlog is kept) and resumes its persistent local session, so nothing queued for it is lost; the
   * other bridges keep their connections.
   */
  async reconfigure(
    prepared: PreparedBridges,
    changes: { add: readonly string[]; remove: readonly string[]; restart: readonly string[] },
  ): Promise<BridgeOutcome[]> {
    this.#deps = { ...this.#deps, config: prepared.config };
    this.#started = true;
    const one = async (id: string, action: BridgeOutcome['action']): Promise<BridgeOutcome> => {
      try {
        const i = this.#bridges.findIndex((b) => b.name === id);
        if (i >= 0) await this.#bridges.splice(i, 1)[0].stop();
        const next = prepared.bridges.get(id);
        if (action !== 'removed' && next) {
          await next.start();
          this.#bridges.push(next);
        }
        if (action === 'removed') this.#memoryCaches.delete(id);
        return { id, action, ok: true };
      } catch (err) {
        return { id, action, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    };
    return Promise.all([
      ...changes.remove.map((id) => one(id, 'removed')),
      ...changes.restart.map((id) => one(id, 'restarted')),
      ...changes.add.map((id) => one(id, 'added')),
    ]);
  }

  /** Pause or resume draining of one bridge by name (HTTP API); false when there is no such bridge. */
  control(name: string, action: 'pause' | 'resume'): boolean {
    const b = this.#bridges.find((x) => x.name === name);
    if (!b) return false;
    if (action === 'pause') b.pause();
    else b.resume();
    return true;
  }

  status(): BridgeStatus[] {
    return this.#bridges.map((b) => b.status());
  }
}
