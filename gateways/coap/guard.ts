/**
 * The IO edges (a datagram arriving, a timer firing) call into protocol code that is written never to throw; a
 * bug that throws anyway must cost one datagram or one tick, never the process (an exception escaping a dgram
 * 'message' listener or a setInterval callback is uncaught). Counted as `internal_error` and logged.
 */
import type { GatewayMetrics, Logger } from '../../src/gateway/index.js';

export function guarded<A extends unknown[]>(
  what: string,
  o: { metrics: GatewayMetrics; logger: Logger },
  fn: (...args: A) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      o.metrics.dropped('internal_error');
      o.logger.warn({ err, what }, 'CoAP gateway: unexpected error (one datagram or tick lost)');
    }
  };
}
