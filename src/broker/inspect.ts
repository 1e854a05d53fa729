/**
 * Read-only views of the broker for the HTTP API (clients, subscriptions, topics, retained) and the one
 * administrative action it needs (kick). Kept out of broker.ts so the routing core stays small.
 *
 * A client is a non-internal session. Who is behind it comes from its sink: a network connection
 * (ConnectionSink), or any sink that implements DescribedSink — device gateways (MQTT-SN, CoAP, LwM2M) give
 * their per-device sessions such a sink, so their devices list and kick like TCP clients, labelled by protocol.
 */
import type { Broker } from './broker.js';
import { ConnectionSink } from './outbound.js';
import { RC } from './reason-codes.js';
import type { Session, SessionSink } from './session.js';
import type { BrokerMessage } from './message.js';
import { topicMatches } from './topic/index.js';

/** What a connected sink tells about its peer. */
export interface ClientDetails {
  /** `mqtt` for network MQTT clients; a device gateway's protocol otherwise (`mqttsn`, `coap`, `lwm2m`). */
  protocol: string;
  username?: string;
  ip_address?: string;
  port?: number;
  /** Listener or gateway instance it came through, e.g. `tcp:default`, `mqttsn.plant`. */
  listener?: string;
  /** Keep alive in seconds (0 = none). */
  keepalive?: number;
  /** Epoch ms of connect. */
  connected_at?: number;
}

/** A sink that can describe its peer and close it (device gateway sessions implement this). */
export interface DescribedSink extends SessionSink {
  describe(): ClientDetails;
  kick(): void;
}

export interface ClientInfo extends ClientDetails {
  clientid: string;
  connected: boolean;
  proto_ver: number;
  clean_start: boolean;
  expiry_interval: number;
  disconnected_at?: number;
  subscriptions_cnt: number;
  inflight_cnt: number;
  mqueue_len: number;
}

function isDescribed(sink: SessionSink | undefined): sink is DescribedSink {
  return typeof (sink as Partial<DescribedSink> | undefined)?.describe === 'function';
}

function details(broker: Broker, sink: SessionSink | undefined): ClientDetails | undefined {
  if (sink instanceof ConnectionSink) {
    const c = sink.connection;
    const socket = c.socket as { remotePort?: number };
    return {
      protocol: 'mqtt',
      username: c.identity?.username,
      ip_address: c.remoteAddress || undefined,
      port: socket.remotePort,
      listener: c.env.listener,
      keepalive: Math.round(c.keepAliveMs / 1000 / broker.options.keepalive_multiplier),
      connected_at: c.openedAt,
    };
  }
  return isDescribed(sink) ? sink.describe() : undefined;
}

/** Protocol, user name and address only: cheap enough to filter every session per request (no syscalls). */
export function clientIdentity(s: Session): { protocol: string; username?: string; ip_address?: string } {
  const sink = s.sink;
  if (sink instanceof ConnectionSink) {
    const c = sink.connection;
    return { protocol: 'mqtt', username: c.identity?.username, ip_address: c.remoteAddress || undefined };
  }
  if (isDescribed(sink)) {
    const d = sink.describe();
    return { protocol: d.protocol, username: d.username, ip_address: d.ip_address };
  }
  return { protocol: 'mqtt' };
}

export function clientInfo(broker: Broker, s: Session): ClientInfo {
  const d = details(broker, s.sink);
  return {
    clientid: s.clientId,
    protocol: d?.protocol ?? 'mqtt',
    ...d,
    connected: s.sink !== undefined,
    proto_ver: s.protocolVersion,
    clean_start: !s.persistent,
    expiry_interval: s.expiryInterval,
    disconnected_at: s.disconnectedAt,
    subscriptions_cnt: s.subscriptions.size,
    inflight_cnt: s.inflightCount,
    mqueue_len: s.queuedCount,
  };
}

/** Client sessions in creation order; `$hub/…` sessions (gateways, bridges) are the hub's own and not listed. */
export function* clientSessions(broker: Broker): IterableIterator<Session> {
  for (const s of broker.sessions.values()) if (!s.internal) yield s;
}

export function findClient(broker: Broker, clientId: string): Session | undefined {
  const s = broker.sessions.get(clientId);
  return s && !s.internal ? s : undefined;
}

/**
 * Disconnect the client (v5: DISCONNECT 0x98 administrative action) and discard its session, as EMQX's kick
 * does; its will is not published. Returns false when there is no such client.
 */
export function kickClient(broker: Broker, clientId: string): boolean {
  const s = findClient(broker, clientId);
  if (!s) return false;
  const sink = s.sink;
  if (sink instanceof ConnectionSink) sink.connection.disconnect(RC.ADMINISTRATIVE_ACTION, 'kicked');
  else if (isDescribed(sink)) sink.kick();
  broker.endSession(s, false);
  return true;
}

export interface SubscriptionInfo {
  clientid: string;
  topic: string;
  qos: number;
  nl: number;
  rap: number;
  rh: number;
}

export function* subscriptions(broker: Broker, session?: Session): IterableIterator<SubscriptionInfo> {
  const sessions = session ? [session] : clientSessions(broker);
  for (const s of sessions)
    for (const sub of s.subscriptions.values())
      yield {
        clientid: s.clientId,
        topic: sub.filter,
        qos: sub.qos,
        nl: sub.noLocal ? 1 : 0,
        rap: sub.retainAsPublished ? 1 : 0,
        rh: sub.retainHandling,
      };
}

/** Distinct subscribed filters with the number of sessions on each (EMQX's /topics lists routes). */
export function topics(broker: Broker): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of broker.sessions.values())
    for (const filter of s.subscriptions.keys()) out.set(filter, (out.get(filter) ?? 0) + 1);
  return out;
}

export function* retainedMessages(broker: Broker, filter = '#'): IterableIterator<BrokerMessage> {
  yield* broker.retained.matching(filter, topicMatches);
}
