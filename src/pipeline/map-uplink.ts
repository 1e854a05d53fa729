/**
 * `mapUplink(mapping, gatewayId)`: turns what a gateway received into an Envelope through the instance's
 * mapping (first matching uplink rule; codecs run inside the mapping), or into a Fault for the DLQ.
 * One output per input; never errors (mapping failures are values); completes with the source.
 */
import { map, type OperatorFunction } from 'rxjs';
import type { Envelope, PublishProperties, UserProperties } from '../envelope.js';
import type { CompiledMapping } from '../mapping/types.js';
import type { IngressItem, IngressMessage, ReplyHandle } from '../gateway/spi.js';
import type { Fault } from './fault.js';

export type UplinkOutcome =
  | { readonly ok: true; readonly envelope: Envelope; readonly reply?: ReplyHandle }
  | { readonly ok: false; readonly fault: Fault; readonly reply?: ReplyHandle };

export function mapIngressItem(
  item: IngressItem,
  mapping: CompiledMapping,
  gatewayId: string,
  now = Date.now(),
): UplinkOutcome {
  if (item.kind === 'fault') {
    return {
      ok: false,
      reply: item.reply,
      fault: { reason: item.reason, error: item.error, payload: item.payload, address: item.address, peer: item.peer },
    };
  }
  let result;
  try {
    result = mapping.uplink({ address: item.address, payload: item.payload, peer: item.peer });
  } catch (err) {
    // A mapping bug must cost one message, not the stream.
    result = { ok: false as const, reason: 'codec' as const, error: err instanceof Error ? err.message : String(err) };
  }
  if (!result.ok) {
    return {
      ok: false,
      reply: item.reply,
      fault: {
        reason: result.reason,
        error: result.error,
        payload: item.payload,
        address: item.address,
        peer: item.peer,
      },
    };
  }
  const m = result.value;
  return {
    ok: true,
    reply: item.reply,
    envelope: {
      topic: m.topic,
      payload: m.payload,
      // what the protocol itself carried (DDS reliability, a CoAP confirmable…) wins over the rule's default
      qos: item.qos ?? m.qos,
      retain: item.retain ?? m.retain,
      properties: withIngressProperties(m.properties, item),
      origin: { gateway: gatewayId, clientId: `$hub/gateway/${gatewayId}`, peer: item.peer, address: item.address },
      receivedAt: now,
    },
  };
}

/** The mapping's properties, plus the ingress content type (unless the mapping set one) and user properties. */
function withIngressProperties(
  props: PublishProperties | undefined,
  item: IngressMessage,
): PublishProperties | undefined {
  const extra = item.userProperties;
  if (item.contentType === undefined && extra === undefined) return props;
  const out: PublishProperties = { ...props };
  if (item.contentType !== undefined && out.contentType === undefined) out.contentType = item.contentType;
  if (extra) {
    const merged: UserProperties = { ...props?.userProperties };
    // a key both set keeps both values (MQTT 5 user properties may repeat, §3.3.2.3.7)
    for (const [k, v] of Object.entries(extra)) merged[k] = k in merged ? [merged[k], v].flat() : v;
    out.userProperties = merged;
  }
  return out;
}

export function mapUplink(mapping: CompiledMapping, gatewayId: string): OperatorFunction<IngressItem, UplinkOutcome> {
  return map((item) => mapIngressItem(item, mapping, gatewayId));
}
