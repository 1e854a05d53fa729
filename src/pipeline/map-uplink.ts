/**
 * `mapUplink(mapping, gatewayId)`: turns what a gateway received into an Envelope through the instance's
 * mapping (first matching uplink rule; codecs run inside the mapping), or into a Fault for the DLQ.
 * One output per input; never errors (mapping failures are values); completes with the source.
 */
import { map, type OperatorFunction } from 'rxjs';
import type { Envelope, PublishProperties } from '../envelope.js';
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

/**
 * The rule's properties plus the gateway's per-message user properties (the rule's win on a clash) and content
 * type (unless the rule set one).
 */
function withIngressProperties(
  properties: PublishProperties | undefined,
  item: IngressMessage,
): PublishProperties | undefined {
  if (item.contentType === undefined && item.userProperties === undefined) return properties;
  const out: PublishProperties = { ...properties };
  if (item.userProperties) out.userProperties = { ...item.userProperties, ...properties?.userProperties };
  if (item.contentType !== undefined && out.contentType === undefined) out.contentType = item.contentType;
  return out;
}

export function mapUplink(mapping: CompiledMapping, gatewayId: string): OperatorFunction<IngressItem, UplinkOutcome> {
  return map((item) => mapIngressItem(item, mapping, gatewayId));
}
