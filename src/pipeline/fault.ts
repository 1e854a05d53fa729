/**
 * Per-message faults and their dead-letter envelope. A fault never ends a stream: the message is published to
 * `$hub/dlq/<protocol>.<name>` with the reason in MQTT 5 user properties and the original payload.
 */
import { envelope, type Envelope } from '../envelope.js';

export interface Fault {
  /** Stable short reason: no_match, codec, invalid_topic, malformed, publish, send, timeout… */
  readonly reason: string;
  /** Human-readable detail. */
  readonly error: string;
  /** The original payload, unchanged. */
  readonly payload: Buffer;
  /** Protocol address (uplink) or MQTT topic (downlink) the message had. */
  readonly address?: string;
  readonly peer?: string;
}

export function dlqTopic(gatewayId: string): string {
  return `$hub/dlq/${gatewayId}`;
}

export function dlqEnvelope(gatewayId: string, fault: Fault): Envelope {
  const userProperties: Record<string, string> = {
    reason: fault.reason,
    error: fault.error,
    address: fault.address ?? '',
  };
  if (fault.peer !== undefined) userProperties.peer = fault.peer;
  // QoS 1 so a persistent DLQ consumer gets every dead letter, like any other message it subscribed to.
  return envelope(dlqTopic(gatewayId), fault.payload, {
    qos: 1,
    properties: { userProperties },
    origin: { gateway: gatewayId, clientId: `$hub/gateway/${gatewayId}`, address: fault.address, peer: fault.peer },
  });
}
