/**
 * `sendDownlink(deps)`: the projection of the downlink stage. For one delivery it answers a pending request
 * (response topics), or sends the mapped message through the gateway, or dead-letters the fault; then it acks
 * the delivery, so a QoS >= 1 message leaves the broker's in-flight window only after the gateway took it.
 * Returns an Observable of exactly one DownlinkResult; it never errors.
 */
import { defer, type Observable } from 'rxjs';
import type { BrokerApi, Delivery } from '../broker/api.js';
import type { CompiledMapping } from '../mapping/types.js';
import type { GatewayInstance } from '../gateway/spi.js';
import type { GatewayMetrics } from '../gateway/metrics.js';
import type { ReplyRouter } from './reply-router.js';
import { mapDelivery } from './map-downlink.js';
import { deadLetter } from './dead-letter.js';
import { envelope, type Envelope } from '../envelope.js';

export type DownlinkResult =
  | { kind: 'sent'; address: string }
  | { kind: 'replied' }
  | { kind: 'dead_lettered'; reason: string }
  | { kind: 'dropped'; reason: string };

export interface SendDownlinkDeps {
  gatewayId: string;
  mapping: CompiledMapping;
  gateway: Pick<GatewayInstance, 'send'>;
  broker: Pick<BrokerApi, 'publish'>;
  metrics: GatewayMetrics;
  dlq: boolean;
  replies?: ReplyRouter;
}

export function sendDownlink(deps: SendDownlinkDeps): (delivery: Delivery) => Observable<DownlinkResult> {
  return (delivery) =>
    defer(async (): Promise<DownlinkResult> => {
      try {
        const env = delivery.envelope;
        if (deps.replies?.isResponseTopic(env.topic)) {
          if (deps.replies.resolve(env)) return { kind: 'replied' };
          // A second answer, or one after the timeout: the request is gone (first reply wins).
          deps.metrics.dropped('late_reply');
          return { kind: 'dropped', reason: 'late_reply' };
        }
        const outcome = mapDelivery(delivery, deps.mapping);
        if (!outcome.ok) return await deadLetter(deps, outcome.fault);
        try {
          await deps.gateway.send({ ...outcome.message, respond: responder(deps, env) });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          return await deadLetter(deps, { reason: 'send', error, payload: env.payload, address: env.topic });
        }
        deps.metrics.message('downlink', outcome.message.payload.length);
        return { kind: 'sent', address: outcome.message.address };
      } finally {
        delivery.ack();
      }
    });
}

/** Publishes a peer's answer to an MQTT 5 request on its Response Topic, echoing the Correlation Data. */
function responder(deps: SendDownlinkDeps, request: Envelope): ((payload: Buffer) => Promise<void>) | undefined {
  const topic = request.properties?.responseTopic;
  if (!topic) return undefined;
  const correlationData = request.properties?.correlationData;
  return (payload) =>
    deps.broker.publish(
      envelope(topic, payload, {
        qos: request.qos,
        properties: correlationData ? { correlationData } : undefined,
        origin: { gateway: deps.gatewayId, clientId: `$hub/gateway/${deps.gatewayId}` },
      }),
    );
}
