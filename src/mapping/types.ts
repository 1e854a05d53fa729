/**
 * Contract between the mapping engine and the gateways: a compiled mapping turns protocol addresses into MQTT
 * topics (uplink) and MQTT messages into protocol addresses (downlink). Mapping never throws per message; it
 * returns a MapResult the pipeline counts and dead-letters.
 */
import type { Envelope, PublishProperties, QoS } from '../envelope.js';

export interface UplinkInput {
  /** Protocol address: ZeroMQ topic frame, NNG body prefix, CoAP path, DDS topic… */
  address: string;
  payload: Buffer;
  /** Peer identity, for logs; not used for matching. */
  peer?: string;
}

export interface MappedUplink {
  /** Name of the rule that matched (its `name`, or `uplink#<index>`). */
  rule: string;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** User properties and content type from the rule; absent when the rule sets neither. */
  properties?: PublishProperties;
}

export interface MappedDownlink {
  /** Name of the rule that matched (its `name`, or `downlink#<index>`). */
  rule: string;
  address: string;
  payload: Buffer;
}

export type MapFailure = 'no_match' | 'codec' | 'invalid_topic';

export type MapResult<T> = { ok: true; value: T } | { ok: false; reason: MapFailure; error: string };

export interface DownlinkFilter {
  filter: string;
  qos: QoS;
}

export interface CompiledMapping {
  /** File path, or "default:<gateway>" for a gateway's built-in convention. */
  readonly source: string;
  /** First matching uplink rule wins. */
  uplink(input: UplinkInput): MapResult<MappedUplink>;
  /** First matching downlink rule wins. */
  downlink(env: Envelope): MapResult<MappedDownlink>;
  /** What the gateway subscribes to on the broker, one entry per distinct filter. */
  downlinkFilters(): DownlinkFilter[];
}

/** Where a value sits in the mapping source, for `file:line` in load errors. */
export type PositionOf = (path: (string | number)[]) => { file: string; line: number } | undefined;
