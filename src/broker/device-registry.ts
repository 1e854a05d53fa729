/**
 * The connected device sessions (clients of client gateways), for listings ($SYS events, HTTP API, status)
 * and authorization lookups by client id. Listeners are told of every connect and disconnect.
 */
import type { ClientIdentity } from './access.js';
import type { DeviceInfo } from './device-types.js';

export interface DeviceEntry {
  readonly info: DeviceInfo;
  readonly identity: ClientIdentity;
}

export type DeviceEvent =
  { kind: 'connected'; info: DeviceInfo } | { kind: 'disconnected'; info: DeviceInfo; reason: string };

export class DeviceRegistry {
  readonly #byId = new Map<string, DeviceEntry>();
  readonly #listeners = new Set<(e: DeviceEvent) => void>();

  get size(): number {
    return this.#byId.size;
  }

  get(clientId: string): DeviceEntry | undefined {
    return this.#byId.get(clientId);
  }

  list(): DeviceInfo[] {
    return [...this.#byId.values()].map((e) => e.info);
  }

  /** Subscribe to connect/disconnect events; returns the unsubscribe function. */
  onEvent(fn: (e: DeviceEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  add(entry: DeviceEntry): void {
    this.#byId.set(entry.identity.clientId, entry);
    this.#emit({ kind: 'connected', info: entry.info });
  }

  /** `reason`: why the device went (`normal`, `lost`, `taken_over`, `keepalive_timeout`, `kicked`, …). */
  remove(entry: DeviceEntry, reason = 'normal'): void {
    if (this.#byId.get(entry.identity.clientId) !== entry) return;
    this.#byId.delete(entry.identity.clientId);
    this.#emit({ kind: 'disconnected', info: entry.info, reason });
  }

  #emit(e: DeviceEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch {
        // a listener's fault must not break a connect or disconnect
      }
    }
  }
}
