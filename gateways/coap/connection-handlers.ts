/**
 * The `mqtt/connection` resource (connection mode, EMQX's CoAP gateway semantics): POST connects and returns a
 * token (2.01), PUT with clientid+token is the heartbeat (2.04), DELETE disconnects (2.02). The device session's
 * keep-alive is `heartbeat`: a client that stops heartbeating is disconnected by the broker (its will, if the
 * connect named one, published).
 */
import { randomBytes } from 'node:crypto';
import type { DeviceWill } from '../../src/gateway/index.js';
import { CoapChannel } from './channel.js';
import type { EndpointCore } from './core.js';
import { Method, Rsp } from './message.js';
import { refusalCode, refuseAtLimit } from './refusal.js';
import { answer, armSeparateResponse, fail, type Exchange } from './responder.js';
import { connectedChannel, dropChannel, ensureSession } from './sessions.js';
import type { RequestQuery } from './uri.js';

export async function handleConnection(core: EndpointCore, ex: Exchange, query: RequestQuery): Promise<void> {
  const code = ex.request.code;
  if (!core.config.connection_required)
    return fail(
      core,
      ex,
      Rsp.NotFound,
      'connection_mode_off',
      'connection mode is off (gateways.coap.<name>.connection_required)',
    );
  if (code === Method.POST) return connect(core, ex, query);
  if (code !== Method.PUT && code !== Method.DELETE)
    return fail(core, ex, Rsp.MethodNotAllowed, 'method_not_allowed', 'mqtt/connection takes POST, PUT and DELETE');
  const channel = connectedChannel(core, ex.peer, query);
  if (!channel) return fail(core, ex, Rsp.Unauthorized, 'not_connected', 'unknown clientid or wrong token');
  if (code === Method.PUT) return answer(core, ex, { code: Rsp.Changed });
  channel.session?.close();
  dropChannel(core, channel, 'disconnected');
  answer(core, ex, { code: Rsp.Deleted });
}

/**
 * The will of a connection: `will_topic=` (+ `will_qos=`, `will_retain=`) with the POST body as its payload. The
 * broker publishes it when the session is lost (heartbeat expiry), not on DELETE ([MQTT-3.1.2-8], [MQTT-3.14.4-3]).
 */
function willOf(ex: Exchange, query: RequestQuery): DeviceWill | string | undefined {
  if (query.will_topic === undefined)
    return query.will_qos !== undefined || query.will_retain !== undefined
      ? 'will_qos/will_retain need will_topic'
      : undefined;
  return {
    topic: query.will_topic,
    payload: ex.request.payload,
    qos: query.will_qos ?? 0,
    retain: query.will_retain ?? false,
  };
}

async function connect(core: EndpointCore, ex: Exchange, query: RequestQuery): Promise<void> {
  const clientId = query.clientid;
  if (!clientId) return fail(core, ex, Rsp.BadRequest, 'bad_request', 'clientid is required');
  const will = willOf(ex, query);
  if (typeof will === 'string') return fail(core, ex, Rsp.BadRequest, 'bad_will', will);
  const existing = core.channels.get(clientId);
  if (!existing && core.channels.size >= core.config.limits.max_clients)
    return refuseAtLimit(core, ex, 'clients_limit', 'too many CoAP clients', core.config.heartbeat);
  armSeparateResponse(core, ex);
  // A second connect with the same client id takes over: the broker ends the old session (onClose) and this
  // channel replaces it.
  const channel = new CoapChannel(clientId, clientId, ex.peer, core.now());
  const sessionExpiry = Math.floor(core.config.session_expiry / 1000);
  const s = await ensureSession(core, channel, query, {
    keepAlive: Math.ceil(core.config.heartbeat / 1000),
    cleanStart: sessionExpiry === 0,
    sessionExpiry,
    will,
  });
  if ('refused' in s) return fail(core, ex, refusalCode(s.refused), `connect_${s.refused}`, s.detail);
  if (existing && existing !== channel) dropChannel(core, existing, 'taken_over'); // a no-op when onClose ran
  channel.token = randomBytes(8).toString('hex');
  core.channels.set(clientId, channel);
  answer(core, ex, { code: Rsp.Created, payload: Buffer.from(channel.token) });
}
