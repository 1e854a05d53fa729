/**
 * Broker.connectDevice(): the CONNECT of a device behind a client gateway — client id checks, authentication
 * through the hub's `auth` (with a per-gateway allow_anonymous override), mountpoint expansion, will validation,
 * takeover of a connection with the same client id, then the session is opened or resumed.
 */
import type { Logger } from '../logger.js';
import type { AccessControl, AuthResult } from './access.js';
import type { Broker } from './broker.js';
import type { DeviceEntry } from './device-registry.js';
import { DeviceSessionImpl, willMessage } from './device-session.js';
import type { DeviceConnectRequest, DeviceConnectResult, DeviceRefusal } from './device-types.js';
import { expandMountpoint, mountpoint, mountpointProblem } from './mountpoint.js';
import { ConnectionSink } from './outbound.js';
import { RC } from './reason-codes.js';

const DEFAULT_WINDOW = 16;

/** Apply the gateway's allow_anonymous override to what the hub's authenticator decided. */
function withAnonymousOverride(auth: AuthResult, req: DeviceConnectRequest): AuthResult {
  if (req.allowAnonymous === undefined || auth.method !== 'anonymous') return auth;
  if (req.allowAnonymous && !auth.ok) return { ok: true, method: 'anonymous', username: req.username };
  if (!req.allowAnonymous && auth.ok)
    return {
      ok: false,
      reason: 'not_authorized',
      method: 'anonymous',
      detail: 'allow_anonymous = false on this gateway',
    };
  return auth;
}

export async function connectDevice(
  broker: Broker,
  access: AccessControl,
  logger: Logger,
  req: DeviceConnectRequest,
): Promise<DeviceConnectResult> {
  const m = broker.metrics;
  const labels = { listener: req.gateway, protocol: req.protocol };
  const refuse = (reason: DeviceRefusal, detail: string): DeviceConnectResult => {
    m.refused.inc({ ...labels, reason });
    logger.info(
      { clientId: req.clientId, peer: req.peerAddress, gateway: req.gateway, reason, detail },
      'device refused',
    );
    return { ok: false, reason, detail };
  };
  if (!broker.running) return refuse('server_unavailable', 'broker is not running');
  const opts = broker.options;
  const { clientId } = req;
  // [MQTT-3.1.3-9] ids the broker cannot accept; `$hub/` is reserved for in-process sessions
  if (clientId.length === 0 || clientId.length > opts.max_clientid_len || clientId.startsWith('$hub/'))
    return refuse('bad_clientid', `client id of ${clientId.length} characters not accepted`);

  const auth = withAnonymousOverride(
    await access.authenticate({
      clientId,
      username: req.username,
      password: req.password,
      remoteAddress: req.peerAddress,
    }),
    req,
  );
  if (!auth.ok) return refuse(auth.reason, auth.detail ?? auth.reason);
  if (!broker.running) return refuse('server_unavailable', 'broker stopped during authentication');
  const username = auth.username ?? req.username;
  const identity = { clientId, username, remoteAddress: req.peerAddress, acl: auth.acl };

  const prefix = req.mountpoint ? expandMountpoint(req.mountpoint, clientId, username) : '';
  const problem = prefix ? mountpointProblem(prefix) : undefined;
  if (problem) return refuse('bad_clientid', problem);
  const mp = mountpoint(prefix);
  const will = req.will ? willMessage(broker, req.will, mp, { clientId, username }) : undefined;
  if (typeof will === 'string') return refuse('bad_will', will);

  // [MQTT-3.1.4-3] takeover: a network connection with this client id is closed (v5: DISCONNECT 0x8E); a device
  // session is told by Broker.openSession
  const existing = broker.sessions.get(clientId);
  if (existing?.sink instanceof ConnectionSink) existing.sink.connection.disconnect(RC.SESSION_TAKEN_OVER, 'takeover');

  const limits = req.queue
    ? {
        ...(req.queue.maxMessages !== undefined ? { maxMessages: req.queue.maxMessages } : {}),
        ...(req.queue.maxBytes !== undefined ? { maxBytes: req.queue.maxBytes } : {}),
        ...(req.queue.overflow !== undefined ? { overflow: req.queue.overflow } : {}),
      }
    : undefined;
  const { session, present } = broker.openSession(clientId, {
    cleanStart: req.cleanStart,
    protocolVersion: 5,
    expiryInterval: req.sessionExpiry,
    limits,
  });
  const counterLabels = { listener: req.gateway };
  const connections = { listener: req.gateway, protocol: req.protocol };
  const registered: { entry?: DeviceEntry } = {};
  const device = new DeviceSessionImpl({
    broker,
    session,
    access,
    identity,
    mountpoint: mp,
    handler: req.handler,
    logger,
    info: {
      clientId,
      protocol: req.protocol,
      gateway: req.gateway,
      username,
      peerAddress: req.peerAddress,
      peerPort: req.peerPort,
      connectedAt: Date.now(),
      keepAlive: req.keepAlive ?? 0,
      cleanStart: req.cleanStart,
      sessionExpiry: session.expiryInterval,
    },
    inflightWindow: req.inflightWindow ?? DEFAULT_WINDOW,
    maxParked: req.queue?.maxMessages ?? opts.max_mqueue_len,
    counters: { sent: m.sent.labels(counterLabels), received: m.received.labels(counterLabels) },
    disconnectAt: auth.disconnectAt,
    enforceKeepAlive: req.enforceKeepAlive ?? true,
    onEnd: (_device, reason) => {
      m.connections.dec(connections);
      if (registered.entry) broker.devices.remove(registered.entry, reason);
    },
  });
  if (will) device.setWill(req.will);
  session.sink = device.sink;
  m.connections.inc(connections);
  m.connectionsTotal.inc(connections);
  registered.entry = {
    get info() {
      return device.info;
    },
    identity,
  };
  broker.devices.add(registered.entry);
  logger.debug({ clientId, peer: req.peerAddress, gateway: req.gateway, present }, 'device connected');
  return { ok: true, session: device, sessionPresent: present };
}
