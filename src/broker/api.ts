/**
 * In-process API of the broker core. Gateways, rules and bridges use only this: no TCP hop, same QoS,
 * ordering and back-pressure semantics as a network client with a session.
 */
import type { Observable } from 'rxjs';
import type { Envelope, PublishProperties, QoS } from '../envelope.js';
import type { DeviceConnectRequest, DeviceConnectResult } from './device-types.js';

export type {
  DeviceCloseReason,
  DeviceConnectRequest,
  DeviceConnectResult,
  DeviceDelivery,
  DeviceInfo,
  DevicePublish,
  DeviceRefusal,
  DeviceSession,
  DeviceSessionHandler,
  DeviceSubscription,
  DeviceWill,
  SubscribeOutcome,
} from './device-types.js';
import type { ClientLifecycle } from '../sys/client-events.js';

export interface InternalSubscription {
  filter: string;
  qos: QoS;
  /** [MQTT-3.8.3-3] do not deliver messages published by this same client id. */
  noLocal?: boolean;
  /** [MQTT-3.8.3-4] keep the retain flag as published instead of clearing it on live delivery. */
  retainAsPublished?: boolean;
  /** 0 send retained on subscribe, 1 only if the subscription is new, 2 never ([MQTT-3.8.3-5]). */
  retainHandling?: 0 | 1 | 2;
}

export interface InternalSessionOptions {
  /** Session client id; should start with `$hub/` so it can never clash with a network client. */
  clientId: string;
  subscriptions: InternalSubscription[];
  /**
   * Persistent sessions keep their subscriptions and unacknowledged QoS >= 1 messages in the store across
   * hub restarts (like clean start = false with an infinite session expiry). Default false.
   */
  persistent?: boolean;
  /** In-flight window: QoS >= 1 deliveries not yet acked before further ones wait in the session queue. Default 32. */
  receiveMaximum?: number;
  /**
   * The consumer keeps its own durable copy of every QoS >= 1 delivery before it calls `ack()` (the bridge's
   * SQLite cache). While it is attached the broker writes no message rows for this session; instead the
   * publisher's acknowledgement (PUBACK/PUBREC, device accept, `publish()` promise) waits until the session
   * acked the message, or dropped it under its queue limits (counted). While detached it stores like any
   * persistent session, and what it held unacknowledged is written to the store when it detaches. Rows left
   * from before (an older version, an offline period) are delivered first, in order. Only with `persistent`;
   * a consumer without durability of its own (a memory cache) should not set it: its publishers would wait
   * for its acks for nothing. Default false.
   */
  durableConsumer?: boolean;
}

/** One message delivered to an in-process session. */
export interface Delivery {
  readonly envelope: Envelope;
  /** The granted QoS it was delivered with (min of published and subscribed QoS). */
  readonly qos: QoS;
  /**
   * Acknowledge a QoS >= 1 delivery (the PUBACK/PUBCOMP equivalent): frees an in-flight slot and removes the
   * message from the store. A no-op for QoS 0 and when called twice. Unacked messages of a persistent session
   * are redelivered (with `redelivered: true`) after a restart.
   */
  ack(): void;
  readonly redelivered: boolean;
}

export interface PublishOptions {
  /** Client id to attribute the publish to (no-local and authorization). Defaults to envelope.origin.clientId. */
  clientId?: string;
  /**
   * Check `authorization` for that client id before routing; rejects with AuthError PH_AUTH_NOT_AUTHORIZED when
   * denied. A connected device session is checked with its authenticated identity; another id with
   * `envelope.origin.username`. Ids starting with `$hub/` (the hub's gateways, bridges, rules) are trusted and
   * never checked, nor is a publish without a client id. Default false.
   */
  authorize?: boolean;
  /** IP address the authorization rules see for an id that is not connected (e.g. an MQTT-SN QoS -1 sender). */
  remoteAddress?: string;
}

export interface BrokerApi {
  /**
   * Route an Envelope as if a client had published it. Resolves once the broker accepted it: for QoS >= 1 that
   * means it is durably queued for every matching persistent session (the PUBACK point). Rejects with a
   * typed HubError for an invalid topic or when the broker is stopped.
   */
  publish(env: Envelope, opts?: PublishOptions): Promise<void>;
  /**
   * Open (or resume) an in-process session. The Observable emits deliveries; unsubscribing detaches the
   * session (a non-persistent one is removed). Completes when the broker stops.
   */
  session$(opts: InternalSessionOptions): Observable<Delivery>;
  /**
   * Connect a device behind a client gateway as a client of the broker: authenticated by `auth`, authorized by
   * `authorization`, with its own session (clean start / expiry, will, takeover of the same client id, run-time
   * subscriptions, in-flight window and bounded queue). Refusals are results, never rejections.
   */
  connectDevice(req: DeviceConnectRequest): Promise<DeviceConnectResult>;
  /**
   * The retained message on one topic name (no wildcards), undefined when there is none or it expired. For
   * protocols that read a topic's state on request (a CoAP GET without Observe).
   */
  retainedMessage(topic: string): { payload: Buffer; properties?: PublishProperties } | undefined;
  /**
   * Where client connect/disconnect events go ($SYS event messages). Set by the hub; device gateways whose
   * devices are broker clients (MQTT-SN, CoAP, LwM2M) report their devices' sessions here too.
   */
  readonly clientEvents?: ClientLifecycle;
}
