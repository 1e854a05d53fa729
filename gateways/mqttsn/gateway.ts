/**
 * The sans-IO MQTT-SN gateway: the table of clients keyed by UDP peer (and forwarder node id), CONNECT and
 * takeover, QoS -1 publishes, gateway discovery, and the routing of broker events to clients. Input is a
 * datagram, a broker event or the time; output is a list of Effects for the IO layer (datagrams to send,
 * broker actions, drops to count and log). No sockets, no timers, no clock.
 */
import type { BrokerAction, BrokerEvent } from './broker-port.js';
import { SnClient } from './client.js';
import { encode, tryDecode } from './codec.js';
import { ReturnCode, type Frame, type FrameOf } from './frames.js';
import type { ClientSink, CoreConfig } from './sink.js';
import { PredefinedTopics, resolveTopic, TopicRegistry } from './topics.js';

export type Effect =
  /** `peer` is `host:port` (IPv6 as `[addr]:port`); `datagram` is `frame` encoded (and encapsulated). */
  | { readonly kind: 'send'; readonly peer: string; readonly frame: Frame; readonly datagram: Buffer }
  | { readonly kind: 'broker'; readonly action: BrokerAction }
  /** Refused or dropped input; `reason` is the metric label, `detail` for the debug log. */
  | { readonly kind: 'drop'; readonly reason: string; readonly peer?: string; readonly detail?: string }
  /** A client lifecycle event worth a counter (takeover); closes are visible as `close` broker actions. */
  | { readonly kind: 'event'; readonly event: string; readonly peer?: string; readonly detail?: string };

/** Where a client's frames go: its UDP peer, through a forwarder when it came encapsulated (§5.5). */
interface Route {
  readonly peer: string;
  readonly encap?: { readonly radius: number; readonly nodeId: Buffer };
}

interface Entry {
  readonly client: SnClient;
  route: Route;
  key: string;
}

const MAX_PAYLOAD = 0xffff - 16;

export class SnGateway {
  readonly #byKey = new Map<string, Entry>();
  readonly #byClientId = new Map<string, Entry>();
  readonly #bySession = new Map<number, Entry>();
  readonly #predefined: PredefinedTopics;
  #nextSession = 1;
  #nextAdvertise = 0;

  constructor(private readonly cfg: CoreConfig) {
    this.#predefined = new PredefinedTopics(cfg.predefined);
  }

  /** Clients in the table (connecting, active, asleep or awake). */
  get clients(): number {
    return this.#byKey.size;
  }

  client(clientId: string): SnClient | undefined {
    return this.#byClientId.get(clientId)?.client;
  }

  datagram(peer: string, bytes: Buffer, now: number): Effect[] {
    const fx: Effect[] = [];
    if (bytes.length > this.cfg.limits.max_datagram_size) {
      fx.push({ kind: 'drop', reason: 'datagram_too_large', peer, detail: `${bytes.length} octets` });
      return fx;
    }
    const r = tryDecode(bytes);
    if (!r.ok) {
      fx.push({ kind: 'drop', reason: r.error.reason, peer, detail: r.error.message });
      return fx;
    }
    let frame = r.frame;
    let route: Route = { peer };
    if (frame.type === 'ENCAPSULATED') {
      route = { peer, encap: { radius: frame.radius, nodeId: frame.nodeId } };
      frame = frame.inner;
    }
    const key = route.encap ? `${peer}/${route.encap.nodeId.toString('hex')}` : peer;
    const out = this.#sink(fx, route);
    const entry = this.#byKey.get(key);
    switch (frame.type) {
      case 'SEARCHGW':
        // MQTT-SN 1.2 §6.1: a gateway answers SEARCHGW with GWINFO (here to the searcher, never broadcast)
        if (!this.cfg.advertise.enable) out.drop('discovery_disabled');
        else out.send({ type: 'GWINFO', gwId: this.cfg.advertise.gateway_id });
        return fx;
      case 'CONNECT':
        this.#connect(frame, key, route, now, fx);
        return fx;
      case 'PUBLISH':
        if (frame.flags.qos === -1 && !entry) {
          this.#qosMinusOne(frame, out, peer);
          return fx;
        }
        break;
      case 'PINGREQ':
        if (!entry && frame.clientId !== undefined) this.#moveSleeper(frame.clientId, key, route);
        break;
      default:
        break;
    }
    const e = this.#byKey.get(key);
    if (!e) {
      out.drop('not_connected', frame.type);
      return fx;
    }
    e.client.frame(frame, now, out);
    this.#reap(e);
    return fx;
  }

  broker(event: BrokerEvent, now: number): Effect[] {
    const fx: Effect[] = [];
    const e = this.#bySession.get(event.session);
    if (!e) {
      if (event.type === 'deliver') {
        fx.push({
          kind: 'broker',
          action: { type: 'settle', session: event.session, ref: event.ref, outcome: 'dropped', reason: 'no_session' },
        });
        fx.push({ kind: 'drop', reason: 'no_session', detail: event.topic });
      }
      return fx;
    }
    const out = this.#sink(fx, e.route);
    if (event.type === 'deliver' && event.payload.length > MAX_PAYLOAD) {
      out.broker({ type: 'settle', session: event.session, ref: event.ref, outcome: 'dropped', reason: 'too_large' });
      out.drop('too_large', event.topic);
      return fx;
    }
    e.client.event(event, now, out);
    this.#reap(e);
    return fx;
  }

  /** Time-based steps of every client, and ADVERTISE when it is due. Call it every few hundred ms. */
  tick(now: number): Effect[] {
    const fx: Effect[] = [];
    for (const e of this.#byKey.values()) {
      e.client.tick(now, this.#sink(fx, e.route));
      this.#reap(e);
    }
    const adv = this.cfg.advertise;
    if (adv.enable && now >= this.#nextAdvertise) {
      // MQTT-SN 1.2 §5.4.1: Duration is the time until the next ADVERTISE, in seconds
      this.#nextAdvertise = now + adv.interval;
      this.#sink(fx, { peer: adv.address }).send({
        type: 'ADVERTISE',
        gwId: adv.gateway_id,
        duration: Math.min(0xffff, Math.round(adv.interval / 1000)),
      });
    }
    return fx;
  }

  /** Close every client (DISCONNECT to each, `close` shutdown to the broker, no wills). */
  shutdown(): Effect[] {
    const fx: Effect[] = [];
    for (const e of [...this.#byKey.values()]) {
      const out = this.#sink(fx, e.route);
      if (e.client.state !== 'closed') out.send({ type: 'DISCONNECT' });
      e.client.close('shutdown', false, out);
      this.#reap(e);
    }
    return fx;
  }

  #connect(f: FrameOf<'CONNECT'>, key: string, route: Route, now: number, fx: Effect[]): void {
    const out = this.#sink(fx, route);
    const refuse = (reason: string, returnCode: ReturnCode) => {
      out.drop(reason, f.clientId.slice(0, 64));
      out.send({ type: 'CONNACK', returnCode });
    };
    // MQTT-SN 1.2 §5.3.8: ProtocolId 0x01 is the only one defined
    if (f.protocolId !== 0x01) return refuse('bad_protocol_id', ReturnCode.NOT_SUPPORTED);
    // §5.3.1: ClientId is 1-23 characters; the limit is configurable
    if (f.clientId.length === 0) return refuse('client_id_empty', ReturnCode.NOT_SUPPORTED);
    if (f.clientId.length > this.cfg.limits.max_client_id_length) {
      return refuse('client_id_too_long', ReturnCode.NOT_SUPPORTED);
    }
    let registry: TopicRegistry | undefined;
    const here = this.#byKey.get(key);
    if (here) {
      const c = here.client;
      const same = c.clientId === f.clientId;
      // §6.14: CONNECT from asleep/awake returns the client to active within its session
      if (same && (c.state === 'asleep' || c.state === 'awake')) {
        c.frame(f, now, out);
        return this.#reap(here);
      }
      // a resent CONNECT while the broker has not answered yet (§6.13) starts nothing new
      if (same && c.state === 'connecting') return out.drop('duplicate', 'CONNECT');
      if (same && !f.flags.cleanSession) registry = c.registry; // §6.3: topic ids survive without clean session
      c.close('reconnect', false, out);
      this.#reap(here);
    }
    const other = this.#byClientId.get(f.clientId);
    if (other) {
      // the device moved to another address (or another device took its id): the new connection wins
      if (!f.flags.cleanSession) registry = other.client.registry;
      other.client.close('takeover', false, this.#sink(fx, other.route));
      fx.push({ kind: 'event', event: 'takeover', peer: route.peer, detail: `${f.clientId} from ${other.route.peer}` });
      this.#reap(other);
    }
    if (this.#byKey.size >= this.cfg.limits.max_clients) return refuse('max_clients', ReturnCode.CONGESTION);
    const session = this.#nextSession++;
    const client = new SnClient(
      { session, clientId: f.clientId, peer: route.peer, cfg: this.cfg, predefined: this.#predefined, registry },
      now,
    );
    const entry: Entry = { client, route, key };
    this.#byKey.set(key, entry);
    this.#byClientId.set(f.clientId, entry);
    this.#bySession.set(session, entry);
    client.connect(f, now, out);
    this.#reap(entry);
  }

  /** MQTT-SN 1.2 §6.8: QoS -1 PUBLISH without a connection, predefined or short topic id only. */
  #qosMinusOne(f: FrameOf<'PUBLISH'>, out: ClientSink, peer: string): void {
    if (!this.cfg.enable_qos3) return out.drop('qos_minus1_disabled');
    if (f.flags.topicIdType === 0) return out.drop('qos_minus1_normal_topic_id', String(f.topicId));
    const topic = resolveTopic(f.flags.topicIdType, f.topicId, new TopicRegistry(0), this.#predefined);
    if (topic === undefined) return out.drop('invalid_topic_id', String(f.topicId));
    out.broker({
      type: 'publish',
      session: null,
      ref: 0,
      topic,
      payload: f.data,
      qos: 0,
      retain: f.flags.retain,
      peer,
    });
  }

  /** A sleeping client may wake up from a new address (its PINGREQ names it, §6.14): follow it. */
  #moveSleeper(clientId: string, key: string, route: Route): void {
    const e = this.#byClientId.get(clientId);
    if (!e || (e.client.state !== 'asleep' && e.client.state !== 'awake')) return;
    this.#byKey.delete(e.key);
    e.key = key;
    e.route = route;
    e.client.peer = route.peer;
    this.#byKey.set(key, e);
  }

  #reap(e: Entry): void {
    if (!e.client.closed) return;
    if (this.#byKey.get(e.key) === e) this.#byKey.delete(e.key);
    if (this.#byClientId.get(e.client.clientId) === e) this.#byClientId.delete(e.client.clientId);
    this.#bySession.delete(e.client.session);
  }

  #sink(fx: Effect[], route: Route): ClientSink {
    return new RouteSink(fx, route);
  }
}

/** Collects one step's effects for one client route (a class: no closures allocated per datagram). */
class RouteSink implements ClientSink {
  constructor(
    private readonly fx: Effect[],
    private readonly route: Route,
  ) {}
  send(frame: Frame): void {
    const r = this.route;
    const wire: Frame = r.encap ? { type: 'ENCAPSULATED', ...r.encap, inner: frame } : frame;
    this.fx.push({ kind: 'send', peer: r.peer, frame, datagram: encode(wire) });
  }
  broker(action: BrokerAction): void {
    this.fx.push({ kind: 'broker', action });
  }
  drop(reason: string, detail?: string): void {
    this.fx.push({ kind: 'drop', reason, peer: this.route.peer, ...(detail === undefined ? {} : { detail }) });
  }
}
