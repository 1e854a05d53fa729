/**
 * Gateway SPI: what a protocol gateway provides so the hub can run it. One `GatewayDefinition` per protocol
 * (listed in gateways/registry.ts); the manager creates one `GatewayInstance` per `gateways.<protocol>.<name>`.
 * Instances only move protocol addresses and bytes; mapping, codecs, buffering, DLQ and the broker are the
 * pipeline's job, so every protocol gets them the same way.
 */
import type { DeviceManagement } from './client-spi.js';
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import type { Envelope } from '../envelope.js';
import type { Codec } from '../codecs/types.js';
import type { Logger } from '../logger.js';
import type { MappingDefinition } from '../mapping/schema.js';
import type { CommonGatewayConfig } from './common-schema.js';
import type { GatewayMetrics } from './metrics.js';

/** Lets a request/response protocol (NNG REP, CoAP, LwM2M) answer the peer that sent an uplink message. */
export interface ReplyHandle {
  /** Send the response body back to the requesting peer. Called at most once. */
  respond(payload: Buffer): void;
  /** Answer the peer with a protocol error (timeout, no route). Called at most once. */
  fail(reason: string, error: string): void;
}

/** One message a peer sent, before mapping. */
export interface IngressMessage {
  readonly kind: 'message';
  /** Protocol address (ZeroMQ topic frame, NNG body prefix, CoAP path…), matched by the uplink mapping rules. */
  readonly address: string;
  readonly payload: Buffer;
  readonly peer?: string;
  /** Present when the peer waits for an answer (MQTT 5 request/response). */
  readonly reply?: ReplyHandle;
  // --- Per-message overrides (added for DDS, issue 13): set only where the protocol knows better than the rule.
  /** MQTT QoS for this message, overriding the rule's (DDS: reliable ↔ 1, best effort ↔ 0). */
  readonly qos?: 0 | 1 | 2;
  /** Retain flag, overriding the rule's (DDS: transient-local samples, the empty retained dispose). */
  readonly retain?: boolean;
  /** Media type of the payload (MQTT 5 Content Type) unless the mapping rule sets one. */
  readonly contentType?: string;
  /** MQTT 5 user properties added to the rule's (DDS: source timestamp, instance state, sample identity). */
  readonly userProperties?: Readonly<Record<string, string>>;
}

/** A message the instance received but could not frame; the pipeline dead-letters it. */
export interface IngressFault {
  readonly kind: 'fault';
  readonly reason: string;
  readonly error: string;
  readonly payload: Buffer;
  readonly address?: string;
  readonly peer?: string;
  readonly reply?: ReplyHandle;
}

export type IngressItem = IngressMessage | IngressFault;

/** One mapped MQTT message leaving towards the protocol. */
export interface DownlinkMessage {
  readonly address: string;
  readonly payload: Buffer;
  /** The MQTT message it came from (for protocols that need QoS or properties). */
  readonly envelope: Envelope;
  /**
   * Present when the MQTT message is an MQTT 5 request (it has a Response Topic): a gateway whose peer answers
   * (NNG req, CoAP) passes the answer here and the pipeline publishes it on the Response Topic with the
   * request's Correlation Data ([MQTT-4.10]).
   */
  readonly respond?: (payload: Buffer) => Promise<void>;
}

export type ConnectionState = 'connected' | 'connecting' | 'disconnected' | 'listening' | 'closed';

export interface InstanceHealth {
  connection: ConnectionState;
  /** Peers currently connected (where the protocol can tell), otherwise 0. */
  peers: number;
  lastError?: string;
}

export interface GatewayInstance {
  /**
   * Messages from peers. Hot; emits only while started. Completes when stop() is called; errors only when the
   * instance as a whole failed (the supervisor then restarts it). Per-message problems are IngressFaults.
   */
  readonly ingress$: Observable<IngressItem>;
  /** Open sockets/bind ports. Idempotent; rejects with a GatewayError when the instance cannot start. */
  start(): Promise<void>;
  /** Close everything and complete ingress$. Idempotent and bounded in time. */
  stop(): Promise<void>;
  /**
   * Hand one message to the protocol. Resolves when the transport accepted it; stays pending while the
   * transport pushes back (high-water mark). Rejects with StateError PH_STATE_STOPPED when not started.
   */
  send(msg: DownlinkMessage): Promise<void>;
  /** Stop reading from peers (overflow policy `block`) and resume; optional where the protocol cannot pause. */
  pause?(): void;
  resume?(): void;
  health(): InstanceHealth;
  /** Device management for the HTTP API (client gateways that have it, e.g. LwM2M). */
  readonly management?: DeviceManagement;
}

export interface GatewayContext {
  /** Instance name under `gateways.<protocol>.`. */
  readonly name: string;
  /** `<protocol>.<name>`, the label on every metric and the DLQ topic suffix. */
  readonly id: string;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /**
   * Resolves a file name written in this instance's config (key `key` under `gateways.<protocol>.<name>`) the
   * way the mapping file resolves: against the file that set it. Added for DDS (IDL, XML types, QoS profile).
   */
  readonly resolveFile?: (key: readonly (string | number)[], name: string) => string;
}

export interface GatewayCapabilities {
  readonly uplink: boolean;
  readonly downlink: boolean;
  /** The instance can attach a ReplyHandle to ingress messages. */
  readonly requestReply: boolean;
  /** pause()/resume() really stop reading from the peers, so overflow `block` pushes back. */
  readonly pausable: boolean;
}

export interface GatewayDefinition<C extends CommonGatewayConfig = CommonGatewayConfig> {
  /** Address-mapped (the default); client gateways are ClientGatewayDefinition (client-spi.ts). */
  readonly kind?: 'address';
  /** Key under `gateways.` in config, e.g. "zeromq". */
  readonly protocol: string;
  /** Instance config schema; must include the common keys (see common-schema.ts). */
  readonly configSchema: z.ZodType<C, unknown>;
  readonly capabilities: GatewayCapabilities;
  /** The documented convention used when an instance names no mapping file. */
  defaultMapping(name: string, config: C): MappingDefinition;
  /**
   * Request/response routing for instances whose peers wait for answers (capabilities.requestReply): where
   * response topics live and how long a peer waits. Undefined when this instance takes no requests.
   */
  replyOptions?(name: string, config: C): { topicPrefix: string; timeoutMs: number; maxPending: number } | undefined;
  /** Payload codecs this protocol adds to the registry mapping files resolve against (e.g. DDS samples). */
  readonly codecs?: readonly Codec[];
  /** Build an instance; must do no I/O (start() does). */
  /** May load the protocol runtime lazily (dynamic import), so unconfigured gateways cost nothing at start-up. */
  create(config: C, ctx: GatewayContext): GatewayInstance | Promise<GatewayInstance>;
}

/** Either kind, as listed in gateways/registry.ts. */
export type AnyGatewayDefinition = GatewayDefinition | import('./client-spi.js').ClientGatewayDefinition;
