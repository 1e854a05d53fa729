/**
 * Retained messages: one per topic, replaced by a newer one and deleted by an empty payload ([MQTT-3.3.1-6],
 * [MQTT-3.3.1-10]). Kept in memory for matching and written through to the store.
 */
import type { BrokerStore } from '../store/types.js';
import type { BrokerMetrics } from './broker-metrics.js';
import { isExpired, type BrokerMessage } from './message.js';

export class RetainedStore {
  readonly #byTopic = new Map<string, BrokerMessage>();

  constructor(
    private readonly store: BrokerStore,
    private readonly metrics: BrokerMetrics,
  ) {}

  get size(): number {
    return this.#byTopic.size;
  }

  load(): void {
    const now = Date.now();
    for (const { topic, message } of this.store.loadRetained()) {
      if (isExpired(message, now)) this.store.setRetained(topic, null);
      else this.#byTopic.set(topic, message);
    }
    this.metrics.retained.set(this.#byTopic.size);
  }

  set(msg: BrokerMessage): void {
    if (msg.payload.length === 0) {
      // [MQTT-3.3.1-10] zero-byte retained message deletes; [MQTT-3.3.1-11] and is not stored
      if (this.#byTopic.delete(msg.topic)) this.store.setRetained(msg.topic, null);
    } else {
      this.#byTopic.set(msg.topic, msg);
      this.store.setRetained(msg.topic, { ...msg, origin: undefined } as BrokerMessage);
    }
    this.metrics.retained.set(this.#byTopic.size);
  }

  get(topic: string): BrokerMessage | undefined {
    return this.#byTopic.get(topic);
  }

  /** Retained messages whose topic matches the filter; expired ones are removed on the way. */
  *matching(filter: string, matches: (filter: string, topic: string) => boolean): IterableIterator<BrokerMessage> {
    const now = Date.now();
    if (!filter.includes('+') && !filter.includes('#')) {
      const m = this.#byTopic.get(filter);
      if (m) yield m;
      return;
    }
    for (const [topic, msg] of this.#byTopic) {
      if (!matches(filter, topic)) continue;
      if (isExpired(msg, now)) {
        this.#byTopic.delete(topic);
        this.store.setRetained(topic, null);
        continue;
      }
      yield msg;
    }
    this.metrics.retained.set(this.#byTopic.size);
  }
}
