/**
 * Store entry point: `createStore(config.store, deps)` picks the implementation the config names.
 */
import type { StoreError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { HubConfig } from '../config/schema.js';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { BrokerStore } from './types.js';

export type StoreConfig = HubConfig['store'];

export interface StoreDeps {
  logger?: Logger;
  metrics?: Metrics;
  /** Failures that cannot be thrown to a caller: a batch commit failed (PH_STORE_COMMIT), a row was skipped. */
  onError?: (err: StoreError) => void;
}

/** Builds (does not open) the configured store. */
export function createStore(config: StoreConfig, deps: StoreDeps = {}): BrokerStore {
  switch (config.type) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      return new SqliteStore({ dir: config.dir, synchronous: config.synchronous, maxBytes: config.max_size, ...deps });
  }
}

export { MemoryStore } from './memory-store.js';
export { SqliteStore, DB_FILE_NAME, type SqliteStoreOptions } from './sqlite-store.js';
export { STORE_CODES, type StoreCode } from './codes.js';
export { SCHEMA_VERSION } from './sqlite-schema.js';
export type * from './types.js';
