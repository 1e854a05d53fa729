/**
 * Sans-IO state machine of one MQTT-SN 1.2 client as the gateway sees it (MQTT-SN 1.2 §6, Figure 4 states):
 * frames and broker events in, frames and broker actions out through a ClientSink; `now` (ms) is passed in and
 * `tick(now)` runs the time-based steps (keep-alive, sleep expiry, retransmission). No sockets, no timers.
 */
import type { BrokerEvent, BrokerQoS, CloseReason, SessionId, Will } from './broker-port.js';
import { ReturnCode, type Flags, type Frame, type FrameOf } from './frames.js';
import { Inbound } from './inbound.js';
import { Outbound } from './outbound.js';
import type { ClientSink, CoreConfig } from './sink.js';
import { validTopicName, TopicRegistry, type PredefinedTopics } from './topics.js';
import { subscribeFrame, subscribeResult, type PendingSub } from './subscribe.js';

export type ClientState = 'will_topic' | 'will_msg' | 'connecting' | 'active' | 'asleep' | 'awake' | 'closed';

export interface ClientInit {
  readonly session: SessionId;
  readonly clientId: string;
  readonly peer: string;
  readonly cfg: CoreConfig;
  readonly predefined: PredefinedTopics;
  /** Topic ids carried over from the previous connection of a client with cleanSession = false (§6.3). */
  readonly registry?: TopicRegistry;
}

const qosOf = (q: number): BrokerQoS => (q === 1 || q === 2 ? q : 0);

export class SnClient {
  state: ClientState = 'connecting';
  peer: string;
  readonly session: SessionId;
  readonly clientId: string;
  readonly registry: TopicRegistry;
  readonly out: Outbound;
  #cleanSession = true;
  #keepAliveMs = 0;
  #lastHeard: number;
  #sleepMs = 0;
  #willFlags?: Flags;
  #willTopic?: string;
  #will: Will | null = null;
  #connectDue = 0;
  #connectTries = 0;
  #brokerOpen = false;
  #nextRef = 1;
  readonly #in: Inbound;
  #subs?: Map<number, PendingSub>;

  constructor(
    init: ClientInit,
    now: number,
    private readonly cfg = init.cfg,
    private readonly predefined = init.predefined,
  ) {
    this.session = init.session;
    this.clientId = init.clientId;
    this.peer = init.peer;
    this.#lastHeard = now;
    this.registry = init.registry ?? new TopicRegistry(cfg.limits.max_topics_per_client);
    this.out = new Outbound(init.session, cfg, this.registry, init.predefined);
    this.#in = new Inbound(init.session, init.clientId, cfg, this.registry, init.predefined, () => this.#ref());
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** MQTT-SN 1.2 §6.2: CONNECT, with the will prompts first when the Will flag is set. */
  connect(f: FrameOf<'CONNECT'>, now: number, out: ClientSink): void {
    this.#cleanSession = f.flags.cleanSession;
    this.#keepAliveMs = f.duration * 1000;
    if (!f.flags.will) return this.#openBroker(now, out);
    this.state = 'will_topic';
    this.#prompt(now, out);
  }

  frame(f: Frame, now: number, out: ClientSink): void {
    this.#lastHeard = now; // §6.11: any message from the client proves it alive
    switch (this.state) {
      case 'will_topic':
      case 'will_msg':
        return this.#willFlow(f, now, out);
      case 'connecting':
        if (f.type === 'DISCONNECT') return this.#end('disconnect', false, out, true);
        return out.drop('not_connected', f.type);
      case 'closed':
        return out.drop('not_connected', f.type);
      default:
        this.#connected(f, now, out);
    }
  }

  event(e: BrokerEvent, now: number, out: ClientSink): void {
    switch (e.type) {
      case 'connack':
        if (this.state !== 'connecting') return;
        if (e.result !== 'accepted') {
          out.drop(`connect_${e.result}`, this.clientId);
          out.send({
            type: 'CONNACK',
            returnCode: e.result === 'unavailable' ? ReturnCode.CONGESTION : ReturnCode.NOT_SUPPORTED,
          });
          this.#brokerOpen = false; // refused: there is no broker session to close
          return this.#end('disconnect', false, out);
        }
        this.state = 'active';
        this.#lastHeard = now;
        out.send({ type: 'CONNACK', returnCode: ReturnCode.ACCEPTED });
        return this.out.pump(now, out);
      case 'puback':
        return this.#in.brokerPuback(e.ref, e.result, out);
      case 'suback':
      case 'unsuback': {
        const p = this.#subs?.get(e.ref);
        if (!p) return;
        this.#subs!.delete(e.ref);
        return out.send(subscribeResult(p, e));
      }
      case 'deliver':
        if (this.closed) {
          out.broker({ type: 'settle', session: this.session, ref: e.ref, outcome: 'dropped', reason: 'client_gone' });
          return out.drop('client_gone', e.topic);
        }
        this.out.enqueue(e, this.state === 'asleep' || this.state === 'awake', out);
        if (this.state === 'active' || this.state === 'awake') this.out.pump(now, out);
        return;
      case 'closed':
        if (this.closed) return;
        out.send({ type: 'DISCONNECT' });
        return this.#end('broker_closed', false, out);
    }
  }

  /** Time-based steps; the caller checks `closed` afterwards. */
  tick(now: number, out: ClientSink): void {
    const tol = this.cfg.keepalive_tolerance;
    switch (this.state) {
      case 'will_topic':
      case 'will_msg':
        if (now < this.#connectDue) return;
        if (this.#connectTries >= this.cfg.retry.max) {
          out.drop('will_prompt_timeout', this.clientId);
          return this.#end('disconnect', false, out);
        }
        this.#connectTries++;
        return this.#prompt(now, out);
      case 'connecting':
        // the broker never answered (it should): the client has given up by now too (§6.13), so free the slot
        if (now < this.#connectDue) return;
        out.drop('connect_timeout', this.clientId);
        out.send({ type: 'CONNACK', returnCode: ReturnCode.CONGESTION });
        return this.#end('disconnect', false, out);
      case 'active':
        // MQTT-SN 1.2 §6.11: silent past the keep-alive period (with tolerance) = lost, publish the will
        if (this.#keepAliveMs > 0 && now - this.#lastHeard > this.#keepAliveMs * tol) {
          return this.#end('keepalive_timeout', true, out);
        }
        if (!this.out.tick(now, out)) this.#end('retry_exhausted', true, out);
        return;
      case 'awake':
        if (!this.out.tick(now, out)) return this.#end('retry_exhausted', true, out);
        return this.#maybeBackToSleep(out);
      case 'asleep':
        // MQTT-SN 1.2 §6.14: no PINGREQ / CONNECT within the sleep duration = lost
        if (now - this.#lastHeard > this.#sleepMs * tol) this.#end('sleep_timeout', true, out);
        return;
      default:
        return;
    }
  }

  /** End this session from outside (takeover, reconnect, shutdown). */
  close(reason: CloseReason, will: boolean, out: ClientSink): void {
    if (!this.closed) this.#end(reason, will, out);
  }

  #prompt(now: number, out: ClientSink): void {
    this.#connectDue = now + this.cfg.retry.interval;
    out.send({ type: this.state === 'will_topic' ? 'WILLTOPICREQ' : 'WILLMSGREQ' });
  }

  #willFlow(f: Frame, now: number, out: ClientSink): void {
    if (this.state === 'will_topic' && f.type === 'WILLTOPIC') {
      // §5.4.7: an empty WILLTOPIC means no will
      if (f.flags === undefined || !f.topic) return this.#openBroker(now, out);
      if (!validTopicName(f.topic)) return this.#refuse('invalid_will_topic', out);
      this.#willFlags = f.flags;
      this.#willTopic = f.topic;
      this.state = 'will_msg';
      this.#connectTries = 0;
      return this.#prompt(now, out);
    }
    if (this.state === 'will_msg' && f.type === 'WILLMSG') {
      const fl = this.#willFlags!;
      this.#will = { topic: this.#willTopic!, payload: f.message, qos: qosOf(fl.qos), retain: fl.retain };
      return this.#openBroker(now, out);
    }
    if (f.type === 'DISCONNECT') return this.#end('disconnect', false, out, true);
    out.drop('unexpected_message', `${f.type} during the will prompts`);
  }

  #refuse(reason: string, out: ClientSink): void {
    out.drop(reason, this.clientId);
    out.send({ type: 'CONNACK', returnCode: ReturnCode.NOT_SUPPORTED });
    this.#end('disconnect', false, out);
  }

  #openBroker(now: number, out: ClientSink): void {
    this.state = 'connecting';
    this.#brokerOpen = true;
    this.#lastHeard = now;
    this.#connectDue = now + this.cfg.retry.interval * (this.cfg.retry.max + 1);
    out.broker({
      type: 'connect',
      session: this.session,
      clientId: this.clientId,
      peer: this.peer,
      cleanSession: this.#cleanSession,
      keepAlive: this.#keepAliveMs / 1000,
      ...(this.#will ? { will: this.#will } : {}),
    });
  }

  #connected(f: Frame, now: number, out: ClientSink): void {
    switch (f.type) {
      case 'PUBLISH':
        return this.#in.publish(f, out);
      case 'PUBREL':
        return this.#in.pubrel(f.msgId, out);
      case 'REGISTER':
        return this.#register(f, out);
      case 'REGACK':
        return this.out.regack(f.msgId, f.returnCode === ReturnCode.ACCEPTED, now, out);
      case 'PUBACK':
        return this.out.puback(f.msgId, f.returnCode, now, out);
      case 'PUBREC':
        return this.out.pubrec(f.msgId, now, out);
      case 'PUBCOMP':
        return this.out.pubcomp(f.msgId, now, out);
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE':
        return this.#subscribe(f, out);
      case 'PINGREQ':
        return this.#ping(now, out);
      case 'DISCONNECT':
        return this.#disconnect(f.duration, now, out);
      case 'CONNECT':
        // §6.14: CONNECT from asleep/awake returns the client to active; its flags start nothing new
        if (this.state === 'asleep' || this.state === 'awake') {
          this.state = 'active';
          out.broker({ type: 'awake', session: this.session });
          out.send({ type: 'CONNACK', returnCode: ReturnCode.ACCEPTED });
          this.out.resend(now, out);
          return this.out.pump(now, out);
        }
        return out.drop('unexpected_message', 'CONNECT');
      case 'WILLTOPICUPD':
        return this.#willTopicUpdate(f, out);
      case 'WILLMSGUPD':
        return this.#willMsgUpdate(f, out);
      default:
        return out.drop('unexpected_message', f.type);
    }
  }

  /** MQTT-SN 1.2 §6.5: the client registers a topic name and gets its id. */
  #register(f: FrameOf<'REGISTER'>, out: ClientSink): void {
    if (!validTopicName(f.topic)) {
      out.drop('invalid_topic_name', f.topic);
      return out.send({ type: 'REGACK', topicId: 0, msgId: f.msgId, returnCode: ReturnCode.NOT_SUPPORTED });
    }
    const id = this.registry.assign(f.topic, true);
    if (id === undefined) {
      out.drop('max_topics', this.clientId);
      return out.send({ type: 'REGACK', topicId: 0, msgId: f.msgId, returnCode: ReturnCode.CONGESTION });
    }
    out.send({ type: 'REGACK', topicId: id, msgId: f.msgId, returnCode: ReturnCode.ACCEPTED });
  }

  #subscribe(f: FrameOf<'SUBSCRIBE' | 'UNSUBSCRIBE'>, out: ClientSink): void {
    const subs = (this.#subs ??= new Map());
    if (f.flags.dup) for (const p of subs.values()) if (p.msgId === f.msgId) return out.drop('duplicate', f.type);
    const r = subscribeFrame(f, this.registry, this.predefined);
    if ('reply' in r) {
      out.drop(r.reason, f.topic ?? String(f.topicId));
      return out.send(r.reply);
    }
    const ref = this.#ref();
    subs.set(ref, r.pending);
    out.broker(
      f.type === 'SUBSCRIBE'
        ? { type: 'subscribe', session: this.session, ref, filter: r.filter, qos: qosOf(f.flags.qos) }
        : { type: 'unsubscribe', session: this.session, ref, filter: r.filter },
    );
  }

  #ping(now: number, out: ClientSink): void {
    if (this.state === 'active') return out.send({ type: 'PINGRESP' });
    // §6.14: a sleeping client's PINGREQ: send what was buffered, then PINGRESP once nothing is left
    if (this.state === 'asleep') out.broker({ type: 'awake', session: this.session });
    this.state = 'awake';
    this.out.resend(now, out);
    this.out.pump(now, out);
  }

  /**
   * Awake, at a tick: when nothing is queued or in flight, PINGRESP and asleep again (§6.14). Deciding at the
   * tick, not right after the last acknowledgement, lets the broker hand over what it still held (an ack frees
   * a window slot and the next delivery arrives synchronously), so "all buffered messages" really are all.
   */
  #maybeBackToSleep(out: ClientSink): void {
    if (!this.out.idle) return;
    out.send({ type: 'PINGRESP' });
    this.state = 'asleep';
    out.broker({ type: 'sleep', session: this.session, duration: this.#sleepMs / 1000 });
  }

  #disconnect(duration: number | undefined, now: number, out: ClientSink): void {
    out.send(duration ? { type: 'DISCONNECT', duration } : { type: 'DISCONNECT' });
    if (!duration) return this.#end('disconnect', false, out);
    // §6.14: DISCONNECT with a duration = asleep for that long
    this.#sleepMs = duration * 1000;
    this.#lastHeard = now;
    this.state = 'asleep';
    out.broker({ type: 'sleep', session: this.session, duration });
  }

  /** §6.4: WILLTOPICUPD changes (or, empty, deletes) the will topic, QoS and retain. */
  #willTopicUpdate(f: FrameOf<'WILLTOPICUPD'>, out: ClientSink): void {
    if (f.flags === undefined || !f.topic) this.#will = null;
    else if (!validTopicName(f.topic)) {
      out.drop('invalid_will_topic', f.topic);
      return out.send({ type: 'WILLTOPICRESP', returnCode: ReturnCode.NOT_SUPPORTED });
    } else {
      const payload = this.#will?.payload ?? Buffer.alloc(0);
      this.#will = { topic: f.topic, payload, qos: qosOf(f.flags.qos), retain: f.flags.retain };
    }
    out.broker({ type: 'will', session: this.session, will: this.#will });
    out.send({ type: 'WILLTOPICRESP', returnCode: ReturnCode.ACCEPTED });
  }

  #willMsgUpdate(f: FrameOf<'WILLMSGUPD'>, out: ClientSink): void {
    if (!this.#will) {
      out.drop('no_will_topic', this.clientId);
      return out.send({ type: 'WILLMSGRESP', returnCode: ReturnCode.NOT_SUPPORTED });
    }
    this.#will = { ...this.#will, payload: f.message };
    out.broker({ type: 'will', session: this.session, will: this.#will });
    out.send({ type: 'WILLMSGRESP', returnCode: ReturnCode.ACCEPTED });
  }

  #end(reason: CloseReason, will: boolean, out: ClientSink, reply = false): void {
    if (reply) out.send({ type: 'DISCONNECT' });
    if (this.#brokerOpen) out.broker({ type: 'close', session: this.session, reason, will });
    this.out.clear('client_gone', out);
    this.state = 'closed';
  }

  #ref(): number {
    const r = this.#nextRef;
    this.#nextRef = r >= 0x7fffffff ? 1 : r + 1;
    return r;
  }
}
