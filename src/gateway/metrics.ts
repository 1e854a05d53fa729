/**
 * Gateway metrics, labelled by instance id (`<protocol>.<name>`). One object per instance, created by the
 * manager and handed to the instance and its pipeline.
 */
import type { CounterChild, Metrics } from '../metrics.js';

export type Direction = 'uplink' | 'downlink';

export class GatewayMetrics {
  readonly #metrics: Metrics;
  readonly #gateway: string;
  /** Per-message series bound once (prom-client hashes labels on every inc()/set(): ~15% of a gateway's CPU). */
  readonly #perMessage: Record<
    Direction,
    { count: CounterChild; bytes: CounterChild; depth: { set(v: number): void } }
  >;

  constructor(metrics: Metrics, gateway: string) {
    this.#metrics = metrics;
    this.#gateway = gateway;
    const messages = metrics.fastCounter('protohub_gateway_messages_total', 'messages a gateway moved, by direction', [
      'gateway',
      'direction',
    ]);
    const bytes = metrics.fastCounter('protohub_gateway_bytes_total', 'payload bytes a gateway moved, by direction', [
      'gateway',
      'direction',
    ]);
    const depth = metrics.fastGauge('protohub_gateway_queue_depth', 'messages waiting in a gateway buffer', [
      'gateway',
      'direction',
    ]);
    const bind = (direction: Direction) => {
      const labels = { gateway, direction };
      return { count: messages.labels(labels), bytes: bytes.labels(labels), depth: depth.labels(labels) };
    };
    this.#perMessage = { uplink: bind('uplink'), downlink: bind('downlink') };
  }

  /** One message moved; `bytes` is its payload size as it entered the broker (uplink) or left (downlink). */
  message(direction: Direction, bytes = 0): void {
    const m = this.#perMessage[direction];
    m.count.inc();
    m.bytes.inc(bytes);
  }

  dropped(reason: string, n = 1): void {
    this.#metrics
      .counter('protohub_gateway_dropped_total', 'messages a gateway dropped, by reason', ['gateway', 'reason'])
      .inc({ gateway: this.#gateway, reason }, n);
  }

  deadLettered(reason: string): void {
    this.#metrics
      .counter('protohub_gateway_dlq_total', 'messages a gateway sent to its dead-letter topic, by reason', [
        'gateway',
        'reason',
      ])
      .inc({ gateway: this.#gateway, reason });
  }

  /** A socket/transport event (connect, disconnect, handshake_failed…). */
  socketEvent(event: string): void {
    this.#metrics
      .counter('protohub_gateway_socket_events_total', 'transport events seen by a gateway', ['gateway', 'event'])
      .inc({ gateway: this.#gateway, event });
  }

  restarted(): void {
    this.#metrics
      .counter('protohub_gateway_restarts_total', 'times the supervisor restarted a failed gateway', ['gateway'])
      .inc({ gateway: this.#gateway });
  }

  /** 1 while the instance is running, 0 otherwise. */
  up(running: boolean): void {
    this.#metrics
      .gauge('protohub_gateway_up', '1 while the gateway instance is running', ['gateway'])
      .set({ gateway: this.#gateway }, running ? 1 : 0);
  }

  peers(n: number): void {
    this.#metrics
      .gauge('protohub_gateway_peers', 'peers connected to a gateway instance', ['gateway'])
      .set({ gateway: this.#gateway }, n);
  }

  /** Remote endpoints matched on one protocol topic, by kind (DDS: `writers` we read from, `readers` we write to). */
  topicPeers(topic: string, kind: string, n: number): void {
    this.#metrics
      .gauge('protohub_gateway_topic_peers', 'remote endpoints matched on a gateway topic, by kind', [
        'gateway',
        'topic',
        'kind',
      ])
      .set({ gateway: this.#gateway, topic, kind }, n);
  }

  /**
   * Entries in one of the instance's bounded state tables (clients, observations, partial transfers, remembered
   * message ids…), so an operator sees how close each is to its limit and a flood test can assert the bound.
   */
  tableSize(table: string, n: number): void {
    this.#metrics
      .gauge('protohub_gateway_table_entries', 'entries in a bounded state table of a gateway instance', [
        'gateway',
        'table',
      ])
      .set({ gateway: this.#gateway, table }, n);
  }

  queueDepth(direction: Direction, n: number): void {
    this.#perMessage[direction].depth.set(n);
  }
}
