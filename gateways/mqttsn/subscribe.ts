/**
 * SUBSCRIBE / UNSUBSCRIBE of MQTT-SN 1.2 §6.9: turn the topic field (a name or filter, a predefined id or a
 * short name) into an MQTT filter, and the broker's answer into SUBACK / UNSUBACK.
 */
import type { BrokerEvent } from './broker-port.js';
import { ReturnCode, shortName, type Frame, type FrameOf } from './frames.js';
import { validTopicFilter, type PredefinedTopics, type TopicRegistry } from './topics.js';

export interface PendingSub {
  readonly type: 'SUBSCRIBE' | 'UNSUBSCRIBE';
  readonly msgId: number;
  /** Topic id for the SUBACK: the registered id of a plain name, the predefined id, else 0x0000 (§5.4.16). */
  readonly topicId: number;
  readonly topicIdType: 0 | 1 | 2;
}

type Parsed = { filter: string; pending: PendingSub } | { reply: Frame; reason: string };

export function subscribeFrame(
  f: FrameOf<'SUBSCRIBE' | 'UNSUBSCRIBE'>,
  registry: TopicRegistry,
  predefined: PredefinedTopics,
): Parsed {
  const t = f.flags.topicIdType;
  const refuse = (returnCode: 1 | 2 | 3, reason: string): Parsed => ({
    reason,
    reply:
      f.type === 'UNSUBSCRIBE'
        ? { type: 'UNSUBACK', msgId: f.msgId } // §5.4.18: UNSUBACK has no return code
        : { type: 'SUBACK', flags: { ...f.flags, dup: false }, topicId: 0, msgId: f.msgId, returnCode },
  });
  let filter: string | undefined;
  let topicId = 0;
  if (t === 1) {
    filter = predefined.topic(f.topicId ?? 0);
    if (filter === undefined) return refuse(ReturnCode.INVALID_TOPIC_ID, 'invalid_topic_id');
    topicId = f.topicId!;
  } else if (t === 2) {
    filter = shortName(f.topicId ?? 0);
    if (!validTopicFilter(filter)) return refuse(ReturnCode.INVALID_TOPIC_ID, 'invalid_topic_id');
  } else {
    filter = f.topic ?? '';
    if (!validTopicFilter(filter)) return refuse(ReturnCode.NOT_SUPPORTED, 'invalid_topic_filter');
    // §6.9: a name without wildcards gets its topic id in the SUBACK, so later PUBLISHes need no REGISTER
    if (f.type === 'SUBSCRIBE' && !/[+#]/.test(filter)) {
      const id = registry.assign(filter, true);
      if (id === undefined) return refuse(ReturnCode.CONGESTION, 'max_topics');
      topicId = id;
    }
  }
  return { filter, pending: { type: f.type, msgId: f.msgId, topicId, topicIdType: t } };
}

export function subscribeResult(p: PendingSub, e: Extract<BrokerEvent, { type: 'suback' | 'unsuback' }>): Frame {
  if (p.type === 'UNSUBSCRIBE' || e.type === 'unsuback') return { type: 'UNSUBACK', msgId: p.msgId };
  const ok = e.result === 'granted';
  const returnCode = ok
    ? ReturnCode.ACCEPTED
    : e.result === 'unavailable'
      ? ReturnCode.CONGESTION
      : ReturnCode.NOT_SUPPORTED;
  return {
    type: 'SUBACK',
    flags: { dup: false, qos: ok ? (e.qos ?? 0) : 0, retain: false, will: false, cleanSession: false, topicIdType: 0 },
    topicId: ok ? p.topicId : 0,
    msgId: p.msgId,
    returnCode,
  };
}
