/**
 * The broker core: session registry, subscription routing, retained messages and wills. Network connections
 * (connection.ts) and in-process sessions (internal-session.ts) are both just Session sinks; this class is the
 * single source of truth for routing.
 */
import type { Observable } from 'rxjs';
import type { Envelope, PublishProperties, QoS } from '../envelope.js';
import { StateError, TopicError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { MqttOptions } from '../config/schema.js';
import type { BrokerStore, StoredSubscription } from '../store/types.js';
import { AuthError } from '../errors.js';
import { allowAll, type AccessControl } from './access.js';
import type { BrokerApi, Delivery, InternalSessionOptions, PublishOptions } from './api.js';
import { connectDevice } from './device-connect.js';
import { DeviceRegistry } from './device-registry.js';
import type { DeviceConnectRequest, DeviceConnectResult } from './device-types.js';
import { brokerMetrics, type BrokerMetrics } from './broker-metrics.js';
import { whenRelieved, type QueueGate } from './flow-control.js';
import { Acceptance } from './acceptance.js';
import { isExpired, messageFromEnvelope, propertiesForDelivery, type BrokerMessage, type Pending } from './message.js';
import { Session, type QueueLimits, type SessionContext, type SessionSink } from './session.js';
import { SharedGroup } from './shared.js';
import {
  SubscriptionTrie,
  parseSharedFilter,
  topicMatches,
  validateTopicName,
  type SharedFilter,
} from './topic/index.js';
import { internalSession$ } from './internal-session.js';
import { RetainedStore } from './retained.js';
import { WillScheduler, type Will } from './will.js';
import { NEVER_EXPIRES } from './expiry.js';
import type { ClientLifecycle } from '../sys/client-events.js';

export { NEVER_EXPIRES };

/** The group and inner filter of an already validated `$share/...` filter. */
function sharedOf(filter: string): SharedFilter | undefined {
  const s = parseSharedFilter(filter);
  return s && 'group' in s ? s : undefined;
}

type Target = { shared: false; session: Session; sub: StoredSubscription } | { shared: true; group: SharedGroup };

interface Aggregate {
  session: Session;
  qos: QoS;
  rap: boolean;
  subIds?: number[];
  share?: string;
}

export interface BrokerDeps {
  mqtt: MqttOptions;
  store: BrokerStore;
  metrics: Metrics;
  logger: Logger;
  /** Authentication and authorization for device sessions and `publish(…, { authorize: true })`. Default: allow all. */
  access?: AccessControl;
}

/** EMQX's names for the device protocols in $SYS client events. */
const DEVICE_PROTO_NAMES: Record<string, string> = { mqttsn: 'MQTT-SN', coap: 'CoAP', lwm2m: 'LwM2M' };
/** Device session end reasons as EMQX names them in disconnected events. */
const DEVICE_REASONS: Record<string, string> = { taken_over: 'takeover', lost: 'sock_closed' };

export class Broker implements BrokerApi {
  readonly sessions = new Map<string, Session>();
  readonly metrics: BrokerMetrics;
  readonly retained: RetainedStore;
  readonly wills: WillScheduler;
  /** Connected device sessions (clients of client gateways). */
  readonly devices = new DeviceRegistry();
  readonly #trie = new SubscriptionTrie<Target>();
  readonly #shared = new Map<string, SharedGroup>();
  readonly #ctx: SessionContext;
  /** Sinks found over their soft limit by the current route() call; see takeCongested(). */
  readonly #congested = new Set<SessionSink>();
  /** Sessions over their queue high watermark found by the current route() call; see takeBacklogged(). */
  readonly #backlogged = new Set<QueueGate>();
  /** Durable consumers holding the message of the current route() call; see takeAcceptance(). */
  #acceptance: Acceptance | undefined;
  readonly #deps: BrokerDeps;
  #running = false;
  #subscriptionCount = 0;
  /** Called when a connected session must be kicked (takeover by an in-process session, shutdown). */
  onStop: Array<() => void> = [];
  /** Told when a network client connects and disconnects ($SYS event messages); set by the hub. */
  clientEvents?: ClientLifecycle;

  constructor(deps: BrokerDeps) {
    this.#deps = deps;
    this.metrics = brokerMetrics(deps.metrics);
    this.retained = new RetainedStore(deps.store, this.metrics);
    this.wills = new WillScheduler((will) => this.#publishWill(will));
    // device-gateway clients (MQTT-SN, CoAP, LwM2M) produce the same $SYS client events as TCP clients
    this.devices.onEvent((e) => {
      const events = this.clientEvents;
      if (!events) return;
      const { info } = e;
      const base = {
        clientid: info.clientId,
        username: info.username,
        ipaddress: info.peerPort === undefined ? info.peerAddress : `${info.peerAddress}:${info.peerPort}`,
        proto_ver: 0,
        proto_name: DEVICE_PROTO_NAMES[info.protocol] ?? info.protocol,
        listener: info.gateway,
      };
      if (e.kind === 'connected')
        events.connected({
          ...base,
          keepalive: info.keepAlive,
          clean_start: info.cleanStart,
          connected_at: info.connectedAt,
        });
      else events.disconnected({ ...base, reason: DEVICE_REASONS[e.reason] ?? e.reason, disconnected_at: Date.now() });
    });
    this.#ctx = {
      store: deps.store,
      metrics: this.metrics,
      limits: {
        maxMessages: deps.mqtt.max_mqueue_len,
        maxBytes: deps.mqtt.max_mqueue_bytes,
        overflow: deps.mqtt.mqueue_overflow,
        storeQos0: deps.mqtt.mqueue_store_qos0,
        offlineMaxMessages: Math.max(deps.mqtt.max_offline_mqueue_len, deps.mqtt.max_mqueue_len),
        offlineMaxBytes: Math.max(deps.mqtt.max_offline_mqueue_bytes, deps.mqtt.max_mqueue_bytes),
        memoryWindow: deps.mqtt.mqueue_memory_window,
      },
      flow: {
        highWatermark: deps.mqtt.queue_high_watermark,
        highBytes: deps.mqtt.max_mqueue_bytes / 2,
        stallMs: deps.mqtt.stall_timeout,
      },
      reroute: (p, from) => this.#reroute(p, from),
      congested: (sink) => this.#congested.add(sink),
      backlogged: (gate) => this.#backlogged.add(gate),
      stalled: (session) => this.#stalled(session),
      hold: () => (this.#acceptance ??= new Acceptance()).hold(),
    };
  }

  get options(): MqttOptions {
    return this.#deps.mqtt;
  }

  get store(): BrokerStore {
    return this.#deps.store;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Load persistent sessions and retained messages from the store. */
  start(): void {
    if (this.#running) return;
    this.retained.load();
    const now = Date.now();
    for (const stored of this.#deps.store.loadSessions()) {
      const session = new Session(this.#ctx, stored.clientId, {
        protocolVersion: stored.protocolVersion,
        persistent: true,
        expiryInterval: stored.expiryInterval,
        internal: stored.clientId.startsWith('$hub/'),
      });
      session.disconnectedAt = stored.disconnectedAt ?? now;
      this.sessions.set(session.clientId, session);
      for (const sub of stored.subscriptions) this.#addSubscription(session, sub);
      for (const id of stored.awaitingRel ?? []) session.inboundQos2.add(id);
      session.loadFromStore();
      this.scheduleExpiry(session, now);
    }
    this.metrics.sessions.set(this.sessions.size);
    this.#running = true;
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    for (const fn of this.onStop.splice(0)) fn();
    this.wills.clear();
    for (const s of this.sessions.values()) if (s.expiryTimer) clearTimeout(s.expiryTimer);
  }

  // ---- sessions ----------------------------------------------------------------------------------------

  /**
   * Find or create the session for a connecting client. `cleanStart` discards an existing one
   * ([MQTT-3.1.2-4]); otherwise it is resumed and `present` is true ([MQTT-3.2.2-2]).
   */
  openSession(
    clientId: string,
    opts: {
      cleanStart: boolean;
      protocolVersion: 3 | 4 | 5;
      expiryInterval: number;
      internal?: boolean;
      /** Queue bounds of a newly created session (device sessions of a gateway with its own limits). */
      limits?: Partial<QueueLimits>;
    },
  ): { session: Session; present: boolean } {
    // [MQTT-3.1.4-3] a device session attached to this client id gives way (and is told why)
    const attached = this.sessions.get(clientId)?.sink as { takeOver?: () => void } | undefined;
    attached?.takeOver?.();
    let session = this.sessions.get(clientId);
    if (session?.expiryTimer) {
      clearTimeout(session.expiryTimer);
      session.expiryTimer = undefined;
    }
    let present = false;
    if (session && opts.cleanStart) {
      // [MQTT-3.1.2-4] clean start discards the session; a pending will fires as its session ends
      this.endSession(session, true);
      session = undefined;
    } else {
      this.wills.cancel(clientId); // [MQTT-3.1.3-9] a new connection before the Will Delay cancels the will
    }
    if (session) {
      present = true;
      session.protocolVersion = opts.protocolVersion;
    } else {
      const ctx = opts.limits ? { ...this.#ctx, limits: { ...this.#ctx.limits, ...opts.limits } } : this.#ctx;
      session = new Session(ctx, clientId, {
        protocolVersion: opts.protocolVersion,
        persistent: false,
        expiryInterval: 0,
        internal: opts.internal,
      });
      this.sessions.set(clientId, session);
      this.metrics.sessions.set(this.sessions.size);
    }
    session.disconnectedAt = undefined;
    this.setExpiry(session, opts.expiryInterval);
    return { session, present };
  }

  /** Update the session expiry (CONNECT or v5 DISCONNECT); persistence follows it. */
  setExpiry(session: Session, expiryInterval: number): void {
    session.expiryInterval = Math.min(expiryInterval, Math.floor(this.#deps.mqtt.max_session_expiry / 1000)) || 0;
    if (expiryInterval === NEVER_EXPIRES && session.internal) session.expiryInterval = NEVER_EXPIRES;
    const persistent = session.expiryInterval > 0;
    if (persistent && !session.persistent) {
      session.persistent = true;
      this.#deps.store.saveSession(session.toStored());
    } else if (!persistent && session.persistent) {
      session.unpage(); // its rows are about to go: what was paged out must be in memory first
      session.persistent = false;
      this.#deps.store.deleteSession(session.clientId);
    } else if (persistent) {
      this.#deps.store.saveSession(session.toStored());
    }
  }

  /** The transport went away: keep the session until it expires ([MQTT-3.1.2-23]), or end it now. */
  detach(session: Session): void {
    // what a durable consumer held without store rows becomes the broker's to keep (before it goes offline)
    session.storeHeld();
    session.detachSink();
    session.disconnectedAt = Date.now();
    if (session.expiryInterval === 0) {
      this.endSession(session, true);
      return;
    }
    session.releaseShared();
    if (session.persistent) this.#deps.store.saveSession(session.toStored());
    this.scheduleExpiry(session, Date.now());
  }

  scheduleExpiry(session: Session, now: number): void {
    if (session.expiryInterval === NEVER_EXPIRES || session.sink) return;
    const left = (session.disconnectedAt ?? now) + session.expiryInterval * 1000 - now;
    if (left <= 0) {
      this.endSession(session, true);
      return;
    }
    session.expiryTimer = setTimeout(() => this.endSession(session, true), Math.min(left, 2 ** 31 - 1));
    session.expiryTimer.unref();
  }

  /** Remove a session with its subscriptions; a pending delayed will fires now ([MQTT-3.1.3-9]). */
  endSession(session: Session, fireWill: boolean): void {
    if (this.sessions.get(session.clientId) !== session) return;
    for (const filter of [...session.subscriptions.keys()]) this.unsubscribe(session, filter);
    session.destroy();
    this.sessions.delete(session.clientId);
    this.metrics.sessions.set(this.sessions.size);
    if (session.persistent) this.#deps.store.deleteSession(session.clientId);
    if (fireWill) this.wills.fireNow(session.clientId);
    else this.wills.cancel(session.clientId);
  }

  // ---- subscriptions -----------------------------------------------------------------------------------

  /**
   * Add or replace a subscription ([MQTT-3.8.4-3]); returns whether it is new (for Retain Handling 1).
   * Retained messages are sent separately by deliverRetained(), after the SUBACK ([MQTT-3.8.4-4]).
   */
  subscribe(session: Session, sub: StoredSubscription): boolean {
    const existed = session.subscriptions.has(sub.filter);
    if (existed) this.#removeSubscription(session, sub.filter);
    this.#addSubscription(session, sub);
    if (session.persistent) this.#deps.store.saveSession(session.toStored());
    return !existed;
  }

  /** Send the retained messages a new subscription should get ([MQTT-3.3.1-9], Retain Handling §3.8.3.1). */
  deliverRetained(session: Session, sub: StoredSubscription, isNew: boolean): void {
    // retained messages are not sent for shared subscriptions (§4.8.2)
    if (sharedOf(sub.filter)) return;
    if (sub.retainHandling === 0 || (sub.retainHandling === 1 && isNew)) this.#sendRetained(session, sub);
  }

  unsubscribe(session: Session, filter: string): boolean {
    if (!session.subscriptions.has(filter)) return false;
    this.#removeSubscription(session, filter);
    if (session.persistent && this.sessions.get(session.clientId) === session)
      this.#deps.store.saveSession(session.toStored());
    return true;
  }

  #addSubscription(session: Session, sub: StoredSubscription): void {
    session.subscriptions.set(sub.filter, sub);
    const shared = sharedOf(sub.filter);
    if (shared) {
      // keyed by the whole `$share/{group}/{filter}` text, which is also SharedGroup.key and Pending.share
      let group = this.#shared.get(sub.filter);
      if (!group) {
        group = new SharedGroup(shared.group, shared.filter);
        this.#shared.set(group.key, group);
        this.#trie.insert(shared.filter, `\u0000share\u0000${shared.group}`, { shared: true, group });
      }
      group.members.set(session.clientId, { session, sub });
    } else {
      this.#trie.insert(sub.filter, session.clientId, { shared: false, session, sub });
    }
    this.metrics.subscriptions.set(++this.#subscriptionCount);
  }

  #removeSubscription(session: Session, filter: string): void {
    session.subscriptions.delete(filter);
    const shared = sharedOf(filter);
    if (shared) {
      const group = this.#shared.get(filter);
      group?.members.delete(session.clientId);
      if (group && group.members.size === 0) {
        this.#shared.delete(filter);
        this.#trie.remove(shared.filter, `\u0000share\u0000${shared.group}`);
      }
    } else {
      this.#trie.remove(filter, session.clientId);
    }
    this.metrics.subscriptions.set(--this.#subscriptionCount);
  }

  #sendRetained(session: Session, sub: StoredSubscription): void {
    const now = Date.now();
    for (const msg of this.retained.matching(sub.filter, topicMatches)) {
      if (isExpired(msg, now)) continue;
      // [MQTT-3.3.1-8] RETAIN is 1 on messages sent because of a new subscription
      session.deliver({
        msg,
        qos: Math.min(msg.qos, sub.qos) as QoS,
        retain: true,
        subIds: sub.subscriptionId ? [sub.subscriptionId] : undefined,
        state: 'queued',
      });
    }
  }

  // ---- routing -----------------------------------------------------------------------------------------

  /**
   * Sinks that the last route() found congested (and forgets them): the publishing connection pauses reading
   * until they drain, which is TCP back-pressure carried through the broker instead of dropping or buffering.
   */
  takeCongested(): SessionSink[] | undefined {
    if (this.#congested.size === 0) return undefined;
    const out = [...this.#congested];
    this.#congested.clear();
    return out;
  }

  /**
   * Sessions that the last route() found over their queue high watermark (and forgets them), except the
   * publisher's own: the publisher waits for their gates (QueueGate.onRelief) before it sends more.
   */
  takeBacklogged(publisherId?: string): QueueGate[] | undefined {
    if (this.#backlogged.size === 0) return undefined;
    // a subscriber that is itself held back cannot read its acknowledgements: waiting for it could form a cycle
    const out = [...this.#backlogged].filter(
      (g) => g.clientId !== publisherId && !this.sessions.get(g.clientId)?.sink?.readingPaused,
    );
    this.#backlogged.clear();
    return out.length > 0 ? out : undefined;
  }

  /** A connected session held publishers back and acknowledged nothing for stall_timeout: log once per episode. */
  #stalled(session: Session): void {
    this.metrics.stalls.inc();
    this.#deps.logger.warn(
      {
        clientId: session.clientId,
        queued: session.queueLength,
        inflight: session.inflightCount,
        stallTimeoutMs: this.#deps.mqtt.stall_timeout,
      },
      'subscriber stalled: no acknowledgement within stall_timeout; it no longer holds publishers back and its queue limit applies',
    );
  }

  // route()'s state while the trie is walked: a visitor bound once instead of closures per message. Read out
  // and cleared before anything is handed to a session, so a delivery that routes again cannot disturb it.
  #routeFirst: Aggregate | undefined;
  #routeMore: Map<Session, Aggregate> | undefined;
  #routePublisher: string | undefined;
  readonly #visit = (target: Target): void => {
    if (target.shared) {
      const m = target.group.pick();
      if (m) this.#add(m.session, m.sub, target.group.key);
    } else {
      this.#add(target.session, target.sub);
    }
  };

  #add(session: Session, sub: StoredSubscription, share?: string): void {
    // [MQTT-3.8.3-3] no local: not to the publisher's own session
    if (sub.noLocal && this.#routePublisher !== undefined && session.clientId === this.#routePublisher) return;
    const first = this.#routeFirst;
    const agg = first?.session === session ? first : this.#routeMore?.get(session);
    if (agg) {
      // [MQTT-3.3.4-2] overlapping subscriptions: one copy at the highest QoS, every subscription id (§3.3.4)
      if (sub.qos > agg.qos) agg.qos = sub.qos;
      if (sub.retainAsPublished) agg.rap = true;
      if (sub.subscriptionId) (agg.subIds ??= []).push(sub.subscriptionId);
      return;
    }
    const fresh: Aggregate = {
      session,
      qos: sub.qos,
      rap: sub.retainAsPublished,
      subIds: sub.subscriptionId ? [sub.subscriptionId] : undefined,
      share,
    };
    if (!first) this.#routeFirst = fresh;
    else (this.#routeMore ??= new Map()).set(session, fresh);
  }

  /**
   * What the publisher's acknowledgement of the last route() call must wait for besides the store commit:
   * durable consumers (the bridge's cache) that hold the message without a store row. Undefined when none.
   */
  takeAcceptance(): Acceptance | undefined {
    const a = this.#acceptance;
    this.#acceptance = undefined;
    return a;
  }

  /** Route a message to every matching session. Returns the number of sessions it was handed to. */
  route(msg: BrokerMessage, publisherId?: string): number {
    // only when non-empty: V8's Set.clear() allocates a fresh table even for an empty set, and this runs per
    // message (it was a fifth of the hub's CPU in the QoS 0 fan-in profile)
    if (this.#congested.size > 0) this.#congested.clear();
    if (this.#backlogged.size > 0) this.#backlogged.clear();
    this.#acceptance = undefined;
    if (msg.retain) this.retained.set(msg);
    this.#routeFirst = undefined;
    this.#routeMore = undefined;
    this.#routePublisher = publisherId;
    this.#trie.match(msg.topic, this.#visit);
    const first = this.#routeFirst as Aggregate | undefined;
    const more = this.#routeMore as Map<Session, Aggregate> | undefined;
    this.#routeFirst = undefined;
    this.#routeMore = undefined;
    if (!first) return 0;
    this.#hand(msg, first);
    if (more) for (const agg of more.values()) this.#hand(msg, agg);
    return 1 + (more?.size ?? 0);
  }

  #hand(msg: BrokerMessage, agg: Aggregate): void {
    const qos = (msg.qos < agg.qos ? msg.qos : agg.qos) as QoS;
    // [MQTT-3.3.1-12] live delivery clears RETAIN unless Retain As Published [MQTT-3.3.1-13]
    const p: Pending = {
      msg,
      qos,
      retain: agg.rap ? msg.retain : false,
      subIds: agg.subIds,
      state: 'queued',
      share: agg.share,
    };
    agg.session.deliver(p);
  }

  #reroute(p: Pending, from: Session): void {
    const m = p.share && this.#running ? this.#shared.get(p.share)?.pick(from) : undefined;
    if (m)
      m.session.deliver({
        ...p,
        qos: Math.min(p.msg.qos, m.sub.qos) as QoS,
        subIds: m.sub.subscriptionId ? [m.sub.subscriptionId] : undefined,
      });
    else {
      p.accept?.release(); // gone with the session: its publisher is not held back for it
      if (p.share && this.#running) this.metrics.dropped.inc({ reason: 'session_gone' });
    }
  }

  #publishWill(will: Will): void {
    if (!this.#running) return;
    this.route(will.message, will.clientId);
    this.#deps.logger.debug({ clientId: will.clientId, topic: will.message.topic }, 'will published');
  }

  // ---- in-process API ----------------------------------------------------------------------------------

  publish(env: Envelope, opts: PublishOptions = {}): Promise<void> {
    if (!this.#running) return Promise.reject(new StateError('PH_STATE_STOPPED', 'broker is not running'));
    const bad = validateTopicName(env.topic, this.#deps.mqtt.max_topic_levels);
    if (bad) return Promise.reject(new TopicError('PH_TOPIC_INVALID', `invalid topic "${env.topic}": ${bad}`));
    const clientId = opts.clientId ?? env.origin?.clientId;
    if (opts.authorize && clientId !== undefined && !clientId.startsWith('$hub/')) {
      // a connected device is checked with its authenticated identity (username, JWT acl); any other id with
      // the envelope's username. `$hub/...` ids are the hub's own components and are trusted.
      const identity = this.devices.get(clientId)?.identity ?? {
        clientId,
        username: env.origin?.username,
        remoteAddress: opts.remoteAddress ?? '',
      };
      if (!this.access.authorize(identity, 'publish', env.topic)) {
        this.metrics.dropped.inc({ reason: 'not_authorized' });
        return Promise.reject(new AuthError('PH_AUTH_NOT_AUTHORIZED', `${clientId} may not publish to ${env.topic}`));
      }
    }
    const msg = messageFromEnvelope(env);
    const publisherId = clientId;
    try {
      this.route(msg, publisherId);
    } catch (err) {
      return Promise.reject(err); // PH_STORE_WRITE: the caller keeps the message
    }
    // an in-process publisher cannot be paused: its QoS >= 1 promise (its PUBACK) waits instead, for the commit
    // and for every backlogged subscriber queue to drain under its low watermark (or stall)
    const gates = this.takeBacklogged(publisherId);
    const acceptance = this.takeAcceptance();
    if (env.qos === 0) return Promise.resolve();
    return new Promise((resolve) =>
      this.#deps.store.afterCommit(() => {
        const accepted = acceptance ? () => acceptance.whenSettled(resolve) : resolve;
        if (gates) whenRelieved(gates, accepted);
        else accepted();
      }),
    );
  }

  session$(opts: InternalSessionOptions): Observable<Delivery> {
    return internalSession$(this, opts);
  }

  get access(): AccessControl {
    return this.#deps.access ?? allowAll;
  }

  retainedMessage(topic: string): { payload: Buffer; properties?: PublishProperties } | undefined {
    const msg = this.retained.get(topic);
    if (!msg || isExpired(msg, Date.now())) return undefined;
    return { payload: msg.payload, properties: propertiesForDelivery(msg, Date.now()) };
  }

  connectDevice(req: DeviceConnectRequest): Promise<DeviceConnectResult> {
    return connectDevice(this, this.access, this.#deps.logger, req);
  }
}
