/**
 * `publishUplink(deps)`: the projection of the uplink stage. For one mapped outcome it publishes the Envelope
 * into the broker (registering a pending request first when the peer waits for an answer), or publishes the
 * fault to the DLQ. Returns an Observable of exactly one UplinkResult that completes after the broker accepted
 * the message (the PUBACK point); it never errors, so one bad message never ends the stream.
 */
import { defer, type Observable } from 'rxjs';
import { immediate, type Immediate } from './buffered-concat-map.js';
import type { BrokerApi } from '../broker/api.js';
import type { Envelope } from '../envelope.js';
import type { GatewayMetrics } from '../gateway/metrics.js';
import type { UplinkOutcome } from './map-uplink.js';
import type { ReplyRouter } from './reply-router.js';
import { deadLetter } from './dead-letter.js';

export type UplinkResult =
  | { kind: 'published'; envelope: Envelope }
  | { kind: 'dead_lettered'; reason: string }
  | { kind: 'dropped'; reason: string };

export interface PublishUplinkDeps {
  gatewayId: string;
  broker: Pick<BrokerApi, 'publish'>;
  metrics: GatewayMetrics;
  /** Publish faults to the DLQ topic (otherwise they are only counted as dropped). */
  dlq: boolean;
  replies?: ReplyRouter;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function publishUplink(deps: PublishUplinkDeps): (outcome: UplinkOutcome) => Observable<UplinkResult> {
  return (outcome) =>
    defer(async (): Promise<UplinkResult> => {
      if (!outcome.ok) {
        outcome.reply?.fail(outcome.fault.reason, outcome.fault.error);
        return deadLetter(deps, outcome.fault);
      }
      let env = outcome.envelope;
      let responseTopic: string | undefined;
      if (outcome.reply) {
        if (!deps.replies) {
          outcome.reply.fail('unsupported', 'this gateway instance has no request/response routing');
          deps.metrics.dropped('reply_unsupported');
          return { kind: 'dropped', reason: 'reply_unsupported' };
        }
        const props = deps.replies.register(outcome.reply);
        if (!props) {
          deps.metrics.dropped('reply_overloaded');
          return { kind: 'dropped', reason: 'reply_overloaded' };
        }
        responseTopic = props.responseTopic;
        // [MQTT-4.10] request/response: the responder answers on Response Topic echoing Correlation Data.
        env = { ...env, properties: { ...env.properties, ...props } };
      }
      try {
        await deps.broker.publish(env);
      } catch (err) {
        if (responseTopic !== undefined) {
          deps.replies?.cancel(responseTopic);
          outcome.reply?.fail('publish', errorText(err));
        }
        return deadLetter(deps, {
          reason: 'publish',
          error: errorText(err),
          payload: env.payload,
          address: env.origin?.address,
          peer: env.origin?.peer,
        });
      }
      deps.metrics.message('uplink', env.payload.length);
      return { kind: 'published', envelope: env };
    });
}

/**
 * `publishAccepted(deps)`: the fast path for a mapped message whose peer waits for nothing. The broker routes it
 * synchronously (so order is kept and a QoS >= 1 message is already queued for every subscriber), and the result
 * is emitted at once instead of after the store commit; a publish that fails later is dead-lettered then.
 * Returns its one UplinkResult as an `immediate` (no Observable per message on the hot path); never throws.
 */
export function publishAccepted(deps: Omit<PublishUplinkDeps, 'replies'>): (env: Envelope) => Immediate<UplinkResult> {
  return (env) => {
    deps.broker.publish(env).catch((err: unknown) => {
      void deadLetter(deps, {
        reason: 'publish',
        error: errorText(err),
        payload: env.payload,
        address: env.origin?.address,
        peer: env.origin?.peer,
      });
    });
    deps.metrics.message('uplink', env.payload.length);
    return immediate({ kind: 'published', envelope: env });
  };
}
