/**
 * Maps the sans-IO MQTT-SN gateway's broker actions (broker-port.ts) onto the hub's device sessions and feeds
 * the outcomes back as broker events. One device session per MQTT-SN connection: the broker does identity,
 * authorization, subscriptions, retained messages, wills, queues and takeover; the gateway does the protocol.
 *
 * Events go back through one FIFO flushed in a microtask, never re-entrantly from inside an action: the IO layer
 * is applying the gateway's effects when it calls us. The FIFO also keeps SUBACK before the retained messages
 * that follow a subscription ([MQTT-3.8.4-4]).
 */
import {
  AuthError,
  ProtocolError,
  TopicError,
  type DeviceDelivery,
  type DeviceRefusal,
  type DeviceSession,
  type DeviceSessions,
  type DeviceWill,
  type Logger,
} from '../../src/gateway/index.js';
import type { BrokerAction, BrokerEvent, SessionId, Will } from './broker-port.js';
import { parsePeer } from './server.js';

/** Seconds a clean_session = false session outlives its device; capped by mqtt.max_session_expiry. */
const NEVER_EXPIRES = 0xffffffff;

interface Entry {
  readonly clientId: string;
  device?: DeviceSession;
  /** QoS >= 1 deliveries handed to the gateway and not yet settled, by ref. */
  readonly unsettled: Map<number, DeviceDelivery>;
  ended: boolean;
}

const toWill = (w: Will): DeviceWill => ({ topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain });

function connackResult(reason: DeviceRefusal): 'not_authorized' | 'unavailable' {
  return reason === 'server_unavailable' ? 'unavailable' : 'not_authorized';
}

/** A refused publish: rules, topic or QoS → "not supported"; overload or store trouble → "congestion" (retry). */
function publishResult(err: unknown): 'not_authorized' | 'unavailable' {
  return err instanceof AuthError || err instanceof TopicError || err instanceof ProtocolError
    ? 'not_authorized'
    : 'unavailable';
}

export class DeviceAdapter {
  readonly #sessions = new Map<SessionId, Entry>();
  readonly #fifo: BrokerEvent[] = [];
  #flushing = false;
  #nextRef = 1;

  constructor(
    private readonly devices: DeviceSessions,
    private readonly emit: (event: BrokerEvent) => void,
    private readonly logger: Logger,
  ) {}

  get sessions(): number {
    return this.#sessions.size;
  }

  /** One broker action from the gateway (synchronously, in order). Never throws. */
  onAction(a: BrokerAction): void {
    try {
      this.#act(a);
    } catch (err) {
      this.logger.error({ err, action: a.type }, 'mqttsn adapter failed on an action');
    }
  }

  #act(a: BrokerAction): void {
    if (a.type === 'connect') return this.#connect(a);
    if (a.type === 'publish') return this.#publish(a);
    const entry = this.#sessions.get(a.session);
    const device = entry?.device;
    switch (a.type) {
      case 'subscribe': {
        const [r] = device ? device.subscribe([{ filter: a.filter, qos: a.qos }]) : [undefined];
        return this.#post({
          type: 'suback',
          session: a.session,
          ref: a.ref,
          ...(r === undefined
            ? { result: 'unavailable' as const }
            : r.ok
              ? { result: 'granted' as const, qos: r.qos }
              : { result: 'not_authorized' as const }),
        });
      }
      case 'unsubscribe':
        device?.unsubscribe([a.filter]);
        return this.#post({ type: 'unsuback', session: a.session, ref: a.ref });
      case 'will': {
        const r = device?.setWill(a.will ? toWill(a.will) : undefined);
        if (r && !r.ok) this.logger.debug({ clientId: entry?.clientId, detail: r.detail }, 'mqttsn will refused');
        return;
      }
      case 'sleep':
      case 'awake':
        // the gateway buffers for a sleeping client itself (bounded, counted); QoS >= 1 beyond the device
        // session's in-flight window waits in the broker session queue meanwhile
        device?.touch();
        return;
      case 'settle': {
        // delivered, or given up by the gateway (REGACK refused, sleep buffer full…, counted there): either way
        // the broker's in-flight slot is freed
        const d = entry?.unsettled.get(a.ref);
        entry?.unsettled.delete(a.ref);
        d?.ack();
        return;
      }
      case 'close': {
        if (!entry) return;
        entry.ended = true;
        this.#sessions.delete(a.session);
        // MQTT-SN 1.2 §6.3: the will is published when the gateway lost the client, not on DISCONNECT
        if (a.will) device?.lose(a.reason);
        else device?.close();
        return;
      }
    }
  }

  #connect(a: Extract<BrokerAction, { type: 'connect' }>): void {
    const entry: Entry = { clientId: a.clientId, unsettled: new Map(), ended: false };
    this.#sessions.set(a.session, entry);
    const peer = parsePeer(a.peer);
    this.devices
      .connect({
        clientId: a.clientId,
        peerAddress: peer.host,
        peerPort: peer.port,
        cleanStart: a.cleanSession,
        sessionExpiry: a.cleanSession ? 0 : NEVER_EXPIRES,
        // the gateway runs keep-alive and sleep timing and reports a lost client as close(will = true)
        keepAlive: a.keepAlive,
        enforceKeepAlive: false,
        will: a.will ? toWill(a.will) : undefined,
        handler: {
          onDelivery: (d) => this.#deliver(a.session, entry, d),
          onClose: (reason) => {
            if (entry.ended) return;
            entry.ended = true;
            this.#sessions.delete(a.session);
            this.#post({ type: 'closed', session: a.session, reason });
          },
        },
      })
      .then(
        (r) => {
          if (entry.ended) {
            // the gateway closed this connection while it was authenticating
            if (r.ok) r.session.close();
            return;
          }
          if (!r.ok) {
            this.#sessions.delete(a.session);
            this.#post({ type: 'connack', session: a.session, result: connackResult(r.reason) });
            return;
          }
          entry.device = r.session;
          this.#post({ type: 'connack', session: a.session, result: 'accepted', sessionPresent: r.sessionPresent });
          r.session.startDelivery();
        },
        (err: unknown) => {
          this.logger.error({ err, clientId: a.clientId }, 'mqttsn device connect failed');
          this.#sessions.delete(a.session);
          if (!entry.ended) this.#post({ type: 'connack', session: a.session, result: 'unavailable' });
        },
      );
  }

  #publish(a: Extract<BrokerAction, { type: 'publish' }>): void {
    const msg = { topic: a.topic, payload: a.payload, qos: a.qos, retain: a.retain };
    if (a.session === null) {
      // QoS -1 (MQTT-SN 1.2 §6.8): no client, no answer
      // authorized as an anonymous client from the sender's address, so IP rules apply to QoS -1 too
      const peerAddress = a.peer === undefined ? '' : parsePeer(a.peer).host;
      this.devices.publishUnconnected({ ...msg, peerAddress }).catch((err: unknown) => {
        this.logger.debug({ err, topic: a.topic }, 'mqttsn QoS -1 publish refused');
      });
      return;
    }
    const session = a.session;
    const device = this.#sessions.get(session)?.device;
    const answer = (result: 'accepted' | 'not_authorized' | 'unavailable') => {
      if (a.qos > 0) this.#post({ type: 'puback', session, ref: a.ref, result });
    };
    if (!device) return answer('unavailable');
    device.publish(msg).then(
      () => answer('accepted'),
      (err: unknown) => {
        this.logger.debug({ err, topic: a.topic }, 'mqttsn publish refused');
        answer(publishResult(err));
      },
    );
  }

  #deliver(session: SessionId, entry: Entry, d: DeviceDelivery): void {
    if (entry.ended) return;
    const ref = this.#nextRef++;
    if (d.qos > 0) entry.unsettled.set(ref, d);
    this.#post({ type: 'deliver', session, ref, topic: d.topic, payload: d.payload, qos: d.qos, retain: d.retain });
  }

  #post(e: BrokerEvent): void {
    this.#fifo.push(e);
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => {
      // events the gateway's effects cause while flushing join the same FIFO, in order
      while (this.#fifo.length > 0) {
        const next = this.#fifo.shift() as BrokerEvent;
        try {
          this.emit(next);
        } catch (err) {
          this.logger.error({ err, event: next.type }, 'mqttsn gateway failed on a broker event');
        }
      }
      this.#flushing = false;
    });
  }
}
