/**
 * The CoAP message layer of one gateway instance (RFC 7252 §4): datagram in → decode (malformed: RST for a CON,
 * silence for a NON, §4.2/§4.3), deduplicate (§4.5), reject unknown critical options (4.02, §5.4.1), route to
 * the resources; ACK/RST settle notifications and separate responses. Timers live in the IO layer, which calls
 * `tick()`; everything here is driven by `receive()` and `tick()`.
 */
import { Block1Assembler } from './block1-assembler.js';
import { Block2Store } from './block2-store.js';
import type { CoapChannel, PeerAddress } from './channel.js';
import { CoapFormatError, decodeCoap, encodeCoap } from './codec.js';
import { handleConnection } from './connection-handlers.js';
import type { EndpointCore, EndpointPorts, RetransmitContext } from './core.js';
import { DedupCache } from './dedup.js';
import { Opt, Rsp, encodeUint, isRequest, type CoapMessage } from './message.js';
import { encodeBlock, szxFor } from './block-option.js';
import { endRelation, onAckOrReset, onNotificationFailed, type SharedDelivery } from './notifier.js';
import { MessageIds } from './message-ids.js';
import { ObserveRegistry } from './observe-registry.js';
import { criticalOptionProblem } from './option-rules.js';
import { handlePs } from './ps-handlers.js';
import { Exchange, answer, fail } from './responder.js';
import { RetransmitQueue } from './retransmit.js';
import type { CoapConfig } from './schema.js';
import { closeIdleChannels, dropChannel } from './sessions.js';
import { requestTarget, targetErrorCode } from './uri.js';

export class CoapEndpoint implements EndpointCore {
  readonly dedup: DedupCache;
  readonly retransmit: RetransmitQueue<RetransmitContext>;
  readonly block1: Block1Assembler;
  readonly block2: Block2Store;
  readonly registry: ObserveRegistry<SharedDelivery>;
  readonly channels = new Map<string, CoapChannel>();
  readonly separateAfterMs: number;
  readonly messageIds: MessageIds;
  private lastSweep = 0;

  constructor(
    readonly config: CoapConfig,
    readonly ports: EndpointPorts,
  ) {
    const c = config;
    this.dedup = new DedupCache({ maxEntries: c.limits.max_dedup_entries, lifetimeMs: c.exchange_lifetime });
    this.retransmit = new RetransmitQueue({
      ackTimeoutMs: c.transmission.ack_timeout,
      ackRandomFactor: c.transmission.ack_random_factor,
      maxRetransmit: c.transmission.max_retransmit,
    });
    this.messageIds = new MessageIds({ maxPeers: c.limits.max_clients, lifetimeMs: c.exchange_lifetime });
    const transfers = c.limits.max_block_transfers;
    this.block1 = new Block1Assembler({
      maxBodySize: c.max_body_size,
      maxPerPeer: c.limits.max_block_transfers_per_client,
      maxTotal: transfers,
      maxTotalBytes: c.limits.max_block_bytes,
      lifetimeMs: c.block_timeout,
    });
    this.block2 = new Block2Store({
      maxEntries: transfers,
      maxPerPeer: c.limits.max_block_transfers_per_client,
      maxBytes: c.limits.max_block_bytes,
      lifetimeMs: c.block_timeout,
    });
    this.registry = new ObserveRegistry<SharedDelivery>(
      {
        window: c.observe.window,
        maxQueue: c.observe.max_queue,
        maxQueueBytes: c.observe.max_queue_bytes,
        overflow: c.observe.queue_overflow,
        maxPerPeer: c.observe.max_per_client,
        maxTotal: c.observe.max_total,
      },
      (item) => item.delivery.payload.length,
    );
    this.separateAfterMs = Math.max(50, Math.floor(c.transmission.ack_timeout / 2));
  }

  now(): number {
    return this.ports.now();
  }

  send(peer: PeerAddress, bytes: Buffer): void {
    this.ports.send(peer, bytes);
  }

  nextMessageId(peerKey: string): number {
    return this.messageIds.next(peerKey, this.now());
  }

  receive(peer: PeerAddress, bytes: Buffer): void {
    let msg: CoapMessage;
    try {
      msg = decodeCoap(bytes);
    } catch (err) {
      return this.malformed(peer, err);
    }
    if (msg.type === 'ACK' || msg.type === 'RST')
      return onAckOrReset(this, peer.key, msg.messageId, msg.type === 'RST');
    if (msg.code === 0) {
      // RFC 7252 §4.3: an empty CON is a "CoAP ping", answered with RST; an empty NON is silently ignored.
      if (msg.type === 'CON') this.reset(peer, msg.messageId);
      return;
    }
    // Responses from a client (we send no requests) and codes of unassigned classes: RST per §4.2/§4.3.
    if (!isRequest(msg.code)) {
      if (msg.type === 'CON') this.reset(peer, msg.messageId);
      return;
    }
    const seen = this.dedup.check(peer.key, msg.messageId, this.now());
    if (seen.kind === 'duplicate') {
      this.ports.metrics.socketEvent('duplicate');
      if (seen.reply && msg.type === 'CON') this.send(peer, seen.reply);
      return;
    }
    this.request(peer, msg);
  }

  private request(peer: PeerAddress, msg: CoapMessage): void {
    const ex = new Exchange(peer, msg);
    // RFC 7252 §5.4.1: an unrecognised critical option in a request → 4.02 Bad Option; §5.4.3/§5.4.5: so is a
    // known critical option with a bad length or repeated
    const problem = criticalOptionProblem(msg.options);
    if (problem !== undefined) return fail(this, ex, Rsp.BadOption, 'bad_option', problem);
    const target = requestTarget(msg);
    let work: Promise<void> | void;
    try {
      if (target.kind === 'error') {
        return fail(this, ex, targetErrorCode(target.status), target.status, target.diagnostic);
      }
      work =
        target.kind === 'ps'
          ? handlePs(this, ex, target.topic, target.query)
          : handleConnection(this, ex, target.query);
    } catch (err) {
      return this.internalError(ex, err);
    }
    if (work) work.catch((err: unknown) => this.internalError(ex, err));
  }

  /**
   * A datagram over max_datagram_size: a CON request is answered 4.13 with Size1 and a Block1 size hint the client
   * can retry with (RFC 7959 §2.9.3), read from its header alone; anything else is dropped. Counted either way.
   */
  oversized(peer: PeerAddress, bytes: Buffer): void {
    this.ports.metrics.dropped('datagram_too_large');
    this.ports.logger.debug({ peer: peer.key, bytes: bytes.length }, 'CoAP datagram over max_datagram_size');
    if (bytes.length < 4) return;
    const type = (bytes[0]! >> 4) & 0x03;
    const tkl = bytes[0]! & 0x0f;
    if (type !== 0 || tkl > 8 || bytes.length < 4 + tkl || !isRequest(bytes[1]!)) return;
    const hint = szxFor(Math.min(this.config.max_block_size, this.config.max_datagram_size - 64));
    this.send(
      peer,
      encodeCoap({
        type: 'ACK',
        code: Rsp.RequestEntityTooLarge,
        messageId: bytes.readUInt16BE(2),
        token: Buffer.from(bytes.subarray(4, 4 + tkl)),
        options: [
          { number: Opt.Block1, value: encodeBlock({ num: 0, more: false, szx: hint }) },
          { number: Opt.Size1, value: encodeUint(this.config.max_body_size) },
        ],
        payload: Buffer.from(`datagram over ${this.config.max_datagram_size} bytes: use Block1`),
      }),
    );
  }

  private internalError(ex: Exchange, err: unknown): void {
    this.ports.logger.warn({ err, peer: ex.peer.key }, 'CoAP request failed');
    this.ports.metrics.dropped('internal_error');
    if (!ex.answered) answer(this, ex, { code: Rsp.InternalServerError, payload: Buffer.from('internal error') });
  }

  private malformed(peer: PeerAddress, err: unknown): void {
    const reason = err instanceof CoapFormatError ? err.reason : 'truncated';
    this.ports.metrics.dropped(`malformed_${reason}`);
    this.ports.logger.debug({ peer: peer.key, reason, err: (err as Error).message }, 'malformed CoAP datagram');
    // RFC 7252 §4.2: a CON we cannot process is rejected with RST; a NON is silently dropped (§4.3).
    if (err instanceof CoapFormatError && err.header?.type === 'CON') this.reset(peer, err.header.messageId);
  }

  private reset(peer: PeerAddress, messageId: number): void {
    this.send(
      peer,
      encodeCoap({ type: 'RST', code: 0, messageId, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) }),
    );
  }

  /** Retransmissions, failed notifications, expiries; the IO layer calls it from a timer. */
  tick(): void {
    const now = this.now();
    const due = this.retransmit.due(now);
    for (const r of due.resend) this.send(r.context.peer, r.bytes);
    for (const f of due.failed)
      if (f.context.kind === 'notify') onNotificationFailed(this, f.context.relation, f.context.shared);
    if (now - this.lastSweep >= 1000) {
      this.lastSweep = now;
      this.block1.sweep(now);
      this.block2.sweep(now);
      closeIdleChannels(this, now);
      this.reportEvictions();
    }
  }

  private reported = { dedup: 0, block1: 0, block2: 0, block2PerPeer: 0, messageIds: 0 };

  /** What the bounded tables forgot early or expired, as drop counters (they count internally). */
  private reportEvictions(): void {
    const now = {
      dedup: this.dedup.evicted,
      block1: this.block1.expired,
      block2: this.block2.evicted,
      block2PerPeer: this.block2.evictedPerPeer,
      messageIds: this.messageIds.evicted,
    };
    const m = this.ports.metrics;
    if (now.dedup > this.reported.dedup) m.dropped('dedup_evicted', now.dedup - this.reported.dedup);
    if (now.block1 > this.reported.block1) m.dropped('block_transfer_expired', now.block1 - this.reported.block1);
    if (now.block2 > this.reported.block2) m.dropped('block2_evicted', now.block2 - this.reported.block2);
    if (now.block2PerPeer > this.reported.block2PerPeer)
      m.dropped('block2_evicted_client', now.block2PerPeer - this.reported.block2PerPeer);
    if (now.messageIds > this.reported.messageIds)
      m.dropped('message_ids_evicted', now.messageIds - this.reported.messageIds);
    this.reported = now;
  }

  /**
   * End every observation and device session. Connection-mode clients did not disconnect (no DELETE): like an MQTT
   * client whose server closes the connection, their session is lost and their will published ([MQTT-3.1.2-8]),
   * as TCP clients' are when the hub stops. Connectionless clients have no will: a normal close. The session ends
   * before the observations do, so what they still held is not acked to it: a persistent session (session_expiry)
   * keeps those messages for the client's next connection.
   */
  close(): void {
    for (const channel of [...this.channels.values()]) {
      if (this.config.connection_required) channel.session?.lose('gateway_stopped');
      else channel.session?.close();
      for (const r of [...channel.relations]) endRelation(this, r, 'gateway_stopped');
      dropChannel(this, channel, 'gateway_stopped');
    }
  }

  stats(): { clients: number; observations: number; blockTransfers: number } {
    return { clients: this.channels.size, observations: this.registry.size, blockTransfers: this.block1.size };
  }
}
