/**
 * Client side of CoAP for the LwM2M server (RFC 7252 §5.3 request/response matching): requests the server sends
 * TO devices, matched by token (and by message id for the ACK), CON retransmission through the CoAP
 * RetransmitQueue, piggybacked or separate responses (§5.2.2), an overall deadline, and observations (RFC 7641)
 * whose later responses carry the same token. Sans-IO: `send` is a port; the IO layer calls `tick(now)`.
 */
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
  readonly peer: string;
  readonly token: string;
  readonly messageId: number;
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
   * Bytes `req` takes on the wire (with this server's 4-byte token), or Infinity when no datagram can carry it:
   * commands are checked against max_datagram_size before they take an NSTART slot.
   */
  static encodedSize(req: OutgoingRequest): number {
    try {
      return encode(req, 0, Buffer.alloc(4)).length;
    } catch {
      return Infinity; // the encoder refuses more than 65,507 bytes (the largest UDP payload)
    }
  }

  /**
   * Sends a CON request; `handlers.done` gets exactly one outcome. Returns the token (hex) to cancel an observation.
   * Throws only when the request cannot be encoded (check `encodedSize` first), and then holds no state.
   */
  request(peer: string, req: OutgoingRequest, now: number, handlers: RequestHandlers): string {
    this.tokenSeq = (this.tokenSeq + 1) >>> 0;
    const token = Buffer.alloc(4);
    token.writeUInt32BE(this.tokenSeq, 0);
    const key = token.toString('hex');
    const messageId = this.nextMessageId();
    const bytes = encode(req, messageId, token);
    this.pending.set(key, {
      ...handlers,
      peer,
      token: key,
      messageId,
      deadline: now + this.timeoutMs,
      answered: false,
      released: false,
    });
    this.retransmit.track(peer, messageId, bytes, key, now);
    try {
      this.ports.send(peer, bytes);
    } catch {
      // a send that fails is a lost datagram: the retransmission or the deadline settles the request
    }
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
      if (!observing) this.pending.delete(p.token);
      p.done({ kind: 'response', message: m });
      return;
    }
    p.onNotify?.(m);
    if (m.code >> 5 !== 2) this.pending.delete(p.token); // RFC 7641 §3.2: an error notification ends it
  }

  private finish(p: Pending, o: RequestOutcome): void {
    this.pending.delete(p.token);
    // given up (deadline, cancel): stop retransmitting too, or the CON would keep going to a device nobody waits for
    if (o.kind !== 'reset') this.retransmit.settle(p.peer, p.messageId);
    release(p);
    if (!p.answered) p.done(o);
  }

  /** Forget an observation (cancel-observe, deregistration): later notifications are answered with RST. */
  forget(token: string): void {
    const p = this.pending.get(token);
    this.pending.delete(token);
    if (p) release(p);
  }

  /** Ends every exchange of a peer (deregistered or expired). */
  dropPeer(peer: string, reason: string): void {
    this.retransmit.dropPeer(peer);
    for (const p of [...this.pending.values()]) if (p.peer === peer) this.finish(p, { kind: 'cancelled', reason });
  }

  tick(now: number): void {
    const due = this.retransmit.due(now);
    for (const r of due.resend) this.ports.send(r.peer, r.bytes);
    for (const f of due.failed) {
      const p = this.pending.get(f.context);
      if (p && !p.answered) this.finish(p, { kind: 'timeout', after: 'retransmissions' });
    }
    for (const p of [...this.pending.values()])
      if (!p.answered && p.deadline <= now) this.finish(p, { kind: 'timeout', after: 'deadline' });
  }
}
