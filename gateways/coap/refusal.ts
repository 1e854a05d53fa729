/**
 * Broker answers → CoAP response codes: a refused connect or a rejected publish becomes the code a CoAP client
 * understands (RFC 7252 §5.9), with the reason as diagnostic payload.
 */
import type { EndpointCore } from './core.js';
import { Opt, Rsp, encodeUint } from './message.js';
import { fail, type Exchange } from './responder.js';

/**
 * A request refused because a bounded table is full (clients, observations, block transfers): 5.03 Service
 * Unavailable with a diagnostic payload naming the limit (RFC 7252 §5.9.3.4, §5.5.2), a drop counter `reason` and
 * (through fail) a debug line with the peer, so a flood is visible and costs no state. `retryAfterMs` becomes the
 * Max-Age option, the time after which a retry may succeed (§5.9.3.4; without it a client assumes 60 s, §5.10.5).
 */
export function refuseAtLimit(
  core: EndpointCore,
  ex: Exchange,
  reason: string,
  diagnostic: string,
  retryAfterMs?: number,
): void {
  const maxAge =
    retryAfterMs === undefined
      ? undefined
      : [{ number: Opt.MaxAge, value: encodeUint(Math.ceil(retryAfterMs / 1000)) }];
  fail(core, ex, Rsp.ServiceUnavailable, reason, `${diagnostic} (${reason})`, maxAge);
}

/** DeviceRefusal (connectDevice) → response code. */
export function refusalCode(reason: string): number {
  switch (reason) {
    case 'bad_credentials':
      return Rsp.Unauthorized;
    case 'not_authorized':
      return Rsp.Forbidden;
    case 'bad_clientid':
    case 'bad_will':
      return Rsp.BadRequest;
    default:
      return Rsp.ServiceUnavailable;
  }
}

/** A device publish rejected by the broker (HubError code) → response code. */
export function publishErrorCode(code: string | undefined): number {
  switch (code) {
    case 'PH_AUTH_NOT_AUTHORIZED':
      return Rsp.Forbidden;
    case 'PH_TOPIC_INVALID':
    case 'PH_PROTOCOL_QOS':
    case 'PH_PROTOCOL_RETAIN':
      return Rsp.BadRequest;
    case 'PH_QUOTA_EXCEEDED':
    case 'PH_STATE_DEVICE_CLOSED':
    case 'PH_STATE_STOPPED':
      return Rsp.ServiceUnavailable;
    default:
      return Rsp.InternalServerError;
  }
}
