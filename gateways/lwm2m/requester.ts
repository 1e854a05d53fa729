/**
 * Client side of CoAP for the LwM2M server (RFC 7252 §5.3 request/response matching): requests the server sends
 * TO devices, matched by token (and by message id for the ACK), CON retransmission through the CoAP
 * RetransmitQueue, piggybacked or separate responses (§5.2.2), an overall deadline, and observations (RFC 7641)
 * whose later responses carry the same token. Sans-IO: `send` is a port; the IO layer calls `tick(now)`.
 */
import { Deadlines } from './deadlines.js';
import { Opt, RetransmitQueue, encodeCoap, uintOption, type CoapMessage, type CoapOption } from '../coap/index.js';

export type RequestOutcome =
  | { kind: 'response'; message: CoapMessage }
  /** `retransmissions`: no ACK to MAX_RETRANSMIT copies (RFC 7252 §4.2); `deadline`: no answer in time. */
  | { kind: 'timeout'; after: 'retransmissions' | 'deadline' }
  | { kind: 'reset' }
  | { kind: 'cancelled'; reason: string };

export interface OutgoingRequest {
  readonly code: number;
  readonly options: readonly CoapOption[];
  readonly payload?: Buffer;
}

/** What the caller of `request` hears back. */
export interface RequestHandlers {
  /** Exactly one outcome. */
  readonly done: (o: RequestOutcome) => void;
  /** Set for an Observe request: later responses with this token are notifications. */
  readonly onNotify?: (m: CoapMessage) => void;
  /**
   * Called once when the request stops being an outstanding interaction in the sense of RFC 7252 §4.7 (its ACK,
   * RST or response arrived, or it timed out / was cancelled), so the caller may start the next one under NSTART.
   */
  readonly onRelease?: () => void;
}

interface Pending extends RequestHandlers {
  /** Changes when the device's address changes (movePeer). */
  peer: string;
  readonly token: string;
  readonly messageId: number;
  /** The encoded CON, to retransmit it to a new address after movePeer. */
  readonly bytes: Buffer;
  readonly deadline: number;
  answered: boolean;
  released: boolean;
}

export interface RequesterPorts {
  send(peer: string, bytes: Buffer): void;
}

function encode(req: OutgoingRequest, messageId: number, token: Buffer): Buffer {
  return encodeCoap({
    type: 'CON',
    code: req.code,
    messageId,
    token,
    options: [...req.options].sort((a, b) => a.number - b.number),
    payload: req.payload ?? Buffer.alloc(0),
  });
}

function release(p: Pending): void {
  if (p.released) return;
  p.released = true;
  p.onRelease?.();
}

export class Requester {
  private readonly retransmit: RetransmitQueue<string>;
  private readonly pending = new Map<string, Pending>();
  /** The same requests by peer, so dropping or moving one peer does not scan everyone's. */
  private readonly byPeer = new Map<string, Set<Pending>>();
  private readonly deadlines = new Deadlines<Pending>();
  private messageId = Math.floor(Math.random() * 0x10000);
  private tokenSeq = Math.floor(Math.random() * 0xffffffff);

  constructor(
    params: { ackTimeoutMs: number; ackRandomFactor: number; maxRetransmit: number },
    private readonly timeoutMs: number,
    private readonly ports: RequesterPorts,
  ) {
    this.retransmit = new RetransmitQueue(params);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  nextMessageId(): number {
    this.messageId = (this.messageId + 1) & 0xffff;
    return this.messageId;
  }

  /**
   * Bytes `req` takes on the wire (with this server's 4-byte token) when that is more than `max` (Infinity when no
   * datagram can carry it), undefined when it fits: commands are checked before they take an NSTART slot.
   */
  static oversize(req: OutgoingRequest, max: number): number | undefined {
    // RFC 7252 §3: header 4, token 4, each option at most 5 header bytes plus its value, payload marker 1 — a
    // bound that settles the usual small request without encoding it twice
    let bound = 4 + 4 + 1 + (req.payload?.length ?? 0);
    for (const o of req.options) bound += 5 + o.value.length;
    if (bound <= max) return undefined;
    let size: number;
    try {
      size = encode(req, 0, Buffer.alloc(4)).length;
    } catch {
      size = Infinity; // the encoder refuses more than 65,507 bytes (the largest UDP payload)
    }
    return size > max ? size : undefined;
  }

  /**
   * Sends a CON request; `handlers.done` gets exactly one outcome. Returns the token (hex) to cancel an observation.
   * Throws only when the request cannot be encoded (check `oversize` first), and then holds no state.
   * `reuseToken`: the token of an observation already forgotten, for its cancellation (RFC 7641 §3.6).
   */
  request(peer: string, req: OutgoingRequest, now: number, handlers: RequestHandlers, reuseToken?: string): string {
    let token: Buffer;
    if (reuseToken !== undefined && !this.pending.has(reuseToken)) token = Buffer.from(reuseToken, 'hex');
    else {
      this.tokenSeq = (this.tokenSeq + 1) >>> 0;
      token = Buffer.alloc(4);
      token.writeUInt32BE(this.tokenSeq, 0);
    }
    const key = token.toString('hex');
    const messageId = this.nextMessageId();
    const bytes = encode(req, messageId, token);
    const p: Pending = {
      ...handlers,
      peer,
      token: key,
      messageId,
      bytes,
      deadline: now + this.timeoutMs,
      answered: false,
      released: false,
    };
    this.pending.set(key, p);
    let mine = this.byPeer.get(peer);
    if (!mine) this.byPeer.set(peer, (mine = new Set()));
    mine.add(p);
    this.deadlines.push(p.deadline, p);
    this.retransmit.track(peer, messageId, bytes, key, now);
    this.send(peer, bytes);
    return key;
  }

  /**
   * A datagram from a device that is an ACK, RST or response. Returns true when it was ours; `reply` receives an
   * empty ACK to send for a CON separate response / notification (RFC 7252 §5.2.2).
   */
  receive(peer: string, m: CoapMessage, reply: (ack: Buffer) => void): boolean {
    if (m.type === 'ACK' || m.type === 'RST') {
      const key = this.retransmit.settle(peer, m.messageId);
      if (key === undefined) return m.type === 'ACK';
      const p = this.pending.get(key);
      if (!p) return true;
      release(p); // RFC 7252 §4.7: an ACK (even empty) ends the outstanding interaction
      if (m.type === 'RST') this.finish(p, { kind: 'reset' });
      else if (m.code !== 0) this.answer(p, m); // piggybacked response
      return true; // empty ACK: the separate response follows (RFC 7252 §5.2.2)
    }
    const key = m.token.toString('hex');
    const p = this.pending.get(key);
    if (!p || p.peer !== peer) return false;
    release(p); // RFC 7252 §4.7: a separate response ends the interaction too
    if (m.type === 'CON')
      reply(
        encodeCoap({
          type: 'ACK',
          code: 0,
          messageId: m.messageId,
          token: Buffer.alloc(0),
          options: [],
          payload: Buffer.alloc(0),
        }),
      );
    this.answer(p, m);
    return true;
  }

  private answer(p: Pending, m: CoapMessage): void {
    if (!p.answered) {
      p.answered = true;
      // RFC 7641 §3.2: a success response with Observe keeps the relation; anything else ends it.
      const observing = p.onNotify !== undefined && uintOption(m, Opt.Observe) !== undefined && m.code >> 5 === 2;
      if (!observing) this.remove(p);
      p.done({ kind: 'response', message: m });
      return;
    }
    p.onNotify?.(m);
    if (m.code >> 5 !== 2) this.remove(p); // RFC 7641 §3.2: an error notification ends it
  }

  private remove(p: Pending): void {
    if (this.pending.get(p.token) === p) this.pending.delete(p.token);
    const mine = this.byPeer.get(p.peer);
    if (mine?.delete(p) && mine.size === 0) this.byPeer.delete(p.peer);
  }

  private finish(p: Pending, o: RequestOutcome): void {
    this.remove(p);
    // given up (deadline, cancel): stop retransmitting too, or the CON would keep going to a device nobody waits for
    if (o.kind !== 'reset') this.retransmit.settle(p.peer, p.messageId);
    release(p);
    if (!p.answered) p.done(o);
  }

  /** Forget an observation (cancel-observe, deregistration): later notifications are answered with RST. */
  forget(token: string): void {
    const p = this.pending.get(token);
    if (!p) return;
    this.remove(p);
    release(p);
  }

  /** Ends every exchange of a peer (deregistered or expired); O(its requests), not O(all requests). */
  dropPeer(peer: string, reason: string): void {
    const mine = this.byPeer.get(peer);
    if (!mine) return;
    for (const p of [...mine]) this.finish(p, { kind: 'cancelled', reason }); // finish also stops retransmitting
  }

  /**
   * The device now talks from another address (TS 1.1 Core §6.2.2: an Update refreshes it, e.g. after NAT
   * rebinding): its outstanding requests and observations follow it, and a CON not yet acknowledged is
   * retransmitted to the new address.
   */
  movePeer(from: string, to: string, now: number): void {
    const mine = this.byPeer.get(from);
    if (!mine || from === to) return;
    this.byPeer.delete(from);
    let there = this.byPeer.get(to);
    if (!there) this.byPeer.set(to, (there = new Set()));
    for (const p of mine) {
      p.peer = to;
      there.add(p);
      if (this.retransmit.settle(from, p.messageId) !== undefined) {
        this.retransmit.track(to, p.messageId, p.bytes, p.token, now);
        this.send(to, p.bytes);
      }
    }
  }

  private send(peer: string, bytes: Buffer): void {
    try {
      this.ports.send(peer, bytes);
    } catch {
      // a send that fails is a lost datagram: the retransmission or the deadline settles the request
    }
  }

  tick(now: number): void {
    const due = this.retransmit.due(now);
    for (const r of due.resend) this.send(r.peer, r.bytes);
    for (const f of due.failed) {
      const p = this.pending.get(f.context);
      if (p && !p.answered) this.finish(p, { kind: 'timeout', after: 'retransmissions' });
    }
    // only requests whose deadline passed; those already answered or finished are skipped (lazy deletion)
    for (const { item: p } of this.deadlines.popDue(now))
      if (this.pending.get(p.token) === p && !p.answered) this.finish(p, { kind: 'timeout', after: 'deadline' });
  }
}
