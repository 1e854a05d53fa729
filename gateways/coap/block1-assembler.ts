/**
 * Server side of Block1 (RFC 7959 §2.5): collects the blocks of one large request body per peer and resource.
 * Sans-IO and bounded: at most `maxPerPeer` transfers per peer, `maxTotal` in all, each at most `maxBodySize`
 * bytes and all together at most `maxTotalBytes`, and a transfer that sees no block for `lifetimeMs` is forgotten (a block sequence that never completes).
 */
import { blockSize, type BlockOption } from './block-option.js';
import { PeerKeys } from './peer-keys.js';

export interface Block1Limits {
  maxBodySize: number;
  maxPerPeer: number;
  maxTotal: number;
  /** Bytes held by all partial bodies together; a block past it ends its transfer (5.03). */
  maxTotalBytes: number;
  lifetimeMs: number;
}

export type Block1Result =
  /** More blocks to come: answer 2.31 Continue echoing the block ([RFC 7959 §2.3]). */
  | { kind: 'continue' }
  /** The last block arrived: the whole body. */
  | { kind: 'complete'; body: Buffer }
  /** Answer 4.08 Request Entity Incomplete (a block out of order or after the transfer was forgotten). */
  | { kind: 'incomplete' }
  /** Answer 4.13 Request Entity Too Large with Size1 = maxBodySize. */
  | { kind: 'too_large' }
  /** Answer 5.03: too many transfers in progress (per peer or in all). */
  | { kind: 'overloaded'; scope: 'peer' | 'total' | 'bytes' };

interface Transfer {
  readonly peer: string;
  chunks: Buffer[];
  received: number;
  szx: number;
  touchedAt: number;
}

export class Block1Assembler {
  private readonly transfers = new Map<string, Transfer>();
  private readonly perPeer = new PeerKeys();
  /** Payload bytes held by all transfers. */
  private held = 0;
  /** Transfers forgotten because their lifetime passed. */
  expired = 0;

  constructor(private readonly limits: Block1Limits) {}

  get size(): number {
    return this.transfers.size;
  }

  get bytes(): number {
    return this.held;
  }

  /**
   * One block of the request identified by `key` (peer + method + URI: RFC 7959 §2.5 matches on the endpoint and
   * the request options). Block 0 (re)starts a transfer; later blocks must follow in order.
   */
  offer(peer: string, key: string, block: BlockOption, payload: Buffer, now: number): Block1Result {
    this.sweep(now);
    const size = blockSize(block.szx);
    // RFC 7959 §2.3: every block but the last carries exactly one block size of payload.
    if (block.more && payload.length !== size) {
      this.forget(key);
      return { kind: 'incomplete' };
    }
    let t = this.transfers.get(key);
    if (block.num === 0) {
      if (t) this.forget(key);
      if (!block.more)
        return payload.length > this.limits.maxBodySize ? { kind: 'too_large' } : { kind: 'complete', body: payload };
      if (this.perPeer.count(peer) >= this.limits.maxPerPeer) return { kind: 'overloaded', scope: 'peer' };
      if (this.transfers.size >= this.limits.maxTotal) return { kind: 'overloaded', scope: 'total' };
      t = { peer, chunks: [], received: 0, szx: block.szx, touchedAt: now };
      this.transfers.set(key, t);
      this.perPeer.add(peer, key);
    } else if (!t || block.num * size !== t.received) {
      // RFC 7959 §2.9.2: a block that does not continue the body we hold is answered 4.08.
      if (t) this.forget(key);
      return { kind: 'incomplete' };
    }
    if (t.received + payload.length > this.limits.maxBodySize) {
      this.forget(key);
      return { kind: 'too_large' };
    }
    if (block.more && this.held + payload.length > this.limits.maxTotalBytes) {
      this.forget(key);
      return { kind: 'overloaded', scope: 'bytes' };
    }
    t.chunks.push(payload);
    t.received += payload.length;
    this.held += payload.length;
    t.touchedAt = now;
    if (block.more) return { kind: 'continue' };
    this.forget(key);
    return { kind: 'complete', body: Buffer.concat(t.chunks, t.received) };
  }

  /** Forget transfers idle for longer than the lifetime; call from a timer or before each offer. */
  sweep(now: number): void {
    for (const [key, t] of this.transfers) {
      if (now - t.touchedAt < this.limits.lifetimeMs) continue;
      this.forget(key);
      this.expired++;
    }
  }

  /** Drop every transfer of a peer (it went away). */
  forgetPeer(peer: string): void {
    for (const key of this.perPeer.keys(peer)) this.forget(key);
  }

  private forget(key: string): void {
    const t = this.transfers.get(key);
    if (!t) return;
    this.transfers.delete(key);
    this.held -= t.received;
    this.perPeer.delete(t.peer, key);
  }
}
