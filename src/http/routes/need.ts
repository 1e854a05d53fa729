/** Route helpers: the running broker or a 503. */
import type { Broker } from '../../broker/broker.js';
import type { ApiDeps } from '../deps.js';
import { unavailable } from '../errors.js';

export function broker(deps: ApiDeps): Broker {
  const b = deps.broker();
  if (!b?.running) throw unavailable('the broker');
  return b;
}
