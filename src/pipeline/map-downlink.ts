/**
 * `mapDelivery(delivery, mapping)`: turns a broker delivery into a DownlinkMessage for the gateway through the first
 * matching downlink rule, or into a Fault for the DLQ. The delivery travels along so it is acked only once the
 * message was sent, dropped or dead-lettered. Never throws.
 */
import type { Delivery } from '../broker/api.js';
import type { CompiledMapping } from '../mapping/types.js';
import type { DownlinkMessage } from '../gateway/spi.js';
import type { Fault } from './fault.js';

export type DownlinkOutcome =
  | { readonly ok: true; readonly message: DownlinkMessage; readonly delivery: Delivery }
  | { readonly ok: false; readonly fault: Fault; readonly delivery: Delivery };

export function mapDelivery(delivery: Delivery, mapping: CompiledMapping): DownlinkOutcome {
  const env = delivery.envelope;
  let result;
  try {
    result = mapping.downlink(env);
  } catch (err) {
    result = { ok: false as const, reason: 'codec' as const, error: err instanceof Error ? err.message : String(err) };
  }
  if (!result.ok) {
    return {
      ok: false,
      delivery,
      fault: { reason: result.reason, error: result.error, payload: env.payload, address: env.topic },
    };
  }
  return {
    ok: true,
    delivery,
    message: { address: result.value.address, payload: result.value.payload, envelope: env },
  };
}
