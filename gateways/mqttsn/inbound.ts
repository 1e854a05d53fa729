/**
 * Client → gateway PUBLISH of one MQTT-SN client (MQTT-SN 1.2 §6.6, §6.8): topic resolution, the bounded set of
 * publishes awaiting the broker's answer, the QoS 2 msg ids awaiting PUBREL, duplicate detection (§6.13) and the
 * PUBACK / PUBREC answer once the broker has accepted or refused.
 */
import type { SessionId } from './broker-port.js';
import { ReturnCode, type FrameOf } from './frames.js';
import type { ClientSink, CoreConfig } from './sink.js';
import { resolveTopic, type PredefinedTopics, type TopicRegistry } from './topics.js';

interface PendingPublish {
  readonly msgId: number;
  readonly topicId: number;
  readonly qos: 1 | 2;
}

export class Inbound {
  #publishes?: Map<number, PendingPublish>;
  /** QoS 2 msg ids published and awaiting PUBREL (§6.6): a resent PUBLISH must not be published twice. */
  #qos2?: Map<number, 'pending' | 'accepted'>;

  constructor(
    private readonly session: SessionId,
    private readonly clientId: string,
    private readonly cfg: CoreConfig,
    private readonly registry: TopicRegistry,
    private readonly predefined: PredefinedTopics,
    /** The client's broker reference counter, shared with its (un)subscribes. */
    private readonly nextRef: () => number,
  ) {}

  publish(f: FrameOf<'PUBLISH'>, out: ClientSink): void {
    const qos = f.flags.qos;
    const topic = resolveTopic(f.flags.topicIdType, f.topicId, this.registry, this.predefined);
    if (topic === undefined) {
      // §6.6: unknown topic id → PUBACK "rejected: invalid topic ID"
      out.drop('invalid_topic_id', `${f.flags.topicIdType}:${f.topicId}`);
      return out.send({ type: 'PUBACK', topicId: f.topicId, msgId: f.msgId, returnCode: ReturnCode.INVALID_TOPIC_ID });
    }
    if (qos === 0 || qos === -1) {
      return out.broker({
        type: 'publish',
        session: this.session,
        ref: 0,
        topic,
        payload: f.data,
        qos: 0,
        retain: f.flags.retain,
      });
    }
    const pubs = (this.#publishes ??= new Map());
    const qos2 = (this.#qos2 ??= new Map());
    let dupOf = false;
    if (pubs.size > 0) for (const p of pubs.values()) if (p.msgId === f.msgId) dupOf = true;
    if (dupOf || (qos === 2 && qos2.has(f.msgId))) {
      // §6.13: a resent PUBLISH (DUP) whose first copy is in progress or (QoS 2) was published already
      out.drop('duplicate', `msgId ${f.msgId}`);
      if (!dupOf && qos2.get(f.msgId) === 'accepted') out.send({ type: 'PUBREC', msgId: f.msgId });
      return;
    }
    if (pubs.size >= this.cfg.limits.max_pending_publishes) {
      out.drop('pending_publishes_full', this.clientId);
      return out.send({ type: 'PUBACK', topicId: f.topicId, msgId: f.msgId, returnCode: ReturnCode.CONGESTION });
    }
    const ref = this.nextRef();
    pubs.set(ref, { msgId: f.msgId, topicId: f.topicId, qos });
    if (qos === 2) qos2.set(f.msgId, 'pending');
    out.broker({ type: 'publish', session: this.session, ref, topic, payload: f.data, qos, retain: f.flags.retain });
  }

  pubrel(msgId: number, out: ClientSink): void {
    // §6.6: release the QoS 2 msg id; answer PUBCOMP even when it is unknown (our PUBCOMP may have been lost)
    if (this.#qos2?.get(msgId) === 'pending') return out.drop('pubrel_before_accept');
    this.#qos2?.delete(msgId);
    out.send({ type: 'PUBCOMP', msgId });
  }

  brokerPuback(ref: number, result: 'accepted' | 'not_authorized' | 'unavailable', out: ClientSink): void {
    const p = this.#publishes?.get(ref);
    if (!p) return;
    this.#publishes!.delete(ref);
    if (result !== 'accepted') {
      out.drop(`publish_${result}`, this.clientId);
      this.#qos2?.delete(p.msgId);
      const rc = result === 'unavailable' ? ReturnCode.CONGESTION : ReturnCode.NOT_SUPPORTED;
      return out.send({ type: 'PUBACK', topicId: p.topicId, msgId: p.msgId, returnCode: rc });
    }
    if (p.qos === 1)
      return out.send({ type: 'PUBACK', topicId: p.topicId, msgId: p.msgId, returnCode: ReturnCode.ACCEPTED });
    this.#qos2!.set(p.msgId, 'accepted');
    out.send({ type: 'PUBREC', msgId: p.msgId });
  }
}
