/**
 * CONNECT: validation, authentication, session takeover/resumption and CONNACK (MQTT 3.1.1 §3.1–3.2, 5.0 §3.1–3.2).
 */
import { randomBytes } from 'node:crypto';
import type mqttPacket from 'mqtt-packet';
import type { PublishProperties, QoS } from '../envelope.js';
import { NEVER_EXPIRES } from './broker.js';
import type { AuthResult } from './access.js';
import { authenticateEnhanced, disconnectAt } from './auth-handler.js';
import type { Connection } from './connection.js';
import { expiresAt } from './message.js';
import { ConnectionSink } from './outbound.js';
import { RC, v3ConnackCode } from './reason-codes.js';
import { validateTopicName } from './topic/index.js';

/** State re-read after an await: the socket may have closed meanwhile. */
function isClosed(conn: Connection): boolean {
  return (conn.state as string) === 'closed';
}

/** Answer CONNECT with a failure code and close ([MQTT-3.2.2-5]: CONNACK then close). */
export function refuseConnect(conn: Connection, rc: number, counterReason: string, reasonString?: string): void {
  const v5 = conn.protocolVersion === 5;
  conn.env.broker.metrics.refused.inc({ listener: conn.env.listener, reason: counterReason });
  conn.logger.info(
    { remote: conn.remoteAddress, clientId: conn.identity?.clientId, reason: counterReason },
    'connection refused',
  );
  conn.send(
    v5
      ? {
          cmd: 'connack',
          sessionPresent: false,
          reasonCode: rc,
          properties: reasonString ? { reasonString } : undefined,
        }
      : { cmd: 'connack', sessionPresent: false, returnCode: v3ConnackCode(rc) },
  );
  conn.close();
}

export async function handleConnect(conn: Connection, packet: mqttPacket.IConnectPacket): Promise<void> {
  const broker = conn.env.broker;
  const opts = broker.options;
  const version = (packet.protocolVersion ?? 4) as 3 | 4 | 5;
  conn.protocolVersion = version;
  const v5 = version === 5;
  const props = packet.properties ?? {};

  if (conn.env.refuse)
    return refuseConnect(conn, RC.SERVER_UNAVAILABLE, 'max_connections', 'listener connection limit reached');
  if (!broker.running) return refuseConnect(conn, RC.SERVER_UNAVAILABLE, 'stopping');

  let clientId = packet.clientId ?? '';
  let assigned = false;
  if (clientId.length === 0) {
    // [MQTT-3.1.3-8] v3.1.1 empty id needs clean session; v3.1 has no empty ids; v5 always assigns
    if (version === 3 || (version === 4 && !packet.clean))
      return refuseConnect(conn, RC.CLIENT_ID_NOT_VALID, 'bad_clientid');
    clientId = `auto-${randomBytes(8).toString('hex')}`; // [MQTT-3.1.3-6]
    assigned = true;
  }
  if (clientId.length > opts.max_clientid_len || clientId.startsWith('$hub/')) {
    return refuseConnect(conn, RC.CLIENT_ID_NOT_VALID, 'bad_clientid'); // [MQTT-3.1.3-9]
  }
  conn.identity = { clientId, username: packet.username, remoteAddress: conn.remoteAddress };
  conn.problemInformation = !v5 || props.requestProblemInformation !== false;

  const authMethod = v5 ? props.authenticationMethod : undefined;
  if (authMethod === undefined && v5 && props.authenticationData !== undefined) {
    // §3.1.2.11.10: Authentication Data without an Authentication Method is a Protocol Error
    return refuseConnect(conn, RC.PROTOCOL_ERROR, 'auth_protocol', 'authentication data without a method');
  }
  if (authMethod !== undefined && !conn.env.authMethods.includes(authMethod)) {
    // [MQTT-4.12.0-1] unsupported authentication method
    return refuseConnect(conn, RC.BAD_AUTHENTICATION_METHOD, 'bad_auth_method');
  }

  let auth: AuthResult;
  let authData: Buffer | undefined;
  if (authMethod !== undefined) {
    // §4.12 enhanced authentication: the CONNECT user name/password play no part beyond naming the user
    const r = await authenticateEnhanced(conn, authMethod, props.authenticationData, packet.username, clientId);
    if (!r || isClosed(conn)) return;
    auth = { ok: true, username: r.username };
    authData = r.data;
  } else {
    auth = await conn.env.access.authenticate({
      clientId,
      username: packet.username,
      password: packet.password === undefined ? undefined : Buffer.from(packet.password),
      remoteAddress: conn.remoteAddress,
    });
  }
  if (isClosed(conn)) return;
  if (!auth.ok) {
    return refuseConnect(
      conn,
      auth.reason === 'bad_credentials' ? RC.BAD_USERNAME_OR_PASSWORD : RC.NOT_AUTHORIZED,
      auth.reason,
    );
  }
  conn.identity = {
    clientId,
    username: auth.username ?? packet.username,
    remoteAddress: conn.remoteAddress,
    acl: auth.acl,
  };

  const will = packet.will;
  if (will) {
    const bad = validateTopicName(will.topic, opts.max_topic_levels);
    if (bad) return refuseConnect(conn, RC.TOPIC_NAME_INVALID, 'bad_will_topic', bad);
    if ((will.qos ?? 0) > opts.max_qos_allowed) return refuseConnect(conn, RC.QOS_NOT_SUPPORTED, 'will_qos'); // [MQTT-3.2.2-12]
    if (will.retain && !opts.retain_available) return refuseConnect(conn, RC.RETAIN_NOT_SUPPORTED, 'will_retain'); // [MQTT-3.2.2-13]
  }

  // [MQTT-3.1.4-3] takeover: the existing connection of this client id is closed (v5: DISCONNECT 0x8E)
  const existing = broker.sessions.get(clientId);
  if (existing?.sink instanceof ConnectionSink) existing.sink.connection.disconnect(RC.SESSION_TAKEN_OVER, 'takeover');
  if (isClosed(conn)) return;

  const requestedExpiry = v5 ? (props.sessionExpiryInterval ?? 0) : (packet.clean ?? true) ? 0 : NEVER_EXPIRES;
  const { session, present } = broker.openSession(clientId, {
    cleanStart: packet.clean ?? true,
    protocolVersion: version,
    expiryInterval: requestedExpiry,
  });
  conn.session = session;

  const keepAlive = v5 && opts.server_keep_alive !== undefined ? opts.server_keep_alive : (packet.keepalive ?? 0);
  // [MQTT-3.1.2-24] close after 1.5 keep-alive periods of silence
  conn.keepAliveMs = keepAlive * 1000 * opts.keepalive_multiplier;

  const sink = new ConnectionSink(
    conn,
    {
      receiveMaximum: v5 ? (props.receiveMaximum ?? 65535) : opts.max_inflight,
      maximumPacketSize: v5 && props.maximumPacketSize ? props.maximumPacketSize : Infinity,
      topicAliasMaximum: v5 ? (props.topicAliasMaximum ?? 0) : 0,
    },
    opts.outbound_buffer,
  );
  conn.sink = sink;
  session.sink = sink;

  if (will) {
    const wp = will.properties ?? {};
    const properties: PublishProperties = {};
    if (wp.payloadFormatIndicator !== undefined) properties.payloadFormatIndicator = wp.payloadFormatIndicator;
    if (wp.messageExpiryInterval !== undefined) properties.messageExpiryInterval = wp.messageExpiryInterval;
    if (wp.contentType !== undefined) properties.contentType = wp.contentType;
    if (wp.responseTopic !== undefined) properties.responseTopic = wp.responseTopic;
    if (wp.correlationData !== undefined) properties.correlationData = Buffer.from(wp.correlationData);
    if (wp.userProperties !== undefined) properties.userProperties = wp.userProperties;
    const now = Date.now();
    conn.will = {
      delay: v5 ? (wp.willDelayInterval ?? 0) : 0,
      message: {
        topic: will.topic,
        payload: Buffer.from(will.payload ?? Buffer.alloc(0)),
        qos: (will.qos ?? 0) as QoS,
        retain: will.retain ?? false,
        properties: Object.keys(properties).length > 0 ? properties : undefined,
        expiresAt: expiresAt(properties, now),
        receivedAt: now,
        origin: { clientId, username: conn.identity.username },
      },
    };
  }

  const connackProps: Record<string, unknown> = {};
  if (v5) {
    if (session.expiryInterval !== requestedExpiry) connackProps.sessionExpiryInterval = session.expiryInterval;
    if (opts.receive_maximum < 65535) connackProps.receiveMaximum = opts.receive_maximum; // absent = 65535 (§3.2.2.3.3)
    if (opts.max_qos_allowed < 2) connackProps.maximumQoS = opts.max_qos_allowed;
    if (!opts.retain_available) connackProps.retainAvailable = false;
    connackProps.maximumPacketSize = opts.max_packet_size;
    if (assigned) connackProps.assignedClientIdentifier = clientId;
    connackProps.topicAliasMaximum = opts.max_topic_alias;
    if (!opts.wildcard_subscription) connackProps.wildcardSubscriptionAvailable = false;
    connackProps.subscriptionIdentifiersAvailable = true;
    if (!opts.shared_subscription) connackProps.sharedSubscriptionAvailable = false;
    if (opts.server_keep_alive !== undefined) connackProps.serverKeepAlive = opts.server_keep_alive;
    if (authMethod !== undefined) {
      // §3.2.2.3.17-18: the CONNACK of an enhanced authentication carries its method and final data
      connackProps.authenticationMethod = authMethod;
      if (authData && authData.length > 0) connackProps.authenticationData = authData;
      conn.enhancedAuth = { method: authMethod };
    }
  }
  conn.state = 'connected';
  conn.send(
    v5
      ? { cmd: 'connack', sessionPresent: present, reasonCode: RC.SUCCESS, properties: connackProps }
      : { cmd: 'connack', sessionPresent: version === 4 && present, returnCode: 0 }, // [MQTT-3.2.2-1/2]
  );
  conn.logger.debug(
    { clientId, remote: conn.remoteAddress, version, present, listener: conn.env.listener },
    'client connected',
  );
  broker.clientEvents?.connected({
    clientid: clientId,
    username: conn.identity.username,
    ipaddress: conn.remoteAddress,
    proto_ver: version,
    proto_name: 'MQTT',
    keepalive: packet.keepalive ?? 0,
    clean_start: packet.clean ?? true,
    listener: conn.env.listener,
    connected_at: Date.now(),
  });
  disconnectAt(conn, auth.disconnectAt);
  session.resume();
}
