/**
 * Device sessions: a device behind a client gateway (MQTT-SN, CoAP with a client id, LwM2M endpoint) as a real
 * client of the broker — its own client id, credentials, authorization, run-time subscriptions, will, takeover,
 * session expiry — without an MQTT connection. Types only; see device-session.ts and docs/gateways/README.md.
 */
import type { PublishProperties, QoS } from '../envelope.js';

export interface DeviceWill {
  /** As the device wrote it (the mountpoint is prepended). */
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** Seconds to wait after an abnormal loss before publishing (MQTT 5 Will Delay). Default 0. */
  delay?: number;
}

export interface DeviceDelivery {
  /** Topic with the mountpoint stripped. */
  readonly topic: string;
  readonly payload: Buffer;
  /** Delivery QoS: min(published, granted). */
  readonly qos: QoS;
  /** RETAIN: set for retained messages sent because of a new subscription ([MQTT-3.3.1-8]). */
  readonly retain: boolean;
  readonly properties?: PublishProperties;
  /** Sent before (after a reconnect): resend with DUP. */
  readonly dup: boolean;
  /**
   * QoS >= 1: the device acknowledged it (PUBACK / PUBCOMP, or the gateway gave up on it, e.g. a REGACK error):
   * frees the in-flight slot and removes it from the store. A no-op for QoS 0 and when called twice.
   */
  ack(): void;
}

/** Why a device session ended without the gateway asking (passed to DeviceSessionHandler.onClose). */
/**
 * `credentials_expired`: the JWT it authenticated with reached its exp (as TCP clients are disconnected);
 * `kicked`: an operator ended it (HTTP API), session discarded, will not published.
 */
export type DeviceCloseReason =
  'taken_over' | 'keepalive_timeout' | 'broker_stopped' | 'credentials_expired' | 'kicked';

export interface DeviceSessionHandler {
  /** One message for the device. Called synchronously from broker routing: must not throw, should not block. */
  onDelivery(delivery: DeviceDelivery): void;
  /** The broker ended the session (not called after close()/lose()). */
  onClose(reason: DeviceCloseReason): void;
}

export interface DeviceConnectRequest {
  /** Protocol label for metrics and listings: 'mqttsn', 'coap', 'lwm2m'. */
  protocol: string;
  /** Gateway instance id `<protocol>.<name>`: the `listener` label of the device's metrics. */
  gateway: string;
  clientId: string;
  username?: string;
  password?: Buffer;
  /** Peer IP address (authorization IP rules match it) and port, for listings and logs. */
  peerAddress: string;
  peerPort?: number;
  /** true: discard an existing session ([MQTT-3.1.2-4]). */
  cleanStart: boolean;
  /** Seconds the session outlives the device (0 = ends with it, 0xFFFFFFFF = never); capped by mqtt.max_session_expiry. */
  sessionExpiry: number;
  /** Seconds; the session is lost (will published) after keepalive_multiplier × this without touch(). 0 = off. */
  keepAlive?: number;
  /** false: the gateway tracks liveness itself (and calls lose()); keepAlive is then only shown in listings. */
  enforceKeepAlive?: boolean;
  will?: DeviceWill;
  /** Topic prefix template with `${clientid}` / `${username}` (EMQX mountpoint). */
  mountpoint?: string;
  /** Overrides `auth.allow_anonymous` for this gateway instance. */
  allowAnonymous?: boolean;
  /** QoS >= 1 deliveries in flight before the rest waits in the session queue. Default 16. */
  inflightWindow?: number;
  /** Bounds of the session queue (defaults: mqtt.max_mqueue_len / max_mqueue_bytes / mqueue_overflow). */
  queue?: { maxMessages?: number; maxBytes?: number; overflow?: 'drop_oldest' | 'drop_newest' };
  handler: DeviceSessionHandler;
}

export type DeviceRefusal = 'bad_credentials' | 'not_authorized' | 'bad_clientid' | 'bad_will' | 'server_unavailable';

export type DeviceConnectResult =
  { ok: true; session: DeviceSession; sessionPresent: boolean } | { ok: false; reason: DeviceRefusal; detail: string };

export interface DeviceSubscription {
  /** As the device wrote it (mounted). */
  filter: string;
  qos: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  /** 0 send retained on subscribe (default), 1 only if new, 2 never ([MQTT-3.8.3-5]). */
  retainHandling?: 0 | 1 | 2;
}

export type SubscribeOutcome =
  | { ok: true; qos: QoS }
  | { ok: false; reason: 'not_authorized' | 'invalid_filter' | 'wildcards_unsupported' | 'shared_unsupported' };

export interface DevicePublish {
  /** As the device wrote it (mounted). */
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}

/** What listings ($SYS events, the HTTP API) show of a connected device. */
export interface DeviceInfo {
  readonly clientId: string;
  readonly protocol: string;
  readonly gateway: string;
  readonly username?: string;
  readonly peerAddress: string;
  readonly peerPort?: number;
  readonly connectedAt: number;
  readonly mountpoint: string;
  readonly keepAlive: number;
  readonly cleanStart: boolean;
  readonly sessionExpiry: number;
  readonly asleep: boolean;
}

/** A device's read of one topic's retained message (a CoAP GET without Observe). */
export type RetainedRead =
  | { ok: true; message?: { payload: Buffer; properties?: PublishProperties } }
  | { ok: false; reason: 'not_authorized' | 'invalid_topic' };

export interface DeviceSession {
  readonly info: DeviceInfo;
  /** The retained message on a topic as the device names it (mounted), if the device may subscribe to it. */
  readRetained(topic: string): RetainedRead;
  /** Start handing queued, in-flight (resent with dup) and new messages to the handler; call after CONNACK. */
  startDelivery(): void;
  /** Resolves on durable accept for QoS >= 1 (the PUBACK point), at routing for QoS 0. See DevicePublishError. */
  publish(msg: DevicePublish): Promise<{ matched: number }>;
  /** Retained messages follow in a microtask: answer the device (SUBACK) synchronously after this returns. */
  subscribe(subs: readonly DeviceSubscription[]): SubscribeOutcome[];
  /** Per filter: whether it existed. */
  unsubscribe(filters: readonly string[]): boolean[];
  /** Replace or remove the will (MQTT-SN WILLTOPICUPD / WILLMSGUPD). */
  setWill(will: DeviceWill | undefined): { ok: true } | { ok: false; detail: string };
  /** The device showed sign of life: restarts the keep-alive clock. */
  touch(): void;
  /** Change the keep-alive (e.g. the sleep duration of a sleeping MQTT-SN client). */
  setKeepAlive(seconds: number): void;
  /** The device sleeps: deliveries wait (bounded, counted) until wake(). */
  sleep(): void;
  wake(): void;
  /** Normal disconnect: the will is discarded ([MQTT-3.14.4-3]); optionally a new session expiry. */
  close(opts?: { sessionExpiry?: number }): void;
  /** Abnormal loss detected by the gateway: the will is published ([MQTT-3.1.2-8]). */
  lose(reason: string): void;
  readonly closed: boolean;
}
