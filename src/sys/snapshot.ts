/** Reads the figures $SYS publishes from the hub's metrics registry and broker, keeping high-water marks. */
import type { Broker } from '../broker/broker.js';
import type { Metrics } from '../metrics.js';
import type { SysSnapshot } from './stats.js';
import { version } from '../version.js';

export class SysStatsSource {
  readonly #max = { connections: 0, sessions: 0, subscriptions: 0, retained: 0 };
  readonly #startedAt: number;

  constructor(startedAt: number) {
    this.#startedAt = startedAt;
  }

  async read(metrics: Metrics, broker: Broker): Promise<SysSnapshot> {
    const now = Date.now();
    const current = {
      connections: await metrics.value('protohub_connections'),
      sessions: broker.sessions.size,
      subscriptions: await metrics.value('protohub_subscriptions'),
      retained: broker.retained.size,
    };
    const max = this.#max;
    for (const k of Object.keys(max) as Array<keyof typeof max>) max[k] = Math.max(max[k], current[k]);
    return {
      version: version(),
      uptimeSeconds: Math.floor((now - this.#startedAt) / 1000),
      now,
      ...current,
      connectionsMax: max.connections,
      sessionsMax: max.sessions,
      subscriptionsMax: max.subscriptions,
      retainedMax: max.retained,
      messagesReceived: await metrics.value('protohub_messages_received_total'),
      messagesSent: await metrics.value('protohub_messages_sent_total'),
      messagesDropped: await metrics.value('protohub_messages_dropped_total'),
      bytesReceived: await metrics.value('protohub_bytes_received_total'),
      bytesSent: await metrics.value('protohub_bytes_sent_total'),
    };
  }
}
