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

export class BridgeManager {
  readonly #deps: BridgeManagerDeps;
  #bridges: Bridge[] = [];
  #started = false;

  constructor(deps: BridgeManagerDeps) {
    this.#deps = deps;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { config, store, broker, nodeName, logger, metrics } = this.#deps;
    this.#bridges = Object.entries(config.mqtt)
      .filter(([, cfg]) => cfg.enable)
      .map(([name, cfg]) => {
        const cache: CacheBackend =
          store.type === 'sqlite'
            ? new SqliteCacheBackend(join(store.dir, `bridge-${name}.db`))
            : new MemoryCacheBackend();
        return new Bridge({
          name,
          config: cfg,
          broker,
          cache,
          nodeName,
          logger: logger.child({ bridge: name }),
          metrics,
        });
      });
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
