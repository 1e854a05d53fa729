/**
 * MQTT 5 enhanced authentication (§4.12, AUTH packet §3.15): the exchange during CONNECT, re-authentication
 * on an established connection (§4.12.1), and the end of a connection whose credentials expire (JWT `exp`).
 * The mechanism itself (SCRAM) lives behind AccessControl.beginEnhancedAuth; this file only moves its data.
 */
import type mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { EnhancedAuthExchange } from './access.js';
import { refuseConnect } from './connect-handler.js';
import type { Connection } from './connection.js';
import { RC } from './reason-codes.js';

/** Longest the broker waits for the client's next AUTH during CONNECT, unless access says otherwise. */
export const AUTH_STEP_TIMEOUT_MS = 20_000;
/** SCRAM needs two client messages; more rounds than this is a client looping. */
const MAX_ROUNDS = 4;
/** setTimeout's longest delay; later expiries re-arm. */
const MAX_TIMER_MS = 0x7fffffff;

export interface EnhancedAuthState {
  method: string;
  /** The re-authentication in progress, if any. */
  exchange?: EnhancedAuthExchange;
  /** A step is being computed; the client must wait for our answer before sending the next AUTH. */
  busy?: boolean;
}

function authPacket(reasonCode: number, method: string, data: Buffer | undefined): Packet {
  const properties: mqttPacket.IAuthPacket['properties'] = { authenticationMethod: method };
  if (data) properties.authenticationData = data;
  return { cmd: 'auth', reasonCode, properties } as Packet;
}

/** Next AUTH from the client during CONNECT, or undefined on close or timeout. */
function nextAuth(conn: Connection): Promise<mqttPacket.IAuthPacket | undefined> {
  return new Promise((resolve) => {
    const timeoutMs = conn.env.access.enhancedAuthStepTimeoutMs ?? AUTH_STEP_TIMEOUT_MS;
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    timer.unref();
    const finish = (p: mqttPacket.IAuthPacket | undefined) => {
      clearTimeout(timer);
      conn.authWaiter = undefined;
      conn.socket.pause();
      resolve(p);
    };
    conn.authWaiter = finish;
    conn.socket.resume();
  });
}

/**
 * Run the exchange a v5 CONNECT with an Authentication Method starts. Returns the user and the final data for
 * the CONNACK, or undefined after refusing the connection (CONNACK ≥ 0x80, then close [MQTT-4.12.0-4]).
 */
export async function authenticateEnhanced(
  conn: Connection,
  method: string,
  firstData: Buffer | undefined,
  connectUsername: string | undefined,
  clientId: string,
): Promise<{ username: string; data: Buffer } | undefined> {
  const begin = conn.env.access.beginEnhancedAuth;
  if (!begin) {
    refuseConnect(conn, RC.BAD_AUTHENTICATION_METHOD, 'bad_auth_method');
    return undefined;
  }
  const exchange = begin.call(conn.env.access, method, {
    clientId,
    username: connectUsername,
    remoteAddress: conn.remoteAddress,
    reauth: false,
  });
  let data = firstData ?? Buffer.alloc(0);
  for (let round = 1; ; round++) {
    const step = await exchange.step(data);
    if (conn.state === 'closed') return undefined;
    if (step.kind === 'success') return { username: step.username, data: step.data };
    if (step.kind === 'failure') {
      // [MQTT-4.12.0-4] any CONNACK ≥ 0x80 may reject; 0x86 means the User Name or Password given in CONNECT is
      // not accepted (§3.2.2.2), fields SCRAM does not use, so 0x87. The reason string stays generic.
      refuseConnect(conn, RC.NOT_AUTHORIZED, `auth_${step.failure}`, 'authentication failed');
      return undefined;
    }
    if (round >= MAX_ROUNDS) {
      refuseConnect(conn, RC.PROTOCOL_ERROR, 'auth_rounds', 'too many authentication rounds');
      return undefined;
    }
    // [MQTT-4.12.0-2] more data needed: AUTH 0x18 with the same method
    conn.send(authPacket(RC.CONTINUE_AUTHENTICATION, method, step.data));
    const reply = await nextAuth(conn);
    if ((conn.state as string) === 'closed') return undefined;
    if (!reply) {
      refuseConnect(conn, RC.NOT_AUTHORIZED, 'auth_timeout', 'authentication timed out');
      return undefined;
    }
    // [MQTT-4.12.0-3] the client answers with AUTH 0x18; [MQTT-4.12.0-5] same method throughout
    if (reply.reasonCode !== RC.CONTINUE_AUTHENTICATION || reply.properties?.authenticationMethod !== method) {
      refuseConnect(conn, RC.PROTOCOL_ERROR, 'auth_protocol', 'expected AUTH 0x18 with the CONNECT method');
      return undefined;
    }
    data = reply.properties?.authenticationData ?? Buffer.alloc(0);
  }
}

/** A packet that arrived while a CONNECT exchange waits for the client's AUTH (see Connection.onPacket). */
export function packetDuringExchange(conn: Connection, packet: Packet): void {
  if (packet.cmd === 'auth') return conn.authWaiter?.(packet);
  if (packet.cmd === 'disconnect') return conn.close();
  // §4.12: until CONNACK a client using enhanced authentication may send only AUTH and DISCONNECT
  refuseConnect(conn, RC.PROTOCOL_ERROR, 'auth_protocol', `${packet.cmd} during authentication`);
}

/** AUTH on an established connection: re-authentication (§4.12.1), or 0x8C if it never used a method. */
export function handleAuth(conn: Connection, packet: mqttPacket.IAuthPacket): void {
  const ea = conn.enhancedAuth;
  // §4.12 / [MQTT-3.15.2-1]: no enhanced authentication on this connection
  if (!ea) return conn.disconnect(RC.BAD_AUTHENTICATION_METHOD, 'bad_auth_method');
  const method = packet.properties?.authenticationMethod;
  // [MQTT-4.12.1-1] re-authentication uses the method of the CONNECT
  if (method !== ea.method)
    return conn.protocolError('auth_protocol', RC.PROTOCOL_ERROR, `AUTH method ${method} differs from ${ea.method}`);
  if (ea.busy) return conn.protocolError('auth_protocol', RC.PROTOCOL_ERROR, 'AUTH before the previous was answered');
  const data = packet.properties?.authenticationData ?? Buffer.alloc(0);
  if (packet.reasonCode === RC.RE_AUTHENTICATE && !ea.exchange) {
    ea.exchange = conn.env.access.beginEnhancedAuth!(method, {
      clientId: conn.identity!.clientId,
      username: conn.identity!.username,
      remoteAddress: conn.remoteAddress,
      reauth: true,
    });
  } else if (packet.reasonCode !== RC.CONTINUE_AUTHENTICATION || !ea.exchange) {
    // 0x19 during an exchange, 0x18 outside one, or 0x00 from a client
    return conn.protocolError('auth_protocol', RC.PROTOCOL_ERROR, `unexpected AUTH reason 0x${hex(packet.reasonCode)}`);
  }
  const exchange = ea.exchange;
  ea.busy = true;
  exchange.step(data).then(
    (step) => {
      ea.busy = false;
      if (conn.state === 'closed') return;
      if (step.kind === 'continue') return void conn.send(authPacket(RC.CONTINUE_AUTHENTICATION, method, step.data));
      ea.exchange = undefined;
      // [MQTT-4.12.1-2] failed re-authentication: DISCONNECT with a reason code, close
      if (step.kind === 'failure') return conn.disconnect(RC.NOT_AUTHORIZED, 'reauth_failed');
      conn.send(authPacket(RC.SUCCESS, method, step.data));
    },
    (err: unknown) => {
      ea.busy = false;
      conn.logger.error({ err, clientId: conn.identity?.clientId }, 're-authentication failed with an error');
      conn.disconnect(RC.UNSPECIFIED, 'reauth_error');
    },
  );
}

function hex(n: number | undefined): string {
  return (n ?? 0).toString(16).padStart(2, '0');
}

/**
 * End the connection at `at` (ms since epoch; a JWT's exp): v5 DISCONNECT 0xA0 Maximum connect time, v3 close.
 * The timer is cleared when the connection closes (releaseAuth).
 */
export function disconnectAt(conn: Connection, at: number | undefined): void {
  if (at === undefined || conn.state === 'closed') return;
  const wait = at - Date.now();
  clearTimeout(conn.expiryTimer);
  conn.expiryTimer = setTimeout(
    () => {
      if (at > Date.now()) return disconnectAt(conn, at);
      conn.logger.info(
        { clientId: conn.identity?.clientId, remote: conn.remoteAddress },
        'credentials expired, disconnecting',
      );
      conn.disconnect(RC.MAXIMUM_CONNECT_TIME, 'credentials_expired');
    },
    Math.min(Math.max(wait, 0), MAX_TIMER_MS),
  );
  conn.expiryTimer.unref();
}

/** Connection closed: stop the expiry timer, end a pending CONNECT exchange. */
export function releaseAuth(conn: Connection): void {
  clearTimeout(conn.expiryTimer);
  conn.expiryTimer = undefined;
  conn.authWaiter?.(undefined);
  if (conn.enhancedAuth) conn.enhancedAuth.exchange = undefined;
}
