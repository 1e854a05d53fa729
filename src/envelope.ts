/**
 * The one message type that flows through the hub: broker, gateways, pipeline and bridges all speak Envelopes.
 * Envelopes are immutable; derive a changed copy with `{ ...env, topic }`.
 */
export type QoS = 0 | 1 | 2;

/** MQTT 5 user properties in the shape mqtt-packet uses (a repeated key becomes an array). */
export type UserProperties = Record<string, string | string[]>;

/**
 * MQTT 5 PUBLISH properties that travel with a message end to end. Topic Alias and Subscription Identifier are
 * per-connection and never part of an Envelope ([MQTT-3.3.2-7], [MQTT-3.3.4-3]).
 */
export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  /** Seconds; the broker rewrites it on delivery to the time left ([MQTT-3.3.2-6]). */
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
}

/** Where an Envelope came from: the MQTT client, gateway peer or bridge that produced it. */
export interface Origin {
  /** MQTT client id of the publisher (network client or in-process session). Used for no-local. */
  clientId?: string;
  /** Gateway instance (`<protocol>.<name>`) or bridge (`bridge.<name>`) that produced it. */
  gateway?: string;
  /** Peer identity on the gateway's protocol (endpoint, socket address, DDS participant…). */
  peer?: string;
  /** Protocol address the message came from (ZeroMQ topic frame, CoAP path, DDS topic…). */
  address?: string;
  /** Name of the bridge the message came down, so it never goes back up the same bridge. */
  bridge?: string;
  /** Username of an authenticated MQTT publisher. */
  username?: string;
}

export interface Envelope {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties?: Readonly<PublishProperties>;
  readonly origin?: Readonly<Origin>;
  /** Epoch ms when the hub received it (for expiry and latency metrics). */
  readonly receivedAt?: number;
}

export function envelope(
  topic: string,
  payload: Buffer | string,
  opts: Partial<Omit<Envelope, 'topic' | 'payload'>> = {},
): Envelope {
  return {
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos: opts.qos ?? 0,
    retain: opts.retain ?? false,
    properties: opts.properties,
    origin: opts.origin,
    receivedAt: opts.receivedAt ?? Date.now(),
  };
}
