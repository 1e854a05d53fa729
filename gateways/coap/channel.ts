/**
 * One CoAP client as the gateway knows it: its broker device session (opened on the first request that needs
 * one), its observe relations, and in connection mode its client id and token. Connectionless clients are keyed
 * by UDP address; connection-mode clients by client id (their address may change under NAT: the channel follows
 * the last request's address, while each observation's notifications go to the address that registered it,
 * RFC 7641 §3.1 — a client whose address changed observes again).
 */
import type { DeviceDelivery, DeviceSession } from '../../src/gateway/index.js';
import type { ObserveRelation } from './observe-registry.js';

export interface PeerAddress {
  readonly address: string;
  readonly port: number;
  /** "1.2.3.4:5683" or "[::1]:5683": the key of everything per peer. */
  readonly key: string;
}

export function peerAddress(address: string, port: number): PeerAddress {
  return { address, port, key: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}` };
}

/** A delivery shared by the observations it matched: acked to the broker when the last of them settled it. */
export class SharedDelivery {
  private pending: number;
  constructor(
    readonly delivery: DeviceDelivery,
    fanout: number,
  ) {
    this.pending = fanout;
  }
  settle(): void {
    if (--this.pending === 0) this.delivery.ack();
  }
  /**
   * Give up this observation's share without acking: the delivery when no other observation still holds it (the
   * caller keeps it for a later observation), else undefined (another observation delivers it).
   */
  release(): DeviceDelivery | undefined {
    return --this.pending === 0 ? this.delivery : undefined;
  }
}

export type Relation = ObserveRelation<SharedDelivery>;

export class CoapChannel {
  session?: DeviceSession;
  /** A connect in progress, so concurrent first requests share one session. */
  connecting?: Promise<DeviceSession | { refused: string; detail: string }>;
  /** Connection mode: the token POST mqtt/connection returned. */
  token?: string;
  readonly relations = new Set<Relation>();
  /**
   * Connection mode: deliveries for subscriptions with no observation right now (the client re-observes after a
   * restart); they wait here, bounded by observe.max_queue/max_queue_bytes, and go to the next matching observation.
   */
  readonly pending: DeviceDelivery[] = [];
  /** Payload bytes of `pending`. */
  pendingBytes = 0;
  /** dropChannel ran (it may be reached twice: the broker's onClose and a takeover). */
  dropped = false;
  lastSeen: number;

  constructor(
    /** Key in the endpoint's channel table: the client id (connection mode) or the peer key (connectionless). */
    readonly key: string,
    readonly clientId: string,
    public peer: PeerAddress,
    now: number,
  ) {
    this.lastSeen = now;
  }
}
