/**
 * Inbound PUBLISH / PUBREL and the acknowledgements of outbound messages (MQTT 5.0 §3.3–3.7, §4.3).
 */
import type mqttPacket from 'mqtt-packet';
import type { PublishProperties, QoS } from '../envelope.js';
import type { Connection } from './connection.js';
import { expiresAt, wireKey, type BrokerMessage } from './message.js';
import type { InboundPublish } from './publish-codec.js';
import { RC, REASON_TEXT } from './reason-codes.js';
import { validateTopicName } from './topic/index.js';

function ack(conn: Connection, cmd: 'puback' | 'pubrec', messageId: number, reasonCode: number): void {
  // [MQTT-4.6.0-2] behind an acknowledgement that waits for a durable consumer, even an immediate one queues
  if (!conn.acks.idle) return conn.acks.enqueue(() => sendAck(conn, cmd, messageId, reasonCode))();
  sendAck(conn, cmd, messageId, reasonCode);
}

function sendAck(conn: Connection, cmd: 'puback' | 'pubrec', messageId: number, reasonCode: number): void {
  if (conn.protocolVersion !== 5) {
    conn.send({ cmd, messageId });
    return;
  }
  // reason strings only on failures, and only when the client asked for problem information ([MQTT-3.1.2-29])
  const reasonString = reasonCode >= 0x80 && conn.problemInformation ? REASON_TEXT[reasonCode] : undefined;
  conn.send({
    cmd,
    messageId,
    reasonCode,
    ...(reasonString ? { properties: { reasonString } } : {}),
  } as mqttPacket.Packet);
}

/** Resolve an inbound topic alias ([MQTT-3.3.2-8] .. [MQTT-3.3.2-12]); undefined after a protocol error. */
function resolveTopic(conn: Connection, packet: mqttPacket.IPublishPacket): string | undefined {
  const alias = packet.properties?.topicAlias;
  if (conn.protocolVersion !== 5 || alias === undefined) return packet.topic;
  if (alias === 0 || alias > conn.env.broker.options.max_topic_alias) {
    conn.protocolError('topic_alias_invalid', RC.TOPIC_ALIAS_INVALID, `topic alias ${alias} out of range`);
    return undefined;
  }
  if (packet.topic.length > 0) {
    conn.aliasesIn.set(alias, packet.topic);
    return packet.topic;
  }
  const topic = conn.aliasesIn.get(alias);
  if (topic === undefined) conn.protocolError('topic_alias_unknown', RC.PROTOCOL_ERROR, `unknown topic alias ${alias}`);
  return topic;
}

export function handlePublish(conn: Connection, packet: mqttPacket.IPublishPacket): void {
  const broker = conn.env.broker;
  const opts = broker.options;
  const session = conn.session;
  const identity = conn.identity;
  if (!session || !identity) return;
  conn.counters.received.inc();
  const topic = resolveTopic(conn, packet);
  if (topic === undefined) return;
  if (topic !== conn.validTopic || opts.max_topic_levels !== conn.validTopicLevels) {
    const bad = validateTopicName(topic, opts.max_topic_levels);
    if (bad) return conn.protocolError('topic_name_invalid', RC.TOPIC_NAME_INVALID, bad); // [MQTT-3.3.2-2]
    // a publisher mostly repeats its topic: the next PUBLISH to it needs no second look
    conn.validTopic = topic;
    conn.validTopicLevels = opts.max_topic_levels;
  }
  const qos = packet.qos as QoS;
  if (qos > opts.max_qos_allowed) return conn.protocolError('qos_not_supported', RC.QOS_NOT_SUPPORTED, `QoS ${qos}`); // [MQTT-3.2.2-11]
  if (packet.retain && !opts.retain_available)
    return conn.protocolError('retain_not_supported', RC.RETAIN_NOT_SUPPORTED, 'retain'); // [MQTT-3.2.2-14]
  const messageId = packet.messageId ?? 0;

  if (qos === 2 && session.inboundQos2.has(messageId)) {
    // [MQTT-4.3.3-10] a resent QoS 2 PUBLISH before PUBREL is not delivered again
    ack(conn, 'pubrec', messageId, RC.SUCCESS);
    return;
  }
  if (qos > 0 && conn.inboundUnacked + session.inboundQos2.size >= opts.receive_maximum) {
    // [MQTT-3.3.4-8] client exceeded our Receive Maximum
    return conn.protocolError(
      'receive_maximum_exceeded',
      RC.RECEIVE_MAXIMUM_EXCEEDED,
      'too many unacknowledged QoS>0 PUBLISH',
    );
  }

  if (qos === 2 && session.inboundQos2.size >= opts.max_awaiting_rel) {
    // too many QoS 2 exchanges open: refuse this one (v5 quota exceeded; v3.1.1 has no negative ack)
    broker.metrics.dropped.inc({ reason: 'inflight_full' });
    if (conn.protocolVersion === 5) return ack(conn, 'pubrec', messageId, RC.QUOTA_EXCEEDED);
    return conn.protocolError(
      'awaiting_rel_full',
      RC.QUOTA_EXCEEDED,
      `more than ${opts.max_awaiting_rel} QoS 2 messages awaiting PUBREL`,
    );
  }
  if (!conn.env.access.authorize(identity, 'publish', topic)) {
    broker.metrics.dropped.inc({ reason: 'not_authorized' });
    conn.logger.debug({ clientId: identity.clientId, topic }, 'publish not authorized');
    // v5: negative ack 0x87; v3.1.1 has none, so the message is acknowledged and dropped
    if (qos === 1) ack(conn, 'puback', messageId, RC.NOT_AUTHORIZED);
    else if (qos === 2) {
      if (conn.protocolVersion !== 5) session.awaitRel(messageId);
      ack(conn, 'pubrec', messageId, RC.NOT_AUTHORIZED);
    }
    return;
  }

  const now = Date.now();
  const p = packet.properties;
  let properties: PublishProperties | undefined;
  if (conn.protocolVersion === 5 && p) {
    // forwarded unchanged except per-connection ones: topic alias and subscription identifiers [MQTT-3.3.4-3]
    const { topicAlias: _a, subscriptionIdentifier: _s, ...rest } = p;
    if (Object.keys(rest).length > 0) properties = rest as PublishProperties;
  }
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const msg: BrokerMessage = {
    topic,
    payload,
    qos,
    retain: packet.retain,
    properties,
    expiresAt: expiresAt(properties, now),
    receivedAt: now,
    origin: conn.originOf(identity),
  };
  const wire = (packet as InboundPublish).wire;
  if (wire !== undefined && topic === packet.topic && properties === undefined) {
    // the inbound frame is the outbound encoding of its own variant (decodePublish checked): not encoded again
    msg.wire = [];
    msg.wire[wireKey(conn.protocolVersion === 5, qos, packet.retain, false)] = wire;
  }
  let matched: number;
  try {
    matched = broker.route(msg, identity.clientId);
  } catch (err) {
    // the store refused a write (PH_STORE_WRITE): no PUBACK, so the client keeps the message and resends it
    conn.logger.error({ err, clientId: identity.clientId, topic }, 'routing failed');
    conn.disconnect(RC.UNSPECIFIED, 'store_error');
    return;
  }
  const congested = broker.takeCongested();
  if (congested) conn.throttle(congested);
  const backlogged = broker.takeBacklogged(identity.clientId);
  if (backlogged) conn.holdFor(backlogged);
  const acceptance = broker.takeAcceptance();
  if (qos === 0) return;
  const rc = matched === 0 ? RC.NO_MATCHING_SUBSCRIBERS : RC.SUCCESS;
  if (qos === 2) session.awaitRel(messageId);
  else conn.inboundUnacked++;
  const send = () => {
    if (qos === 1) conn.inboundUnacked--;
    sendAck(conn, qos === 1 ? 'puback' : 'pubrec', messageId, rc);
  };
  // acknowledge only once everything the message caused is durable: committed in the store, and accepted by
  // every durable consumer that keeps it without a store row (the bridge cache) — at-least-once across kill -9
  if (!acceptance && conn.acks.idle) {
    broker.store.afterCommit(send);
    return;
  }
  // [MQTT-4.6.0-2] [MQTT-4.6.0-3] one waiting for its consumer: acks leave in PUBLISH order behind it
  const ready = conn.acks.enqueue(send);
  broker.store.afterCommit(acceptance ? () => acceptance.whenSettled(ready) : ready);
}

export function handlePubrel(conn: Connection, packet: mqttPacket.IPubrelPacket): void {
  const session = conn.session;
  if (!session) return;
  const id = packet.messageId ?? 0;
  const known = session.releaseRel(id);
  // [MQTT-4.3.3-11] PUBCOMP releases the packet id; v5 0x92 when we never saw it
  if (conn.protocolVersion === 5)
    conn.send({
      cmd: 'pubcomp',
      messageId: id,
      reasonCode: known ? RC.SUCCESS : RC.PACKET_ID_NOT_FOUND,
    } as mqttPacket.Packet);
  else conn.send({ cmd: 'pubcomp', messageId: id });
}

export function handleOutboundAck(
  conn: Connection,
  packet: mqttPacket.IPubackPacket | mqttPacket.IPubrecPacket | mqttPacket.IPubcompPacket,
): void {
  const session = conn.session;
  if (!session) return;
  const id = packet.messageId ?? 0;
  if (packet.cmd === 'pubrec') {
    const failed = (packet.reasonCode ?? 0) >= 0x80;
    if (failed) {
      session.complete(id); // §4.3.3: a PUBREC with an error ends the exchange
      return;
    }
    if (session.received(id))
      conn.send({ cmd: 'pubrel', messageId: id }); // [MQTT-4.3.3-4]
    else if (conn.protocolVersion === 5)
      conn.send({ cmd: 'pubrel', messageId: id, reasonCode: RC.PACKET_ID_NOT_FOUND } as mqttPacket.Packet);
    return;
  }
  session.complete(id);
}
