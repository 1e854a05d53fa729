/**
 * One connected device behind a client gateway: the SessionSink of its broker Session plus the API the gateway
 * drives (publish, subscribe, will, keep-alive, sleep, close). Same QoS, window, queueing, will and takeover
 * semantics as a network client; deliveries go to the gateway's handler, one device at a time (its own lane).
 */
import type { QoS } from '../envelope.js';
import { AuthError, ProtocolError, QuotaError, StateError, TopicError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AccessControl, ClientIdentity } from './access.js';
import type { Broker } from './broker.js';
import type {
  RetainedRead,
  DeviceCloseReason,
  DeviceDelivery,
  DeviceInfo,
  DevicePublish,
  DeviceSession,
  DeviceSessionHandler,
  DeviceSubscription,
  DeviceWill,
  SubscribeOutcome,
} from './device-types.js';
import { expiresAt, propertiesForDelivery, type BrokerMessage, type Pending } from './message.js';
import type { DescribedSink } from './inspect.js';
import type { Mountpoint } from './mountpoint.js';
import { OrderedAcks } from './acceptance.js';
import { whenRelieved } from './flow-control.js';
import type { Session } from './session.js';
import { parseSharedFilter, validateTopicFilter, validateTopicName } from './topic/index.js';

type Counter = { inc(n?: number): void };

export interface DeviceSessionDeps {
  broker: Broker;
  session: Session;
  access: AccessControl;
  identity: ClientIdentity;
  mountpoint: Mountpoint;
  handler: DeviceSessionHandler;
  logger: Logger;
  info: Omit<DeviceInfo, 'asleep' | 'mountpoint'>;
  inflightWindow: number;
  /** Most QoS 0 messages parked while the device sleeps. */
  maxParked: number;
  counters: { sent: Counter; received: Counter };
  /** Arm the keep-alive timer (false when the gateway tracks liveness itself). */
  enforceKeepAlive: boolean;
  /** End the session then (ms since epoch): the expiry of the JWT it authenticated with. */
  disconnectAt?: number;
  onEnd(device: DeviceSessionImpl, reason: string): void;
}

/** Result of validating a will: the broker message to publish on loss, or why not. */
export function willMessage(
  broker: Broker,
  will: DeviceWill,
  mp: Mountpoint,
  origin: { clientId: string; username?: string },
): BrokerMessage | string {
  const opts = broker.options;
  const topic = mp.mount(will.topic);
  const bad = validateTopicName(topic, opts.max_topic_levels);
  if (bad) return `will topic: ${bad}`;
  if (will.qos > opts.max_qos_allowed) return `will QoS ${will.qos} above mqtt.max_qos_allowed`; // [MQTT-3.2.2-12]
  if (will.retain && !opts.retain_available) return 'retained will but mqtt.retain_available = false'; // [MQTT-3.2.2-13]
  const now = Date.now();
  return { topic, payload: will.payload, qos: will.qos, retain: will.retain, receivedAt: now, origin };
}

/**
 * The broker-facing sink: describes the device for listings and can be kicked (DescribedSink, inspect.ts), and
 * gives way to a new connection of the same client id (takeOver, Broker.openSession).
 */
export interface TakeoverSink extends DescribedSink {
  takeOver(): void;
}

export class DeviceSessionImpl implements DeviceSession {
  /** What the broker Session delivers to. */
  readonly sink: TakeoverSink;
  readonly #d: DeviceSessionDeps;
  #delivering = false;
  #asleep = false;
  #closed = false;
  #will?: { message: BrokerMessage; delay: number };
  #keepAliveMs = 0;
  #lastSeen = Date.now();
  #timer?: NodeJS.Timeout;
  #expiryTimer?: NodeJS.Timeout;
  #parked: Array<{ p: Pending; packetId: number | undefined; dup: boolean }> = [];
  #uplinkPending = 0;
  #origin?: BrokerMessage['origin'];
  /** Publish promises resolve in publish order while one waits for a durable consumer (acceptance.ts). */
  readonly #acks = new OrderedAcks();
  readonly #onStop = () => this.#end('broker_stopped', false);

  constructor(deps: DeviceSessionDeps) {
    this.#d = deps;
    const writable = () => this.#delivering && !this.#asleep && !this.#closed;
    this.sink = {
      get writable() {
        return writable();
      },
      acceptsQos0: true,
      receiveMaximum: Math.max(1, deps.inflightWindow),
      publish: (p, packetId, dup) => this.#onPublish(p, packetId, dup),
      pubrel: () => {
        // a device's QoS 2 delivery is completed by ack() once its own exchange (PUBREC/PUBREL/PUBCOMP) ended
      },
      // [MQTT-3.1.4-3] another connection with this client id arrived; called by Broker.openSession
      takeOver: () => this.#end('taken_over', true),
      kick: () => this.#end('kicked', true),
      describe: () => {
        const i = this.#d.info;
        return {
          protocol: i.protocol,
          username: i.username,
          ip_address: i.peerAddress || undefined,
          port: i.peerPort,
          listener: i.gateway,
          keepalive: i.keepAlive,
          connected_at: i.connectedAt,
        };
      },
    };
    this.setKeepAlive(deps.info.keepAlive);
    this.#expireAt(deps.disconnectAt);
    deps.broker.onStop.push(this.#onStop);
  }

  get clientId(): string {
    return this.#d.identity.clientId;
  }

  get info(): DeviceInfo {
    return { ...this.#d.info, mountpoint: this.#d.mountpoint.prefix, asleep: this.#asleep };
  }

  get closed(): boolean {
    return this.#closed;
  }

  #onPublish(p: Pending, packetId: number | undefined, dup: boolean): boolean {
    if (this.#closed) return true;
    if (!this.#delivering || this.#asleep) this.#park(p, packetId, dup);
    else this.#hand(p, packetId, dup);
    return true;
  }

  // ---- the gateway's API -------------------------------------------------------------------------------

  startDelivery(): void {
    if (this.#delivering || this.#closed) return;
    this.#delivering = true;
    this.#flushParked();
    this.#d.session.resume();
  }

  publish(m: DevicePublish): Promise<{ matched: number }> {
    return this.#publish(m);
  }

  readRetained(topic: string): RetainedRead {
    const { broker, mountpoint, access, identity } = this.#d;
    const mounted = mountpoint.mount(topic);
    if (validateTopicName(mounted, broker.options.max_topic_levels)) return { ok: false, reason: 'invalid_topic' };
    // reading a topic's state is what a subscription would deliver: the same authorization decides
    if (!access.authorize(identity, 'subscribe', mounted)) return { ok: false, reason: 'not_authorized' };
    return { ok: true, message: broker.retainedMessage(mounted) };
  }

  subscribe(subs: readonly DeviceSubscription[]): SubscribeOutcome[] {
    const { broker, session, mountpoint, access, identity } = this.#d;
    const opts = broker.options;
    const granted: Array<{ sub: Parameters<Broker['subscribe']>[1]; isNew: boolean }> = [];
    const out = subs.map((s): SubscribeOutcome => {
      if (this.#closed) return { ok: false, reason: 'not_authorized' };
      const filter = mountpoint.mount(s.filter);
      const shared = parseSharedFilter(filter, opts.max_topic_levels);
      if (shared && !('filter' in shared)) return { ok: false, reason: 'invalid_filter' };
      const inner = shared ? shared.filter : filter;
      if (shared && !opts.shared_subscription) return { ok: false, reason: 'shared_unsupported' };
      if (validateTopicFilter(inner, opts.max_topic_levels)) return { ok: false, reason: 'invalid_filter' };
      if (!opts.wildcard_subscription && /[+#]/.test(inner)) return { ok: false, reason: 'wildcards_unsupported' };
      if (!access.authorize(identity, 'subscribe', filter)) return { ok: false, reason: 'not_authorized' };
      const qos = Math.min(s.qos, opts.max_qos_allowed) as QoS; // [MQTT-3.9.3-1] granted may be lower
      const sub = {
        filter,
        qos,
        noLocal: s.noLocal ?? false,
        retainAsPublished: s.retainAsPublished ?? false,
        retainHandling: s.retainHandling ?? 0,
      };
      granted.push({ sub, isNew: broker.subscribe(session, sub) });
      return { ok: true, qos };
    });
    // [MQTT-3.8.4-4] retained messages follow the SUBACK, which the gateway sends before this microtask runs
    if (granted.length > 0)
      queueMicrotask(() => {
        if (this.#closed) return;
        for (const g of granted) broker.deliverRetained(session, g.sub, g.isNew);
      });
    return out;
  }

  unsubscribe(filters: readonly string[]): boolean[] {
    if (this.#closed) return filters.map(() => false);
    return filters.map((f) => this.#d.broker.unsubscribe(this.#d.session, this.#d.mountpoint.mount(f)));
  }

  setWill(will: DeviceWill | undefined): { ok: true } | { ok: false; detail: string } {
    if (!will) {
      this.#will = undefined;
      return { ok: true };
    }
    const m = willMessage(this.#d.broker, will, this.#d.mountpoint, {
      clientId: this.clientId,
      username: this.#d.identity.username,
    });
    if (typeof m === 'string') return { ok: false, detail: m };
    this.#will = { message: m, delay: will.delay ?? 0 };
    return { ok: true };
  }

  touch(): void {
    this.#lastSeen = Date.now();
  }

  setKeepAlive(seconds: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#keepAliveMs = this.#d.enforceKeepAlive ? seconds * 1000 * this.#d.broker.options.keepalive_multiplier : 0;
    this.#lastSeen = Date.now();
    (this.#d.info as { keepAlive: number }).keepAlive = seconds;
    this.#arm(this.#keepAliveMs);
  }

  sleep(): void {
    if (!this.#closed) this.#asleep = true;
  }

  wake(): void {
    if (!this.#asleep || this.#closed) return;
    this.#asleep = false;
    this.touch();
    this.#flushParked();
    this.#d.session.pump();
  }

  close(opts: { sessionExpiry?: number } = {}): void {
    // [MQTT-3.14.4-3] a normal disconnect discards the will
    this.#will = undefined;
    this.#end('normal', false, opts.sessionExpiry);
  }

  lose(reason: string): void {
    this.#d.logger.debug({ clientId: this.clientId, reason }, 'device lost');
    this.#end('lost', false);
  }

  // ---- internals ---------------------------------------------------------------------------------------

  #publish(m: DevicePublish): Promise<{ matched: number }> {
    const { broker, access, identity, mountpoint } = this.#d;
    if (this.#closed) return Promise.reject(new StateError('PH_STATE_DEVICE_CLOSED', 'device session closed'));
    const opts = broker.options;
    const topic = mountpoint.mount(m.topic);
    const bad = validateTopicName(topic, opts.max_topic_levels);
    if (bad) return Promise.reject(new TopicError('PH_TOPIC_INVALID', `invalid topic "${topic}": ${bad}`));
    if (m.qos > opts.max_qos_allowed)
      // [MQTT-3.2.2-11]
      return Promise.reject(new ProtocolError('PH_PROTOCOL_QOS', `QoS ${m.qos} above mqtt.max_qos_allowed`));
    if (m.retain && !opts.retain_available)
      // [MQTT-3.2.2-14]
      return Promise.reject(new ProtocolError('PH_PROTOCOL_RETAIN', 'retain not available'));
    if (!access.authorize(identity, 'publish', topic)) {
      broker.metrics.dropped.inc({ reason: 'not_authorized' });
      return Promise.reject(
        new AuthError('PH_AUTH_NOT_AUTHORIZED', `${identity.clientId} may not publish to ${topic}`),
      );
    }
    if (m.qos > 0 && this.#uplinkPending >= opts.receive_maximum) {
      // [MQTT-3.3.4-8] the device has more unacknowledged QoS >= 1 publishes open than the broker's Receive Maximum
      broker.metrics.dropped.inc({ reason: 'inflight_full' });
      return Promise.reject(
        new QuotaError('PH_QUOTA_EXCEEDED', `more than ${opts.receive_maximum} publishes awaiting accept`),
      );
    }
    const now = Date.now();
    const msg: BrokerMessage = {
      topic,
      payload: m.payload,
      qos: m.qos,
      retain: m.retain,
      properties: m.properties && Object.keys(m.properties).length > 0 ? m.properties : undefined,
      expiresAt: expiresAt(m.properties, now),
      receivedAt: now,
      // one object per session, not per message: the identity never changes and nobody writes to an origin
      origin: (this.#origin ??= {
        clientId: identity.clientId,
        username: identity.username,
        gateway: this.#d.info.gateway,
      }),
    };
    let matched: number;
    try {
      matched = broker.route(msg, identity.clientId);
    } catch (err) {
      return Promise.reject(err); // PH_STORE_WRITE: not accepted, the device keeps it and resends
    }
    // subscriber queues this message took over their high watermark: a device cannot be paused like a socket,
    // so its QoS >= 1 accept (its PUBACK / 2.04) waits until they drain (or stall), as Broker.publish does;
    // without it a device publishing at full speed overflowed a slow subscriber's queue after being PUBACKed
    const gates = broker.takeBacklogged(identity.clientId);
    const acceptance = broker.takeAcceptance();
    this.#d.counters.received.inc();
    this.touch();
    if (m.qos === 0) return Promise.resolve({ matched });
    this.#uplinkPending++;
    // the PUBACK point: everything the message caused is durable in the store, accepted by the durable consumer
    // that keeps it without a store row (the bridge cache), and not over a subscriber's queue watermark
    return new Promise((resolve) => {
      const done = () => {
        this.#uplinkPending--;
        resolve({ matched });
      };
      if (!acceptance && !gates && this.#acks.idle) return broker.store.afterCommit(done);
      // resolved in publish order even when an earlier one waits for its consumer or a queue, as PUBACKs must be
      const ready = this.#acks.enqueue(done);
      const relieved = gates ? () => whenRelieved(gates, ready) : ready;
      broker.store.afterCommit(acceptance ? () => acceptance.whenSettled(relieved) : relieved);
    });
  }

  #hand(p: Pending, packetId: number | undefined, dup: boolean): void {
    const session = this.#d.session;
    let acked = false;
    const delivery: DeviceDelivery = {
      topic: this.#d.mountpoint.unmount(p.msg.topic),
      payload: p.msg.payload,
      qos: p.qos,
      retain: p.retain,
      properties: propertiesForDelivery(p.msg, Date.now()),
      dup,
      ack: () => {
        if (acked || packetId === undefined || this.#closed) return;
        acked = true;
        if (p.qos === 2) session.received(packetId);
        session.complete(packetId);
      },
    };
    this.#d.counters.sent.inc();
    try {
      this.#d.handler.onDelivery(delivery);
    } catch (err) {
      this.#d.logger.warn({ err, clientId: this.clientId }, 'device delivery handler threw');
    }
  }

  #park(p: Pending, packetId: number | undefined, dup: boolean): void {
    if (packetId === undefined && this.#parked.length >= this.#d.maxParked) {
      // bounded like the session queue: the oldest QoS 0 message gives way
      const i = this.#parked.findIndex((x) => x.packetId === undefined);
      if (i < 0 || p.qos !== 0) {
        this.#d.broker.metrics.dropped.inc({ reason: 'queue_full' });
        return;
      }
      this.#parked.splice(i, 1);
      this.#d.broker.metrics.dropped.inc({ reason: 'queue_full' });
    }
    this.#parked.push({ p, packetId, dup });
  }

  #flushParked(): void {
    const parked = this.#parked;
    this.#parked = [];
    for (const x of parked) if (!this.#closed) this.#hand(x.p, x.packetId, x.dup);
  }

  #arm(ms: number): void {
    if (this.#keepAliveMs <= 0 || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const idle = Date.now() - this.#lastSeen;
      // [MQTT-3.1.2-24] no sign of life for 1.5 × keep-alive: the device is lost and its will published
      if (idle >= this.#keepAliveMs) this.#end('keepalive_timeout', true);
      else this.#arm(this.#keepAliveMs - idle);
    }, ms);
    this.#timer.unref();
  }

  #expireAt(at: number | undefined): void {
    if (at === undefined) return;
    // setTimeout holds at most 2^31-1 ms: re-arm until the instant is reached
    this.#expiryTimer = setTimeout(
      () => {
        if (at > Date.now()) return this.#expireAt(at);
        const { protocol, gateway } = this.#d.info;
        this.#d.broker.metrics.refused.inc({ listener: gateway, protocol, reason: 'credentials_expired' });
        this.#end('credentials_expired', true);
      },
      Math.min(Math.max(at - Date.now(), 0), 2 ** 31 - 1),
    );
    this.#expiryTimer.unref();
  }

  #end(reason: DeviceCloseReason | 'normal' | 'lost', notify: boolean, sessionExpiry?: number): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#expiryTimer);
    this.#parked = [];
    const { broker, session } = this.#d;
    broker.onStop = broker.onStop.filter((f) => f !== this.#onStop);
    if (session.sink === this.sink) {
      if (sessionExpiry !== undefined) broker.setExpiry(session, sessionExpiry);
      const will = this.#will;
      if (will && reason !== 'normal' && reason !== 'broker_stopped' && reason !== 'kicked' && broker.running) {
        // [MQTT-3.1.2-8] abnormal loss: publish the will after min(Will Delay, Session Expiry) (§3.1.3.2.2)
        const delay = Math.min(will.delay, session.expiryInterval);
        broker.wills.schedule({ clientId: session.clientId, message: will.message }, delay);
      }
      broker.detach(session);
    }
    this.#will = undefined;
    this.#d.onEnd(this, reason);
    this.#d.logger.debug({ clientId: this.clientId, reason, protocol: this.#d.info.protocol }, 'device disconnected');
    if (notify) {
      try {
        this.#d.handler.onClose(reason as DeviceCloseReason);
      } catch (err) {
        this.#d.logger.warn({ err, clientId: this.clientId }, 'device close handler threw');
      }
    }
  }
}
