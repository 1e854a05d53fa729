/**
 * Reliable transmission of the CON messages the gateway sends (RFC 7252 §4.2, §4.8): the first timeout is random
 * in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR], doubled after each of at most MAX_RETRANSMIT resends; then
 * the exchange has failed (for an Observe notification that ends the observation, RFC 7641 §4.5). Sans-IO: the
 * IO layer calls `due(now)` from one timer and sends what it returns.
 */

export interface RetransmitParams {
  ackTimeoutMs: number;
  ackRandomFactor: number;
  maxRetransmit: number;
}

/** RFC 7252 §4.8 defaults. */
export const RFC7252_TRANSMISSION: RetransmitParams = { ackTimeoutMs: 2000, ackRandomFactor: 1.5, maxRetransmit: 4 };

interface Pending<T> {
  readonly peer: string;
  readonly messageId: number;
  readonly bytes: Buffer;
  readonly context: T;
  attempts: number;
  timeoutMs: number;
  dueAt: number;
}

export interface DueResult<T> {
  resend: { peer: string; bytes: Buffer; context: T }[];
  failed: { peer: string; messageId: number; context: T }[];
}

export class RetransmitQueue<T> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(
    private readonly params: RetransmitParams,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Track a CON just sent; returns when it is next due. */
  track(peer: string, messageId: number, bytes: Buffer, context: T, now: number): number {
    const { ackTimeoutMs, ackRandomFactor } = this.params;
    const timeoutMs = ackTimeoutMs + this.random() * ackTimeoutMs * (ackRandomFactor - 1);
    const p: Pending<T> = { peer, messageId, bytes, context, attempts: 0, timeoutMs, dueAt: now + timeoutMs };
    this.pending.set(`${peer}#${messageId}`, p);
    return p.dueAt;
  }

  /** An ACK or RST with this message id arrived: returns the context, or undefined when it matches nothing. */
  settle(peer: string, messageId: number): T | undefined {
    const key = `${peer}#${messageId}`;
    const p = this.pending.get(key);
    if (!p) return undefined;
    this.pending.delete(key);
    return p.context;
  }

  /** Resends due now, and exchanges that used up MAX_RETRANSMIT (removed). */
  due(now: number): DueResult<T> {
    const out: DueResult<T> = { resend: [], failed: [] };
    for (const [key, p] of this.pending) {
      if (p.dueAt > now) continue;
      if (p.attempts >= this.params.maxRetransmit) {
        this.pending.delete(key);
        out.failed.push({ peer: p.peer, messageId: p.messageId, context: p.context });
        continue;
      }
      p.attempts++;
      p.timeoutMs *= 2;
      p.dueAt = now + p.timeoutMs;
      out.resend.push({ peer: p.peer, bytes: p.bytes, context: p.context });
    }
    return out;
  }

  /** The earliest time something is due, for the IO layer's timer. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const p of this.pending.values()) if (min === undefined || p.dueAt < min) min = p.dueAt;
    return min;
  }

  /** Forget every exchange of a peer (it went away); returns their contexts. */
  dropPeer(peer: string): T[] {
    const out: T[] = [];
    for (const [key, p] of this.pending) {
      if (p.peer !== peer) continue;
      this.pending.delete(key);
      out.push(p.context);
    }
    return out;
  }
}
