/**
 * One MQTT session: subscriptions plus the messages owed to the client, transport-agnostic. A network
 * connection or an in-process observer attaches as the SessionSink; while none is attached the session is
 * offline and queues (persistent sessions only).
 */
import type { QoS } from '../envelope.js';
import type { BrokerStore, StoredSubscription } from '../store/types.js';
import type { BrokerMetrics, DropReason } from './broker-metrics.js';
import { Deque } from './deque.js';
import { QueueGate, type FlowOptions } from './flow-control.js';
import { QueuePager, pendingOf } from './queue-pager.js';
import { isExpired, payloadBytes, type Pending } from './message.js';
import type { Acceptance } from './acceptance.js';

export interface SessionSink {
  /** False while the transport buffer is over its soft limit: QoS >= 1 waits in the queue, publishers are throttled. */
  readonly writable: boolean;
  /** False once the transport buffer is over its hard limit: QoS 0 is dropped (slow_consumer). */
  readonly acceptsQos0: boolean;
  /** The peer's Receive Maximum: QoS >= 1 PUBLISHes in flight at once ([MQTT-3.3.4-9]). */
  readonly receiveMaximum: number;
  /** True while the transport does not read from its peer (held back itself): it cannot hold others back. */
  readonly readingPaused?: boolean;
  /** Send a PUBLISH; returns false if it could not be sent at all (e.g. over the peer's maximum packet size). */
  publish(p: Pending, packetId: number | undefined, dup: boolean): boolean;
  pubrel(packetId: number): void;
}

export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
  overflow: 'drop_oldest' | 'drop_newest';
  storeQos0: boolean;
  /** Limits of a persistent session on the SQLite store while offline (or while its backlog is beyond the above). */
  offlineMaxMessages: number;
  offlineMaxBytes: number;
  /** Queued messages of a persistent session held in memory (SQLite store); the rest is paged from the store. */
  memoryWindow: number;
}

export interface SessionContext {
  store: BrokerStore;
  metrics: BrokerMetrics;
  limits: QueueLimits;
  flow: FlowOptions;
  /** Called with messages a session gives up that belong to a shared subscription (for redelivery). */
  reroute(p: Pending, from: Session): void;
  /** A delivery found this sink over its soft limit: the publisher should slow down until it drains. */
  congested(sink: SessionSink): void;
  /** A delivery found this session's queue over the high watermark: the publisher should wait for the gate. */
  backlogged(gate: QueueGate): void;
  /** A holding session acknowledged nothing for the stall timeout. */
  stalled(session: Session): void;
  /** Hold the acceptance of the message being routed (a durable consumer keeps it without a store row). */
  hold(): Acceptance;
}

export class Session {
  readonly clientId: string;
  protocolVersion: 3 | 4 | 5;
  /** Store-backed: QoS >= 1 messages and subscriptions survive restarts. */
  persistent: boolean;
  /** Seconds; 0xFFFFFFFF = never. */
  expiryInterval: number;
  readonly internal: boolean;
  /**
   * The attached consumer keeps its own durable copy of what it acks (InternalSessionOptions.durableConsumer):
   * while attached, QoS >= 1 messages get no store row and hold the publisher's acknowledgement instead.
   */
  durableConsumer = false;
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
  /** Queue back-pressure towards publishers (flow-control.ts). */
  readonly gate: QueueGate;
  readonly #pager: QueuePager;

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
    this.gate = new QueueGate(clientId, ctx.flow.stallMs, () => ctx.stalled(this));
    this.#pager = new QueuePager(ctx.store, clientId, ctx.store.kind === 'sqlite' ? ctx.limits.memoryWindow : 0);
  }

  /** After a restart: messages in flight, and the first page of the queue (the rest stays in the store). */
  loadFromStore(): void {
    const store = this.#ctx.store;
    if (this.#pager.window === 0) {
      for (const m of store.loadMessages(this.clientId)) this.restore(pendingOf(m));
      return;
    }
    for (const m of store.loadInflight(this.clientId)) this.restore(pendingOf(m));
    for (const m of store.loadQueued(this.clientId, 0, this.#pager.window)) {
      this.restore(pendingOf(m));
      this.#pager.loadedSeq = m.seq;
    }
    this.#pager.countRest();
    this.#ctx.metrics.queued.inc(this.#pager.count);
  }

  /** Queued messages, in memory and paged. */
  get queueLength(): number {
    return this.#queue.length + this.#pager.count;
  }

  /** Queued messages held in memory (at most the memory window, for a persistent session on SQLite). */
  get queueInMemory(): number {
    return this.#queue.length;
  }

  /** Bring every paged message into memory (the session stops being persistent: its rows are deleted). */
  unpage(): void {
    while (this.#pager.active) this.#pageIn(Infinity);
  }

  #pageIn(room: number): void {
    for (const p of this.#pager.pageIn(room)) {
      p.state = 'queued';
      this.#queue.push(p);
      this.#queuedBytes += payloadBytes(p.msg);
    }
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
      // only stored messages are paged: with the memory window full, QoS 0 has no room
      if (this.#pager.active && this.#queue.length >= this.#pager.window) return this.#drop(p, 'queue_full');
      if (!this.#admit(p)) return;
      this.#pushQueue(p);
      this.pump();
      // QoS 0 behind a backlog holds publishers too: it must not push acknowledged QoS >= 1 out of the queue
      if (this.sink) this.#checkBacklog();
      return;
    }
    // a message handed on (shared subscription) may carry its publisher's hold from another session
    const carried = p.accept;
    p.accept = undefined;
    if (isExpired(p.msg, Date.now())) {
      carried?.release();
      return this.#drop(p, 'expired');
    }
    if (!this.#admit(p)) return carried?.release();
    if (this.persistent && this.#consumerKeepsCopy()) p.accept = carried ?? this.#ctx.hold();
    else {
      if (this.persistent) p.seq = this.#ctx.store.enqueue(this.clientId, p.msg, p.qos, p.subIds);
      if (carried) this.#ctx.store.afterCommit(() => carried.release());
    }
    if (this.#pager.pageOut(p.seq, payloadBytes(p.msg), this.#queue.length)) {
      this.#ctx.metrics.queued.inc(); // in the store only; older messages are ahead of it
    } else {
      this.#pushQueue(p);
      this.pump();
    }
    if (this.sink) {
      if (!this.sink.writable) this.#ctx.congested(this.sink);
      this.#checkBacklog();
    }
  }

  /**
   * A durable consumer is attached and the message can join the in-memory queue in order: nothing older is
   * still paged in the store (from before it attached), and the memory window has room.
   */
  #consumerKeepsCopy(): boolean {
    return (
      this.durableConsumer &&
      this.sink !== undefined &&
      !this.#pager.active &&
      (this.#pager.window === 0 || this.#queue.length < this.#pager.window)
    );
  }

  /**
   * The durable consumer went away: what it held without a store row (in flight or queued) is written now, in
   * order, and the publishers' acknowledgements it held are released once that commits.
   */
  storeHeld(): void {
    if (!this.durableConsumer || !this.persistent) return;
    const released: Acceptance[] = [];
    const store = this.#ctx.store;
    /** Give a held message its row; false for one that has a row already (or is QoS 0). */
    const write = (p: Pending): p is Pending & { seq: number } => {
      if (p.accept === undefined) return false;
      p.seq = store.enqueue(this.clientId, p.msg, p.qos, p.subIds);
      released.push(p.accept);
      p.accept = undefined;
      return true;
    };
    for (const [packetId, p] of this.#inflight)
      if (write(p) && p.state !== 'queued') store.markInflight(this.clientId, p.seq, packetId, p.state);
    for (const p of this.#queue) {
      // in memory and in the store, like any queued message: the pager must not read it back again
      if (write(p) && p.seq > this.#pager.loadedSeq) this.#pager.loadedSeq = p.seq;
    }
    if (released.length > 0) store.afterCommit(() => released.forEach((a) => a.release()));
  }

  /** Over the high watermark while connected: hold back publishers (unless stalled). */
  #checkBacklog(): void {
    const flow = this.#ctx.flow;
    if (flow.highWatermark === 0) return;
    if (this.queueLength > flow.highWatermark || this.#queuedBytes + this.#pager.bytes > flow.highBytes) {
      this.gate.raise(Date.now());
      if (this.gate.holding) this.#ctx.backlogged(this.gate);
    }
  }

  /** Under the low watermark (half the high one): publishers may go on. */
  #checkRelief(): void {
    const flow = this.#ctx.flow;
    if (this.queueLength <= flow.highWatermark / 2 && this.#queuedBytes + this.#pager.bytes <= flow.highBytes / 2)
      this.gate.lower();
  }

  /** Send queued messages while the in-flight window and the transport allow. */
  pump(): void {
    const sink = this.sink;
    if (!sink) return;
    const now = Date.now();
    const refill = this.#pager.window / 2;
    for (;;) {
      if (this.#pager.active && this.#queue.length <= refill) this.#pageIn(this.#pager.window - this.#queue.length);
      if (this.#queue.length === 0 || !sink.writable) break;
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
    this.#checkRelief();
  }

  /** The transport went away: an offline session holds no publisher back. */
  detachSink(): void {
    this.sink = undefined;
    this.gate.lower();
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
    this.gate.progress(Date.now());
    this.#complete(packetId);
    this.pump();
    return true;
  }

  /** PUBREC for an outbound QoS 2 message: now awaiting PUBCOMP ([MQTT-4.3.3-4]). */
  received(packetId: number): boolean {
    const p = this.#inflight.get(packetId);
    if (!p) return false;
    this.gate.progress(Date.now());
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
        {
          msg: p.msg,
          qos: p.qos,
          retain: p.retain,
          subIds: p.subIds,
          state: 'queued',
          share: p.share,
          dup: false,
          accept: p.accept,
        },
        this,
      );
    }
  }

  /** Drop everything (session end). Queued QoS >= 1 messages of shared subscriptions are handed on first. */
  destroy(): void {
    this.releaseShared();
    this.#ctx.metrics.queued.dec(this.#queue.length + this.#pager.count);
    for (const p of this.#queue) settle(p);
    for (const p of this.#inflight.values()) settle(p);
    this.#pager.clear();
    this.#queue.clear();
    this.#inflight.clear();
    this.#queuedBytes = 0;
    this.gate.lower();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
  }

  #admit(p: Pending): boolean {
    const limits = this.#ctx.limits;
    const size = payloadBytes(p.msg);
    let maxMessages = limits.maxMessages;
    let maxBytes = limits.maxBytes;
    if (
      this.persistent &&
      this.#pager.window > 0 &&
      (!this.sink || this.queueLength > maxMessages || this.#queuedBytes + this.#pager.bytes > maxBytes)
    ) {
      // offline, or still draining a backlog from being offline: the store holds it, memory only a window
      maxMessages = limits.offlineMaxMessages;
      maxBytes = limits.offlineMaxBytes;
    }
    while (
      this.queueLength > 0 &&
      (this.queueLength + 1 > maxMessages || this.#queuedBytes + this.#pager.bytes + size > maxBytes)
    ) {
      if (limits.overflow === 'drop_newest') {
        this.#drop(p, 'queue_full');
        return false;
      }
      if (this.#queue.length === 0) this.#pageIn(this.#pager.window);
      if (this.#queue.length === 0) break;
      const old = this.#queue.shift() as Pending;
      this.#queuedBytes -= payloadBytes(old.msg);
      this.#ctx.metrics.queued.dec();
      if (old.seq !== undefined) this.#ctx.store.remove(this.clientId, old.seq);
      settle(old);
      this.#ctx.metrics.dropped.inc({ reason: 'queue_full' });
    }
    if (size > maxBytes) {
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
    if (p) settle(p); // the durable consumer acked: it holds the message now
  }

  #drop(p: Pending, reason: DropReason): void {
    if (p.seq !== undefined) this.#ctx.store.remove(this.clientId, p.seq);
    settle(p); // a counted drop never holds a publisher's acknowledgement back
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

/** Release the publisher's acknowledgement a message held, once. */
function settle(p: Pending): void {
  const a = p.accept;
  if (a === undefined) return;
  p.accept = undefined;
  a.release();
}

export type { QoS };
