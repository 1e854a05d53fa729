/**
 * Gateway → client messages of one MQTT-SN client (MQTT-SN 1.2 §6.10): a bounded queue, an in-flight window,
 * REGISTER before PUBLISH for topics the client has no id for (§6.10: "the gateway first sends a REGISTER"),
 * the QoS 1/2 handshakes and retransmission (§6.13). Each broker delivery ends in exactly one `settle` action.
 */
import type { BrokerEvent, SessionId } from './broker-port.js';
import { shortTopicId, type Flags, type TopicIdType } from './frames.js';
import type { ClientSink, CoreConfig } from './sink.js';
import type { PredefinedTopics, TopicRegistry } from './topics.js';

/** A broker delivery as the queue keeps it (the `deliver` event without its routing fields). */
export type Delivery = Omit<Extract<BrokerEvent, { type: 'deliver' }>, 'type' | 'session'>;

interface Inflight {
  readonly msg: Delivery;
  readonly msgId: number;
  topicId: number;
  idType: TopicIdType;
  stage: 'register' | 'publish' | 'pubrel';
  due: number;
  tries: number;
}

export class Outbound {
  #queue: Delivery[] = [];
  #head = 0;
  #bytes = 0;
  readonly #inflight: Inflight[] = [];
  #nextMsgId = 1;

  constructor(
    private readonly session: SessionId,
    private readonly cfg: CoreConfig,
    private readonly registry: TopicRegistry,
    private readonly predefined: PredefinedTopics,
  ) {}

  get queued(): number {
    return this.#queue.length - this.#head;
  }
  get idle(): boolean {
    return this.queued === 0 && this.#inflight.length === 0;
  }

  /** Queue one delivery within the awake or the sleeping limits, applying the overflow policy. */
  enqueue(msg: Delivery, asleep: boolean, out: ClientSink): void {
    const l = this.cfg.limits;
    const s = this.cfg.sleep;
    const [maxN, maxB, policy, reason] = asleep
      ? [s.max_messages, s.max_bytes, s.overflow, 'sleep_buffer_full']
      : [l.max_queue, l.max_queue_bytes, l.queue_overflow, 'queue_full'];
    const size = msg.payload.length;
    if (size > maxB || maxN === 0) return this.#settle(msg, 'dropped', reason, out);
    while (this.queued >= maxN || this.#bytes + size > maxB) {
      if (policy === 'drop_newest') return this.#settle(msg, 'dropped', reason, out);
      this.#settle(this.#shift()!, 'dropped', reason, out);
    }
    this.#queue.push(msg);
    this.#bytes += size;
  }

  /** Send queued messages while the in-flight window has room. */
  pump(now: number, out: ClientSink): void {
    while (this.queued > 0 && this.#inflight.length < this.cfg.limits.max_inflight) {
      const msg = this.#queue[this.#head]!;
      const topic = this.#topicFor(msg.topic);
      if (topic === 'wait') return; // a REGISTER for this topic is in flight: keep the order
      this.#shift();
      if (topic === 'full') {
        // the client's topic table is full: this message cannot get an id
        this.#settle(msg, 'dropped', 'max_topics', out);
        continue;
      }
      const f: Inflight = { msg, msgId: 0, ...topic, stage: 'publish', due: 0, tries: 0 };
      if (topic.register) {
        (f as { msgId: number }).msgId = this.#msgId();
        f.stage = 'register';
        this.#inflight.push(f);
        this.#transmit(f, now, out);
        continue;
      }
      if (msg.qos === 0) {
        this.#publish(f, out);
        this.#settle(msg, 'delivered', undefined, out);
        continue;
      }
      (f as { msgId: number }).msgId = this.#msgId();
      this.#inflight.push(f);
      this.#transmit(f, now, out);
    }
  }

  /** MQTT-SN 1.2 §6.10: REGACK for our REGISTER; an error code means the client refused the topic. */
  regack(msgId: number, ok: boolean, now: number, out: ClientSink): void {
    const f = this.#find(msgId, 'register');
    if (!f) return out.drop('unexpected_regack');
    if (!ok) {
      this.#remove(f);
      this.registry.forget(f.topicId);
      this.#settle(f.msg, 'dropped', 'regack_rejected', out);
      return this.pump(now, out);
    }
    this.registry.confirm(f.topicId);
    if (f.msg.qos === 0) {
      this.#remove(f);
      this.#publish(f, out);
      this.#settle(f.msg, 'delivered', undefined, out);
      return this.pump(now, out);
    }
    (f as { msgId: number }).msgId = this.#msgId();
    f.stage = 'publish';
    f.tries = 0;
    this.#transmit(f, now, out);
  }

  /** PUBACK for a QoS 1 PUBLISH (§6.10). A return code other than accepted drops the message. */
  puback(msgId: number, returnCode: number, now: number, out: ClientSink): void {
    const f = this.#find(msgId, 'publish');
    if (!f || (f.msg.qos !== 1 && returnCode === 0)) return out.drop('unexpected_puback');
    this.#remove(f);
    if (returnCode === 2 && f.idType === 0) this.registry.forget(f.topicId); // §6.6: the client lost the id
    this.#settle(
      f.msg,
      returnCode === 0 ? 'delivered' : 'dropped',
      returnCode === 0 ? undefined : 'puback_rejected',
      out,
    );
    this.pump(now, out);
  }

  pubrec(msgId: number, now: number, out: ClientSink): void {
    const f = this.#find(msgId, 'publish') ?? this.#find(msgId, 'pubrel');
    if (!f || f.msg.qos !== 2) return out.drop('unexpected_pubrec');
    f.stage = 'pubrel';
    f.tries = 0;
    this.#transmit(f, now, out);
  }

  pubcomp(msgId: number, now: number, out: ClientSink): void {
    const f = this.#find(msgId, 'pubrel');
    if (!f) return out.drop('unexpected_pubcomp');
    this.#remove(f);
    this.#settle(f.msg, 'delivered', undefined, out);
    this.pump(now, out);
  }

  /** Retransmit what is due (§6.13). Returns false when a message ran out of retries: the client is lost. */
  tick(now: number, out: ClientSink): boolean {
    for (const f of this.#inflight) {
      if (f.due > now) continue;
      if (f.tries >= this.cfg.retry.max) return false;
      f.tries++;
      this.#transmit(f, now, out);
    }
    return true;
  }

  /** Resend everything in flight now (a sleeping client woke up and could not hear us before). */
  resend(now: number, out: ClientSink): void {
    for (const f of this.#inflight) this.#transmit(f, now, out);
  }

  /** Drop everything (client gone): one settle per message. */
  clear(reason: string, out: ClientSink): void {
    for (const f of this.#inflight.splice(0)) this.#settle(f.msg, 'dropped', reason, out);
    while (this.queued > 0) this.#settle(this.#shift()!, 'dropped', reason, out);
  }

  #topicFor(topic: string): { topicId: number; idType: TopicIdType; register: boolean } | 'wait' | 'full' {
    const short = topic.length === 2 ? shortTopicId(topic) : undefined;
    if (short !== undefined) return { topicId: short, idType: 2, register: false };
    const pre = this.predefined.id(topic);
    if (pre !== undefined) return { topicId: pre, idType: 1, register: false };
    const have = this.registry.lookup(topic);
    if (have?.known) return { topicId: have.id, idType: 0, register: false };
    if (have) return 'wait';
    const id = this.registry.assign(topic, false);
    return id === undefined ? 'full' : { topicId: id, idType: 0, register: true };
  }

  #transmit(f: Inflight, now: number, out: ClientSink): void {
    f.due = now + this.cfg.retry.interval;
    if (f.stage === 'register') out.send({ type: 'REGISTER', topicId: f.topicId, msgId: f.msgId, topic: f.msg.topic });
    else if (f.stage === 'pubrel') out.send({ type: 'PUBREL', msgId: f.msgId });
    else this.#publish(f, out, f.tries > 0 || f.msg.dup === true);
  }

  #publish(f: Inflight, out: ClientSink, dup = false): void {
    const flags: Flags = {
      dup, // §5.3.4: set on a retransmitted PUBLISH
      qos: f.msg.qos,
      retain: f.msg.retain,
      will: false,
      cleanSession: false,
      topicIdType: f.idType,
    };
    out.send({ type: 'PUBLISH', flags, topicId: f.topicId, msgId: f.msgId, data: f.msg.payload });
  }

  #settle(msg: Delivery, outcome: 'delivered' | 'dropped', reason: string | undefined, out: ClientSink): void {
    if (reason !== undefined) out.drop(reason, msg.topic);
    out.broker({ type: 'settle', session: this.session, ref: msg.ref, outcome, ...(reason ? { reason } : {}) });
  }

  #shift(): Delivery | undefined {
    if (this.queued === 0) return undefined;
    const m = this.#queue[this.#head]!;
    this.#head++;
    this.#bytes -= m.payload.length;
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return m;
  }

  #find(msgId: number, stage: Inflight['stage']): Inflight | undefined {
    return this.#inflight.find((f) => f.msgId === msgId && f.stage === stage);
  }

  #remove(f: Inflight): void {
    this.#inflight.splice(this.#inflight.indexOf(f), 1);
  }

  /** §5.3.7: a msg id not in use by another message in flight; 0x0000 is left for QoS 0. */
  #msgId(): number {
    for (;;) {
      const id = this.#nextMsgId;
      this.#nextMsgId = id >= 0xffff ? 1 : id + 1;
      if (!this.#inflight.some((f) => f.msgId === id)) return id;
    }
  }
}
