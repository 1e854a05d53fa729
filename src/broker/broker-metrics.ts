/** Metric handles of the broker core, created once per hub. */
import type { Metrics } from '../metrics.js';

export type DropReason =
  | 'queue_full'
  | 'expired'
  | 'too_large'
  | 'not_authorized'
  | 'no_route'
  | 'inflight_full'
  | 'slow_consumer'
  | 'session_gone';

export function brokerMetrics(m: Metrics) {
  return {
    // `listener` is the listener (tcp:default) or the client gateway instance (mqttsn.default) a client came
    // through; `protocol` is mqtt for network clients, the gateway's protocol for device sessions
    connections: m.gauge('protohub_connections', 'open MQTT connections and connected device sessions', [
      'listener',
      'protocol',
    ]),
    connectionsTotal: m.counter('protohub_connections_total', 'MQTT connections and device sessions accepted', [
      'listener',
      'protocol',
    ]),
    refused: m.counter('protohub_connections_refused_total', 'connections refused or closed by the broker', [
      'listener',
      'reason',
      'protocol',
    ]),
    protocolErrors: m.counter('protohub_protocol_errors_total', 'malformed or protocol-violating packets', [
      'listener',
      'reason',
    ]),
    sessions: m.gauge('protohub_sessions', 'sessions (connected and offline persistent)'),
    subscriptions: m.gauge('protohub_subscriptions', 'subscriptions over all sessions'),
    retained: m.gauge('protohub_retained_messages', 'retained messages'),
    received: m.fastCounter('protohub_messages_received_total', 'PUBLISH packets received', ['listener']),
    sent: m.fastCounter('protohub_messages_sent_total', 'PUBLISH packets sent', ['listener']),
    bytesIn: m.fastCounter('protohub_bytes_received_total', 'bytes received', ['listener']),
    bytesOut: m.fastCounter('protohub_bytes_sent_total', 'bytes sent', ['listener']),
    dropped: m.fastCounter('protohub_messages_dropped_total', 'messages dropped by the broker', ['reason']),
    stalls: m.counter(
      'protohub_subscriber_stalls_total',
      'connected sessions that held publishers back and acknowledged nothing for mqtt.stall_timeout',
    ),
    queued: m.gauge('protohub_queued_messages', 'messages queued in sessions (not yet in flight)'),
  };
}

export type BrokerMetrics = ReturnType<typeof brokerMetrics>;
