/**
 * The MQTT-SN gateway's interface to the broker, as plain data (stable: the device-session adapter depends on it).
 *
 * The sans-IO gateway (gateway.ts) emits `BrokerAction`s and consumes `BrokerEvent`s; an adapter turns actions
 * into calls on the broker's per-device sessions and feeds their outcomes back as events. Rules:
 *
 * - `session` is a number the gateway assigns to one MQTT-SN connection (one CONNECT that got this far). It is
 *   not the client id: a device that reconnects or moves address gets a new session number with the same
 *   `clientId`, so a late event for an old session is recognised and ignored. `null` only on a QoS -1 publish,
 *   which has no client (MQTT-SN 1.2 §6.8); the adapter publishes it as the gateway instance itself.
 * - `ref` numbers a request within a session; the answering event carries the same `ref`.
 * - Topics are MQTT topic names/filters as the device sees them, without the instance's mountpoint: the adapter
 *   (or the device session) prepends the mountpoint on the way in and strips it on the way out.
 * - Keep-alive, sleep and retransmission timing live in the gateway: the adapter runs no timers. When the
 *   gateway decides the client is lost it emits `close` with `will: true` and the broker publishes the will.
 * - Every `deliver` event is answered by exactly one `settle` action (QoS 0 included), `delivered` after the
 *   device acknowledged it (PUBACK / PUBCOMP; QoS 0 once sent), or `dropped` with a reason (queue full, REGACK
 *   refused, client gone…). The adapter may ack the broker on `settle`; dropped ones are counted by the gateway.
 */

export type SessionId = number;

/** MQTT QoS of a message towards the broker (QoS -1 arrives as 0). */
export type BrokerQoS = 0 | 1 | 2;

export interface Will {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: BrokerQoS;
  readonly retain: boolean;
}

/** Why the gateway ends a session (also the `reason` label of its disconnect counter). */
export type CloseReason =
  | 'disconnect' // the client sent DISCONNECT (no will)
  | 'keepalive_timeout' // MQTT-SN 1.2 §6.11: silent for 1.5 × keep-alive (will)
  | 'sleep_timeout' // MQTT-SN 1.2 §6.14: no wake-up within the sleep duration (will)
  | 'retry_exhausted' // MQTT-SN 1.2 §6.13: Nretry retransmissions unanswered (will)
  | 'reconnect' // a new CONNECT from the same client replaces this session (no will)
  | 'takeover' // the same client id connected from another address (no will)
  | 'broker_closed' // the broker ended it (closed event); sent for symmetry, the adapter may ignore it
  | 'shutdown'; // the gateway stops (no will)

export type BrokerAction =
  /** Open (or resume, when cleanSession is false) the device's broker session; answered by `connack`. */
  | {
      readonly type: 'connect';
      readonly session: SessionId;
      readonly clientId: string;
      /** UDP peer `host:port` (for IP-based authorization and the API listing). */
      readonly peer: string;
      readonly cleanSession: boolean;
      /** Seconds; 0 = none. Informational: the gateway enforces it. */
      readonly keepAlive: number;
      readonly will?: Will;
    }
  /** Publish into the broker. QoS 1/2 are answered by `puback` once the broker accepted (durably) or refused. */
  | {
      readonly type: 'publish';
      readonly session: SessionId | null;
      readonly ref: number;
      readonly topic: string;
      readonly payload: Buffer;
      readonly qos: BrokerQoS;
      readonly retain: boolean;
      /** QoS -1 only (no session): the sender's UDP peer `host:port`, for IP-based authorization rules. */
      readonly peer?: string;
    }
  /** Answered by `suback`. `filter` may hold wildcards. */
  | {
      readonly type: 'subscribe';
      readonly session: SessionId;
      readonly ref: number;
      readonly filter: string;
      readonly qos: BrokerQoS;
    }
  /** Answered by `unsuback`. */
  | { readonly type: 'unsubscribe'; readonly session: SessionId; readonly ref: number; readonly filter: string }
  /** Replace the will (WILLTOPICUPD / WILLMSGUPD, MQTT-SN 1.2 §6.4); `null` deletes it. No answer. */
  | { readonly type: 'will'; readonly session: SessionId; readonly will: Will | null }
  /**
   * The client sleeps (§6.14) for `duration` seconds (sent again each time it goes back to sleep after a wake-up
   * ping). Keep the session. The adapter may keep delivering (the gateway buffers within `sleep.*`) or hold
   * deliveries in the broker's session queue (DeviceSession.sleep()) until `awake`.
   */
  | { readonly type: 'sleep'; readonly session: SessionId; readonly duration: number }
  /** The sleeping client is awake (PINGREQ with its client id) or active again (CONNECT): deliver again. */
  | { readonly type: 'awake'; readonly session: SessionId }
  /** Outcome of one `deliver` event. */
  | {
      readonly type: 'settle';
      readonly session: SessionId;
      readonly ref: number;
      readonly outcome: 'delivered' | 'dropped';
      readonly reason?: string;
    }
  /** End the session; `will` says whether the broker publishes the will now. No answer. */
  | { readonly type: 'close'; readonly session: SessionId; readonly reason: CloseReason; readonly will: boolean };

export type BrokerEvent =
  /** Outcome of `connect`. */
  | {
      readonly type: 'connack';
      readonly session: SessionId;
      readonly result: 'accepted' | 'not_authorized' | 'unavailable';
      readonly sessionPresent?: boolean;
    }
  /** Outcome of a QoS 1/2 `publish` (never sent for QoS 0). */
  | {
      readonly type: 'puback';
      readonly session: SessionId;
      readonly ref: number;
      readonly result: 'accepted' | 'not_authorized' | 'unavailable';
    }
  /** Outcome of `subscribe`. */
  | {
      readonly type: 'suback';
      readonly session: SessionId;
      readonly ref: number;
      readonly result: 'granted' | 'not_authorized' | 'invalid_filter' | 'unavailable';
      readonly qos?: BrokerQoS;
    }
  | { readonly type: 'unsuback'; readonly session: SessionId; readonly ref: number }
  /** A message for the device (topic without mountpoint). Answer with one `settle`. */
  | {
      readonly type: 'deliver';
      readonly session: SessionId;
      readonly ref: number;
      readonly topic: string;
      readonly payload: Buffer;
      readonly qos: BrokerQoS;
      readonly retain: boolean;
      /** Handed over before (the session resumed): the first PUBLISH already carries DUP. */
      readonly dup?: boolean;
    }
  /** The broker ended the session (kicked by the API, taken over by an MQTT client with the same id…). */
  | { readonly type: 'closed'; readonly session: SessionId; readonly reason: string };
