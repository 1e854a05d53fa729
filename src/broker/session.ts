/**
 * One MQTT session: subscriptions plus the messages owed to the client, transport-agnostic. A network
 * connection or an in-process observer attaches as the SessionSink; while none is attached the session is
 * offline and queues (persistent sessions only).
 */
import type { QoS } from '../envelope.js';
import type { BrokerStore, StoredSubscription } from '../store/types.js';
import type { BrokerMetrics, DropReason } from './broker-metrics.js';
import { Deque } from './deque.js';
import { isExpired, payloadBytes, type Pending } from './message.js';

export interface SessionSink {
  /** False while the transport buffer is over its soft limit: QoS >= 1 waits in the queue, publishers are throttled. */
  readonly writable: boolean;
  /** False once the transport buffer is over its hard limit: QoS 0 is dropped (slow_consumer). */
  readonly acceptsQos0: boolean;
  /** The peer's Receive Maximum: QoS >= 1 PUBLISHes in flight at once ([MQTT-3.3.4-9]). */
  readonly receiveMaximum: number;
  /** Send a PUBLISH; returns false if it could not be sent at all (e.g. over the peer's maximum packet size). */
  publish(p: Pending, packetId: number | undefined, dup: boolean): boolean;
  pubrel(packetId: number): void;
}

export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
  overflow: 'drop_oldest' | 'drop_newest';
  storeQos0: boolean;
}

export interface SessionContext {
  store: BrokerStore;
  metrics: BrokerMetrics;
  limits: QueueLimits;
  /** Called with messages a session gives up that belong to a shared subscription (for redelivery). */
  reroute(p: Pending, from: Session): void;
  /** A delivery found this sink over its soft limit: the publisher should slow down until it drains. */
  congested(sink: SessionSink): void;
}

export class Session {
  readonly clientId: string;
  protocolVersion: 3 | 4 | 5;
  /** Store-backed: QoS >= 1 messages and subscriptions survive restarts. */
  persistent: boolean;
  /** Seconds; 0xFFFFFFFF = never. */
  expiryInterval: number;
  readonly internal: boolean;
  readonly subscriptions = new Map<string, StoredSubscription>();
  sink?: SessionSink;
  /** Packet ids of inbound QoS 2 messages awaiting PUBREL ([MQTT-4.3.3-10]); use awaitRel()/release(). */
  readonly inboundQos2 = new Set<number>();
  expiryTimer?: NodeJS.Timeout;
  disconnectedAt?: number;

  readonly #queue = new Deque<Pending>();
  #queuedBytes = 0;
  readonly #inflight = new Map<number, Pending>();
  #nextPacketId = 1;
  readonly #ctx: SessionContext;

  constructor(
    ctx: SessionContext,
    clientId: string,
    opts: { protocolVersion: 3 | 4 | 5; persistent: boolean; expiryInterval: number; internal?: boolean },
  ) {
    this.#ctx = ctx;
    this.clientId = clientId;
    this.protocolVersion = opts.protocolVersion;
    this.persistent = opts.persistent;
    this.expiryInterval = opts.expiryInterval;
    this.internal = opts.internal ?? false;
  }

  /** An inbound QoS 2 PUBLISH was routed: remember its id until PUBREL (persisted with the session). */
  awaitRel(packetId: number): void {
    this.inboundQos2.add(packetId);
    if (this.persistent) this.#ctx.store.setAwaitingRel(this.clientId, packetId, true);
  }

  /** PUBREL: forget the id ([MQTT-4.3.3-11]); returns whether it was known. */
  releaseRel(packetId: number): boolean {
    const known = this.inboundQos2.delete(packetId);
    if (known && this.persistent) this.#ctx.store.setAwaitingRel(this.clientId, packetId, false);
    return known;
  }

  get inflightCount(): number {
    return this.#inflight.size;
  }

  /** Messages waiting in the session queue (not yet in flight); read by the HTTP API. */
  get queuedCount(): number {
    return this.#queue.length;
  }

  /** Restore a message loaded from the store after a restart. */
  restore(p: Pending): void {
    if (p.state === 'queued' || p.packetId === undefined) {
      this.#pushQueue(p);
    } else {
      p.dup = true;
      this.#inflight.set(p.packetId, p);
      if (p.packetId >= this.#nextPacketId) this.#nextPacketId = (p.packetId % 65535) + 1;
    }
  }

  /** Hand a routed message to this session. */
  deliver(p: Pending): void {
    const now = Date.now();
    if (p.qos === 0) {
      const sink = this.sink;
      if (sink) {
        if (!sink.writable) {
          // over the soft limit: still written up to the hard limit, and the publisher is throttled
          this.#ctx.congested(sink);
          if (!sink.acceptsQos0) return this.#drop(p, 'slow_consumer');
        }
        if (this.#queue.length === 0) {
          sink.publish(p, undefined, false);
          return;
        }
      } else if (!this.persistent || !this.#ctx.limits.storeQos0) {
        return this.#drop(p, 'no_route');
      }
      if (!this.#admit(p)) return;
      this.#pushQueue(p);
      this.pump();
      return;
    }
    if (isExpired(p.msg, now)) return this.#drop(p, 'expired');
    if (!this.#admit(p)) return;
    if (this.persistent) p.seq = this.#ctx.store.enqueue(this.clientId, p.msg, p.qos, p.subIds);
    this.#pushQueue(p);
    this.pump();
    if (this.sink && !this.sink.writable) this.#ctx.congested(this.sink);
  }

  /** Send queued messages while the in-flight window and the transport allow. */
  pump(): void {
    const sink = this.sink;
    if (!sink) return;
    const now = Date.now();
    while (this.#queue.length > 0 && sink.writable) {
      const head = this.#queue.peek() as Pending;
      if (head.qos > 0 && this.#inflight.size >= sink.receiveMaximum) break;
      this.#queue.shift();
      this.#queuedBytes -= payloadBytes(head.msg);
      this.#ctx.metrics.queued.dec();
      if (isExpired(head.msg, now)) {
        this.#drop(head, 'expired');
        continue;
      }
      if (head.qos === 0) {
        sink.publish(head, undefined, false);
        continue;
      }
      const packetId = this.#allocatePacketId();
      if (packetId === undefined) {
        this.#queue.unshift(head);
        this.#queuedBytes += payloadBytes(head.msg);
        this.#ctx.metrics.queued.inc();
        break;
      }
      head.packetId = packetId;
      head.state = 'publish';
      this.#inflight.set(packetId, head);
      if (head.seq !== undefined) this.#ctx.store.markInflight(this.clientId, head.seq, packetId, 'publish');
      if (!sink.publish(head, packetId, false)) {
        // [MQTT-3.1.2-25] too large for the client: discard as if delivered
        this.#complete(packetId);
        this.#ctx.metrics.dropped.inc({ reason: 'too_large' });
      }
    }
  }

  /** Resend everything in flight after a reconnect ([MQTT-4.4.0-1]), then continue with the queue. */
  resume(): void {
    const sink = this.sink;
    if (!sink) return;
    for (const [packetId, p] of this.#inflight) {
      if (p.state === 'pubrel') sink.pubrel(packetId);
      else if (!sink.publish(p, packetId, true)) this.#complete(packetId);
    }
    this.pump();
  }

  /** PUBACK or PUBCOMP (or a PUBREC with an error reason) for an outbound message. */
  complete(packetId: number): boolean {
    if (!this.#inflight.has(packetId)) return false;
    this.#complete(packetId);
    this.pump();
    return true;
  }

  /** PUBREC for an outbound QoS 2 message: now awaiting PUBCOMP ([MQTT-4.3.3-4]). */
  received(packetId: number): boolean {
    const p = this.#inflight.get(packetId);
    if (!p) return false;
    if (p.state !== 'pubrel') {
      p.state = 'pubrel';
      if (p.seq !== undefined) this.#ctx.store.markInflight(this.clientId, p.seq, packetId, 'pubrel');
    }
    return true;
  }

  /** Messages of shared subscriptions go to another group member when this session goes away. */
  releaseShared(): void {
    const moved: Pending[] = [];
    for (const [packetId, p] of this.#inflight) {
      if (p.share && p.state === 'publish') {
        moved.push(p);
        this.#inflight.delete(packetId);
        if (p.seq !== undefined) this.#ctx.store.remove(this.clientId, p.seq);
      }
    }
    for (const p of this.#queue.removeWhere((q) => q.share !== undefined)) {
      this.#queuedBytes -= payloadBytes(p.msg);
      this.#ctx.metrics.queued.dec();
      if (p.seq !== undefined) this.#ctx.store.remove(this.clientId, p.seq);
      moved.push(p);
    }
    for (const p of moved) {
      this.#ctx.reroute(
        { msg: p.msg, qos: p.qos, retain: p.retain, subIds: p.subIds, state: 'queued', share: p.share, dup: false },
        this,
      );
    }
  }

  /** Drop everything (session end). Queued QoS >= 1 messages of shared subscriptions are handed on first. */
  destroy(): void {
    this.releaseShared();
    this.#ctx.metrics.queued.dec(this.#queue.length);
    this.#queue.clear();
    this.#inflight.clear();
    this.#queuedBytes = 0;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
  }

  #admit(p: Pending): boolean {
    const limits = this.#ctx.limits;
    const size = payloadBytes(p.msg);
    while (
      this.#queue.length > 0 &&
      (this.#queue.length + 1 > limits.maxMessages || this.#queuedBytes + size > limits.maxBytes)
    ) {
      if (limits.overflow === 'drop_newest') {
        this.#drop(p, 'queue_full');
        return false;
      }
      const old = this.#queue.shift() as Pending;
      this.#queuedBytes -= payloadBytes(old.msg);
      this.#ctx.metrics.queued.dec();
      if (old.seq !== undefined) this.#ctx.store.remove(this.clientId, old.seq);
      this.#ctx.metrics.dropped.inc({ reason: 'queue_full' });
    }
    if (size > limits.maxBytes) {
      this.#drop(p, 'queue_full');
      return false;
    }
    return true;
  }

  #pushQueue(p: Pending): void {
    p.state = 'queued';
    this.#queue.push(p);
    this.#queuedBytes += payloadBytes(p.msg);
    this.#ctx.metrics.queued.inc();
  }

  #complete(packetId: number): void {
    const p = this.#inflight.get(packetId);
    this.#inflight.delete(packetId);
    if (p?.seq !== undefined) this.#ctx.store.remove(this.clientId, p.seq);
  }

  #drop(p: Pending, reason: DropReason): void {
    if (p.seq !== undefined) this.#ctx.store.remove(this.clientId, p.seq);
    this.#ctx.metrics.dropped.inc({ reason });
  }

  #allocatePacketId(): number | undefined {
    // [MQTT-2.2.1-3] a packet id is not reused while in flight
    for (let i = 0; i < 65535; i++) {
      const id = this.#nextPacketId;
      this.#nextPacketId = (id % 65535) + 1;
      if (!this.#inflight.has(id)) return id;
    }
    return undefined;
  }

  toStored(): {
    clientId: string;
    protocolVersion: 3 | 4 | 5;
    expiryInterval: number;
    disconnectedAt?: number;
    subscriptions: StoredSubscription[];
  } {
    return {
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      disconnectedAt: this.disconnectedAt,
      subscriptions: [...this.subscriptions.values()],
    };
  }
}

export type { QoS };
