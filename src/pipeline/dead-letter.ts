/**
 * Publishes one Fault to the gateway's DLQ topic and counts it; never throws. When the DLQ is disabled or the
 * DLQ publish itself fails, the message is counted as dropped with the fault's reason instead.
 */
import type { BrokerApi } from '../broker/api.js';
import type { GatewayMetrics } from '../gateway/metrics.js';
import { dlqEnvelope, type Fault } from './fault.js';

export interface DeadLetterDeps {
  gatewayId: string;
  broker: Pick<BrokerApi, 'publish'>;
  metrics: GatewayMetrics;
  dlq: boolean;
}

export async function deadLetter(
  deps: DeadLetterDeps,
  fault: Fault,
): Promise<{ kind: 'dead_lettered' | 'dropped'; reason: string }> {
  if (deps.dlq) {
    try {
      await deps.broker.publish(dlqEnvelope(deps.gatewayId, fault));
      deps.metrics.deadLettered(fault.reason);
      return { kind: 'dead_lettered', reason: fault.reason };
    } catch {
      deps.metrics.dropped('dlq_failed');
      return { kind: 'dropped', reason: 'dlq_failed' };
    }
  }
  deps.metrics.dropped(fault.reason);
  return { kind: 'dropped', reason: fault.reason };
}
