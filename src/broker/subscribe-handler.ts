/**
 * SUBSCRIBE / UNSUBSCRIBE (MQTT 5.0 §3.8–3.11, 3.1.1 §3.8–3.11).
 */
import type mqttPacket from 'mqtt-packet';
import type { QoS } from '../envelope.js';
import type { StoredSubscription } from '../store/types.js';
import type { Connection } from './connection.js';
import { RC, REASON_TEXT } from './reason-codes.js';
import { hasWildcard, parseSharedFilter, validateTopicFilter } from './topic/index.js';

/** Reason code for one subscription request, or the granted QoS. */
function check(conn: Connection, sub: mqttPacket.ISubscription): number {
  const opts = conn.env.broker.options;
  const shared = parseSharedFilter(sub.topic, opts.max_topic_levels);
  let inner = sub.topic;
  if (shared) {
    if (!('group' in shared)) return RC.TOPIC_FILTER_INVALID; // [MQTT-4.8.2-1] [MQTT-4.8.2-2]
    if (!opts.shared_subscription) return RC.SHARED_NOT_SUPPORTED; // [MQTT-3.8.3-4]... §3.2.2.3.15
    inner = shared.filter;
  } else if (validateTopicFilter(sub.topic, opts.max_topic_levels)) {
    return RC.TOPIC_FILTER_INVALID; // [MQTT-3.8.3-1] / [MQTT-4.7.1-*]
  }
  if (!opts.wildcard_subscription && hasWildcard(inner)) return RC.WILDCARDS_NOT_SUPPORTED;
  if (!conn.env.access.authorize(conn.identity!, 'subscribe', sub.topic)) {
    conn.env.broker.metrics.dropped.inc({ reason: 'not_authorized' });
    return RC.NOT_AUTHORIZED;
  }
  return Math.min(sub.qos, opts.max_qos_allowed); // [MQTT-3.9.3-2] granted QoS may be lower
}

export function handleSubscribe(conn: Connection, packet: mqttPacket.ISubscribePacket): void {
  const broker = conn.env.broker;
  const session = conn.session!;
  const v5 = conn.protocolVersion === 5;
  const subId = v5 ? packet.properties?.subscriptionIdentifier : undefined;
  const subIdValue = Array.isArray(subId) ? subId[0] : subId;
  if (subIdValue === 0)
    return conn.protocolError('subscription_id_zero', RC.PROTOCOL_ERROR, 'subscription identifier 0'); // [MQTT-3.8.2-?] range 1..268435455
  // [MQTT-3.8.3-2] a SUBSCRIBE must carry at least one filter; [MQTT-3.10.3-2] likewise UNSUBSCRIBE
  if (packet.subscriptions.length === 0)
    return conn.protocolError('empty_subscribe', RC.PROTOCOL_ERROR, 'SUBSCRIBE without topic filters');
  const granted: number[] = [];
  const accepted: Array<{ sub: StoredSubscription; isNew: boolean }> = [];
  const max = broker.options.max_subscriptions;
  for (const s of packet.subscriptions) {
    if (v5 && s.nl && s.topic.startsWith('$share/')) {
      // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
      return conn.protocolError('shared_no_local', RC.PROTOCOL_ERROR, 'no local set on a shared subscription');
    }
    let rc = check(conn, s);
    if (rc < 0x80 && max > 0 && !session.subscriptions.has(s.topic) && session.subscriptions.size >= max)
      rc = RC.QUOTA_EXCEEDED;
    if (rc >= 0x80) {
      // v3.1.1 knows only 0x80 Failure ([MQTT-3.9.3-2])
      granted.push(v5 ? rc : 0x80);
      continue;
    }
    const sub: StoredSubscription = {
      filter: s.topic,
      qos: rc as QoS,
      noLocal: v5 ? Boolean(s.nl) : false,
      retainAsPublished: v5 ? Boolean(s.rap) : false,
      retainHandling: v5 ? ((s.rh ?? 0) as 0 | 1 | 2) : 0,
      subscriptionId: subIdValue,
    };
    accepted.push({ sub, isNew: broker.subscribe(session, sub) });
    granted.push(rc);
  }
  // [MQTT-3.8.4-1] SUBACK with the same packet id, one code per filter in order ([MQTT-3.8.4-6])
  const failed = granted.find((g) => g >= 0x80);
  const reasonString = v5 && failed !== undefined && conn.problemInformation ? REASON_TEXT[failed] : undefined;
  conn.send({
    cmd: 'suback',
    messageId: packet.messageId,
    granted,
    ...(reasonString ? { properties: { reasonString } } : {}),
  } as mqttPacket.Packet);
  // retained messages follow the SUBACK
  for (const { sub, isNew } of accepted) broker.deliverRetained(session, sub, isNew);
}

export function handleUnsubscribe(conn: Connection, packet: mqttPacket.IUnsubscribePacket): void {
  const broker = conn.env.broker;
  const session = conn.session!;
  if (packet.unsubscriptions.length === 0)
    return conn.protocolError('empty_unsubscribe', RC.PROTOCOL_ERROR, 'UNSUBSCRIBE without topic filters');
  const codes = packet.unsubscriptions.map((filter) =>
    broker.unsubscribe(session, filter) ? RC.SUCCESS : RC.NO_SUBSCRIPTION_EXISTED,
  );
  // [MQTT-3.10.4-4] UNSUBACK even when nothing was removed; v5 carries a reason code per filter
  if (conn.protocolVersion === 5)
    conn.send({ cmd: 'unsuback', messageId: packet.messageId, granted: codes, properties: {} } as mqttPacket.Packet);
  else conn.send({ cmd: 'unsuback', messageId: packet.messageId } as mqttPacket.Packet);
}
