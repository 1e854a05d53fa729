/**
 * Observe relations (RFC 7641): who observes which MQTT filter, with what token, and each relation's lane of
 * notifications — sequence numbers, an in-flight window of CON notifications and a bounded queue behind it.
 * Sans-IO; the channel decides what to send, the registry keeps order and bounds.
 */

export type NotifyType = 'non' | 'con' | 'qos';

export interface RelationLimits {
  /** CON notifications awaiting an ACK per relation (RFC 7252 §4.7 NSTART is 1). */
  window: number;
  /** Notifications waiting behind the window, and their payload bytes; past either `overflow` drops one (counted). */
  maxQueue: number;
  maxQueueBytes: number;
  overflow: 'drop_oldest' | 'drop_newest';
  maxPerPeer: number;
  maxTotal: number;
}

/** NON notifications remembered per relation for RST matching: a client answers a RST within moments. */
const RECENT_NON = 16;

export class ObserveRelation<T> {
  /** RFC 7641 §4.4: 24-bit sequence number, increasing with every notification sent. */
  private seq = 1;
  inflight = 0;
  readonly queue: T[] = [];
  /** Payload bytes of `queue` (as the registry's sizeOf counts them). */
  queueBytes = 0;
  dropped = 0;

  constructor(
    readonly peer: string,
    readonly token: Buffer,
    /** Filter as the device wrote it (ps/{filter}); matched against topics with the mountpoint stripped. */
    readonly filter: string,
    readonly notifyType: NotifyType,
    /** The Uri-Path/Uri-Query of the registration, for Block2 follow-up GETs and re-registration. */
    readonly resourceKey: string,
  ) {}

  /** When the last CON notification went out (RFC 7641 §4.5: at least one every 24 h finds dead observers). */
  lastConAt = 0;

  /**
   * Largest block size (SZX) the client asked for: a Block2 option in the registration (RFC 7959 §2.4 early
   * negotiation) or a smaller one in a later block request (late negotiation). 6 = 1024 bytes, no preference.
   */
  blockSzx = 6;

  /**
   * Message ids of the last NON notifications sent on this relation, so a RST to one of them cancels it (RFC 7641
   * §3.6). Per relation, so no amount of traffic to other observers pushes them out.
   */
  private readonly recentNon: number[] = [];

  rememberNon(messageId: number): void {
    if (this.recentNon.length >= RECENT_NON) this.recentNon.shift();
    this.recentNon.push(messageId);
  }

  sentNon(messageId: number): boolean {
    return this.recentNon.includes(messageId);
  }

  /** A re-registration keeps counting from the relation it replaces (RFC 7641 §4.4 freshness). */
  continueFrom(previous: ObserveRelation<T>): void {
    this.seq = previous.seq;
    this.lastConAt = previous.lastConAt;
  }

  nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xffffff;
    return s;
  }

  get tokenKey(): string {
    return this.token.toString('hex');
  }
}

export type OfferResult = 'send' | 'queued' | 'dropped_oldest' | 'dropped_newest';

export class ObserveRegistry<T> {
  private readonly byPeer = new Map<string, Map<string, ObserveRelation<T>>>();
  private total = 0;

  constructor(
    private readonly limits: RelationLimits,
    /** Payload size of a queued item, for maxQueueBytes. */
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {}

  get size(): number {
    return this.total;
  }

  /** Register (or re-register, RFC 7641 §4.1: same token replaces); undefined when a limit refuses it. */
  register(
    peer: string,
    token: Buffer,
    filter: string,
    notifyType: NotifyType,
    resourceKey: string,
  ): { relation: ObserveRelation<T>; replaced?: ObserveRelation<T> } | { refused: 'peer' | 'total' } {
    let relations = this.byPeer.get(peer);
    const key = token.toString('hex');
    const existing = relations?.get(key);
    if (!existing) {
      if ((relations?.size ?? 0) >= this.limits.maxPerPeer) return { refused: 'peer' };
      if (this.total >= this.limits.maxTotal) return { refused: 'total' };
    }
    if (!relations) {
      relations = new Map();
      this.byPeer.set(peer, relations);
    }
    const relation = new ObserveRelation<T>(peer, token, filter, notifyType, resourceKey);
    relations.set(key, relation);
    if (!existing) this.total++;
    return { relation, replaced: existing };
  }

  get(peer: string, token: Buffer): ObserveRelation<T> | undefined {
    return this.byPeer.get(peer)?.get(token.toString('hex'));
  }

  /** Relations of a peer (for dispatching a delivery and for dropping a peer). */
  ofPeer(peer: string): Iterable<ObserveRelation<T>> {
    return this.byPeer.get(peer)?.values() ?? [];
  }

  remove(relation: ObserveRelation<T>): boolean {
    const relations = this.byPeer.get(relation.peer);
    if (!relations || relations.get(relation.tokenKey) !== relation) return false;
    relations.delete(relation.tokenKey);
    if (relations.size === 0) this.byPeer.delete(relation.peer);
    this.total--;
    return true;
  }

  removePeer(peer: string): ObserveRelation<T>[] {
    const relations = [...(this.byPeer.get(peer)?.values() ?? [])];
    for (const r of relations) this.remove(r);
    return relations;
  }

  /**
   * A notification for a relation: 'send' when the window has room (inflight is counted for CON), else it waits in
   * the queue. A queue at maxQueue items or maxQueueBytes drops per `overflow`: the oldest entries until the new
   * one fits, or the new one; what is dropped goes through `evicted` so the caller can ack and count it.
   */
  offer(relation: ObserveRelation<T>, item: T, confirmable: boolean, evicted: (item: T) => void): OfferResult {
    // a NON may not overtake a CON still awaiting its ACK: its retransmission would arrive after the NON
    // (RFC 7641 §4.4 lets the client drop the older one by sequence number, losing it)
    if (!confirmable && relation.queue.length === 0 && relation.inflight === 0) return 'send';
    if (confirmable && relation.inflight < this.limits.window && relation.queue.length === 0) {
      relation.inflight++;
      return 'send';
    }
    const size = this.sizeOf(item);
    // an empty queue takes any one item, so a message larger than maxQueueBytes is delayed, never refused
    const full = () =>
      relation.queue.length > 0 &&
      (relation.queue.length >= this.limits.maxQueue || relation.queueBytes + size > this.limits.maxQueueBytes);
    let result: OfferResult = 'queued';
    if (full() && this.limits.overflow === 'drop_newest') {
      evicted(item);
      relation.dropped++;
      return 'dropped_newest';
    }
    while (full() && relation.queue.length > 0) {
      const oldest = relation.queue.shift()!;
      relation.queueBytes -= this.sizeOf(oldest);
      evicted(oldest);
      relation.dropped++;
      result = 'dropped_oldest';
    }
    relation.queue.push(item);
    relation.queueBytes += size;
    return result;
  }

  /** A CON notification was acknowledged (or failed): frees a slot; returns the next item to send, if any. */
  settle(relation: ObserveRelation<T>): T | undefined {
    if (relation.inflight > 0) relation.inflight--;
    return this.takeNext(relation);
  }

  /** The next queued item if the window allows it (counts it in flight: after sending a NON, call settle()). */
  takeNext(relation: ObserveRelation<T>): T | undefined {
    if (relation.queue.length === 0 || relation.inflight >= this.limits.window) return undefined;
    relation.inflight++;
    const item = relation.queue.shift()!;
    relation.queueBytes -= this.sizeOf(item);
    return item;
  }
}
