/**
 * Connects one running gateway instance to the broker through the pipeline:
 *   uplink:   ingress$ → bounded buffer → mapping (codecs) → broker publish | DLQ
 *   downlink: broker session → bounded buffer → response routing | mapping (codecs) → gateway send | DLQ → ack
 * The returned Observable emits one result per message, errors when the instance fails (ingress$ errors) and
 * completes when ingress$ completes (stop). Subscribing opens the broker session; unsubscribing closes it.
 */
import { EMPTY, endWith, ignoreElements, merge, share, takeUntil, type Observable } from 'rxjs';
import type { BrokerApi, Delivery, InternalSubscription } from '../broker/api.js';
import type { CompiledMapping } from '../mapping/types.js';
import { bufferedConcatMap } from '../pipeline/buffered-concat-map.js';
import { mapIngressItem } from '../pipeline/map-uplink.js';
import { publishAccepted, publishUplink, type UplinkResult } from '../pipeline/publish-uplink.js';
import { sendDownlink, type DownlinkResult } from '../pipeline/send-downlink.js';
import type { ReplyRouter } from '../pipeline/reply-router.js';
import type { CommonGatewayConfig } from './common-schema.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayInstance, IngressItem } from './spi.js';

export interface WireDeps {
  id: string;
  instance: GatewayInstance;
  mapping: CompiledMapping;
  broker: BrokerApi;
  metrics: GatewayMetrics;
  config: CommonGatewayConfig;
  replies?: ReplyRouter;
}

export function gatewayClientId(id: string): string {
  return `$hub/gateway/${id}`;
}

export function wireGateway(deps: WireDeps): Observable<UplinkResult | DownlinkResult> {
  const up$ = uplink$(deps).pipe(share());
  // The downlink session lives exactly as long as the instance's ingress does.
  return merge(up$, downlink$(deps).pipe(takeUntil(up$.pipe(ignoreElements(), endWith(true)))));
}

function uplink$(deps: WireDeps): Observable<UplinkResult> {
  const { instance, metrics, config } = deps;
  const publish = publishUplink({
    gatewayId: deps.id,
    broker: deps.broker,
    metrics,
    dlq: config.dlq,
    replies: deps.replies,
  });
  const publishFast = publishAccepted({ gatewayId: deps.id, broker: deps.broker, metrics, dlq: config.dlq });
  const blocking = config.uplink_buffer.overflow === 'block';
  return instance.ingress$.pipe(
    bufferedConcatMap(
      (item: IngressItem) => {
        const outcome = mapIngressItem(item, deps.mapping, deps.id);
        // Fire-and-forget peers (no reply handle) need not wait for the store commit: the broker routes
        // synchronously, so order is kept, and a failed commit still goes to the DLQ. With overflow = block the
        // user asked for back-pressure to the source, so there each message waits until it is durable.
        return outcome.ok && !outcome.reply && !blocking ? publishFast(outcome.envelope) : publish(outcome);
      },
      {
        maxMessages: config.uplink_buffer.max_messages,
        maxBytes: config.uplink_buffer.max_bytes,
        policy: config.uplink_buffer.overflow,
        sizeOf: (item) => item.payload.length,
        onDrop: ({ item, reason }) => {
          metrics.dropped(reason === 'too_large' ? 'too_large' : 'uplink_overflow');
          item.reply?.fail('overloaded', 'gateway uplink buffer full');
        },
        onDiscard: (item) => item.reply?.fail('stopped', 'gateway stopped'),
        onPressure: (full) => (full ? instance.pause?.() : instance.resume?.()),
        onDepth: (n) => metrics.queueDepth('uplink', n),
      },
    ),
  );
}

function downlink$(deps: WireDeps): Observable<DownlinkResult> {
  const { metrics, config } = deps;
  const subscriptions: InternalSubscription[] = deps.mapping.downlinkFilters().map((f) => ({
    filter: f.filter,
    qos: f.qos,
    // [MQTT-3.8.3-3] the gateway's own uplink publishes must not come back down to it.
    noLocal: true,
  }));
  if (deps.replies) subscriptions.push({ filter: deps.replies.filter, qos: 1, noLocal: true });
  if (subscriptions.length === 0) return EMPTY;
  const deliveries$ = deps.broker.session$({
    clientId: gatewayClientId(deps.id),
    subscriptions,
    // The in-flight window is what pushes back on the broker for QoS >= 1; it never exceeds the buffer.
    receiveMaximum: Math.min(config.downlink_buffer.max_messages, 65_535),
  });
  return deliveries$.pipe(
    bufferedConcatMap(
      sendDownlink({
        gatewayId: deps.id,
        mapping: deps.mapping,
        gateway: deps.instance,
        broker: deps.broker,
        metrics,
        dlq: config.dlq,
        replies: deps.replies,
      }),
      {
        maxMessages: config.downlink_buffer.max_messages,
        maxBytes: config.downlink_buffer.max_bytes,
        // The broker session cannot be paused for QoS 0; `block` relies on the in-flight window and drops past it.
        policy: config.downlink_buffer.overflow,
        sizeOf: (d: Delivery) => d.envelope.payload.length,
        onDrop: ({ item, reason }) => {
          metrics.dropped(reason === 'too_large' ? 'too_large' : 'downlink_overflow');
          item.ack();
        },
        onDepth: (n) => metrics.queueDepth('downlink', n),
      },
    ),
  );
}
