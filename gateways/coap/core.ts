/**
 * What the CoAP handlers share: the per-instance exchange state (dedup, retransmission, blockwise, observe
 * relations, channels) and the ports to the outside (send a datagram, connect a device).
 */
import type { DeviceSessions, GatewayMetrics, Logger } from '../../src/gateway/index.js';
import type { Block1Assembler } from './block1-assembler.js';
import type { Block2Store } from './block2-store.js';
import type { CoapChannel, PeerAddress, Relation, SharedDelivery } from './channel.js';
import type { DedupCache } from './dedup.js';
import type { MessageIds } from './message-ids.js';
import type { ObserveRegistry } from './observe-registry.js';
import type { RetransmitQueue } from './retransmit.js';
import type { CoapConfig } from './schema.js';

/** What a tracked CON was, and the address it went to (a resend goes there again). */
export type RetransmitContext =
  | { kind: 'response'; peer: PeerAddress }
  | { kind: 'notify'; peer: PeerAddress; relation: Relation; shared: SharedDelivery };

export interface EndpointPorts {
  readonly devices: DeviceSessions;
  send(peer: PeerAddress, bytes: Buffer): void;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  now(): number;
}

export interface EndpointCore {
  readonly config: CoapConfig;
  readonly ports: EndpointPorts;
  readonly dedup: DedupCache;
  readonly messageIds: MessageIds;
  readonly retransmit: RetransmitQueue<RetransmitContext>;
  readonly block1: Block1Assembler;
  readonly block2: Block2Store;
  readonly registry: ObserveRegistry<SharedDelivery>;
  /** Connection mode: by client id; connectionless: by peer key. */
  readonly channels: Map<string, CoapChannel>;
  /** How long a CON request may wait for its answer before it gets an empty ACK (RFC 7252 §5.2.2). */
  readonly separateAfterMs: number;
  now(): number;
  send(peer: PeerAddress, bytes: Buffer): void;
  /** A fresh message id towards this peer (RFC 7252 §4.4: per endpoint). */
  nextMessageId(peerKey: string): number;
}
