/**
 * `protohub_bridge_*` metrics of one bridge, all labelled `bridge`.
 */
import type { Counter, Gauge } from 'prom-client';
import type { CounterChild, Metrics } from '../metrics.js';
import type { LinkState } from './upstream-link.js';

const STATE_VALUE: Record<LinkState, number> = { stopped: 0, connecting: 1, connected: 2, backoff: 3 };

export type DropReason =
  'overflow' | 'qos0_offline' | 'qos0_backpressure' | 'rejected' | 'expired' | 'unroutable' | 'loop';

export class BridgeMetrics {
  readonly #labels: { bridge: string };
  readonly #state: Gauge<string>;
  readonly #backlog: Gauge<string>;
  readonly #backlogBytes: Gauge<string>;
  readonly #oldest: Gauge<string>;
  // per message: plain-number children handed to prom-client at scrape time (its inc() hashes the labels)
  readonly #sent: CounterChild;
  readonly #acked: CounterChild;
  readonly #dropped: Counter<string>;
  readonly #received: CounterChild;
  /** Totals kept here too, so status() needs no async registry read. */
  readonly totals = { sent: 0, acked: 0, dropped: 0, received: 0 };

  constructor(m: Metrics, bridge: string) {
    this.#labels = { bridge };
    this.#state = m.gauge(
      'protohub_bridge_state',
      'bridge connection state: 0 stopped, 1 connecting, 2 connected, 3 backoff',
      ['bridge'],
    );
    this.#backlog = m.gauge(
      'protohub_bridge_backlog',
      'messages in the bridge cache not yet acknowledged by the upstream',
      ['bridge'],
    );
    this.#backlogBytes = m.gauge('protohub_bridge_backlog_bytes', 'bytes (topic + payload) in the bridge cache', [
      'bridge',
    ]);
    this.#oldest = m.gauge('protohub_bridge_oldest_age_seconds', 'age of the oldest message in the bridge cache', [
      'bridge',
    ]);
    this.#sent = m
      .fastCounter('protohub_bridge_sent_total', 'messages sent upstream (resends included)', ['bridge'])
      .labels(this.#labels);
    this.#acked = m
      .fastCounter('protohub_bridge_acked_total', 'messages acknowledged by the upstream and removed from the cache', [
        'bridge',
      ])
      .labels(this.#labels);
    this.#dropped = m.counter('protohub_bridge_dropped_total', 'messages the bridge dropped, by reason', [
      'bridge',
      'reason',
    ]);
    this.#received = m
      .fastCounter('protohub_bridge_received_total', 'messages received from the upstream and published locally', [
        'bridge',
      ])
      .labels(this.#labels);
    this.state('stopped');
  }

  state(s: LinkState): void {
    this.#state.set(this.#labels, STATE_VALUE[s]);
  }

  sent(n = 1): void {
    this.totals.sent += n;
    this.#sent.inc(n);
  }

  acked(n = 1): void {
    this.totals.acked += n;
    this.#acked.inc(n);
  }

  dropped(reason: DropReason, n = 1): void {
    if (n <= 0) return;
    this.totals.dropped += n;
    this.#dropped.inc({ ...this.#labels, reason }, n);
  }

  received(): void {
    this.totals.received++;
    this.#received.inc();
  }

  backlog(count: number, bytes: number, oldestAgeSeconds: number): void {
    this.#backlog.set(this.#labels, count);
    this.#backlogBytes.set(this.#labels, bytes);
    this.#oldest.set(this.#labels, oldestAgeSeconds);
  }
}
