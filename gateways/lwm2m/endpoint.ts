/**
 * The LwM2M server of one gateway instance, sans-IO: datagrams in through `receive`, time through `tick`.
 * Requests from devices are the registration interface (TS 1.1 Core §6.2, §8.2.x operations on /rd);
 * ACKs, RSTs and responses belong to requests this server sent (Requester). Every registered endpoint is a device
 * session; commands arrive as its deliveries and results leave as its publishes (see dispatch.ts).
 */
import { randomBytes } from 'node:crypto';
import type { DeviceSessions, GatewayMetrics, Logger } from '../../src/gateway/index.js';
import {
  CoapFormatError,
  DedupCache,
  Method,
  Opt,
  Rsp,
  decodeCoap,
  encodeCoap,
  isRequest,
  optionValues,
  type CoapMessage,
  type CoapOption,
} from '../coap/index.js';
import type { Lwm2mClient, PeerRef } from './client.js';
import { Deadlines } from './deadlines.js';
import { Dispatcher } from './dispatch.js';
import { Lwm2mError } from './errors.js';
import type { ObjectRegistry } from './objects.js';
import { parseRegister, parseUpdate } from './registration.js';
import { Requester } from './requester.js';
import type { Lwm2mConfig } from './schema.js';

export interface EndpointInfo {
  ep: string;
  regId: string;
  address: string;
  port: number;
  lwm2m: string;
  lt: number;
  b: string;
  queueMode: boolean;
  /** False while a queue-mode endpoint sleeps (its window passed): commands wait for its next message. */
  awake: boolean;
  /** Commands waiting in its queue (for an NSTART slot or for it to wake). */
  queuedCommands: number;
  /** Requests sent to it and still outstanding (RFC 7252 §4.7), at most transmission.nstart. */
  outstanding: number;
  objectList: string[];
  registeredAt: number;
  expiresAt: number;
}

export interface EndpointPorts {
  devices: DeviceSessions;
  send(peer: PeerRef, bytes: Buffer): void;
  metrics: GatewayMetrics;
  logger: Logger;
  now(): number;
}

export class Lwm2mEndpoint {
  readonly byRegId = new Map<string, Lwm2mClient>();
  readonly byEp = new Map<string, Lwm2mClient>();
  /** Peer address → endpoint, so any datagram marks its sender awake without a scan. */
  private readonly byPeer = new Map<string, Lwm2mClient>();
  private readonly dedup: DedupCache;
  /** Registrations between their checks and their session (connect is asynchronous). */
  private registering = 0;
  /** Registration expiry checks (Lwm2mClient.expiryCheckAt), earliest first. */
  private readonly lifetimes = new Deadlines<Lwm2mClient>();
  readonly requester: Requester;
  private readonly dispatch: Dispatcher;

  constructor(
    readonly config: Lwm2mConfig,
    readonly objects: ObjectRegistry,
    private readonly ports: EndpointPorts,
  ) {
    this.dedup = new DedupCache({ maxEntries: 100_000, lifetimeMs: 247_000 });
    const t = config.transmission;
    this.requester = new Requester(
      { ackTimeoutMs: t.ack_timeout, ackRandomFactor: t.ack_random_factor, maxRetransmit: t.max_retransmit },
      config.request_timeout,
      { send: (key, bytes) => this.sendTo(key, bytes) },
    );
    this.dispatch = new Dispatcher(config, objects, this.requester, ports);
  }

  get registered(): number {
    return this.byRegId.size;
  }

  private sendTo(key: string, bytes: Buffer): void {
    // requests only ever go to registered endpoints, so their address is known here (no unbounded peer table)
    const client = this.byPeer.get(key);
    if (client) this.ports.send(client.peer, bytes);
  }

  receive(peer: PeerRef, buf: Buffer): void {
    const now = this.ports.now();
    this.ports.metrics.message('uplink', buf.length);
    let m: CoapMessage;
    try {
      m = decodeCoap(buf);
    } catch (err) {
      this.ports.metrics.dropped('malformed');
      this.ports.logger.debug({ peer: peer.key, err: (err as Error).message }, 'LwM2M datagram malformed');
      // RFC 7252 §4.2: a CON that cannot be processed is rejected with RST
      if (err instanceof CoapFormatError && err.header?.type === 'CON')
        this.reply(peer, this.empty('RST', err.header.messageId));
      return;
    }
    const client = this.clientAt(peer.key);
    if (client) this.dispatch.seen(client, now);
    if (m.code === 0 && m.type === 'CON') {
      this.reply(peer, this.empty('RST', m.messageId)); // RFC 7252 §4.3 CoAP ping
      return;
    }
    if (!isRequest(m.code)) {
      const mine = this.requester.receive(peer.key, m, (ack) => this.reply(peer, ack));
      if (!mine && m.type === 'CON') this.reply(peer, this.empty('RST', m.messageId)); // RFC 7641 §3.6
      return;
    }
    const verdict = this.dedup.check(peer.key, m.messageId, now);
    if (verdict.kind === 'duplicate') {
      if (verdict.reply) this.ports.send(peer, verdict.reply);
      return;
    }
    void this.handleRequest(peer, m, now);
  }

  private clientAt(key: string): Lwm2mClient | undefined {
    return this.byPeer.get(key);
  }

  private empty(type: 'ACK' | 'RST', messageId: number): Buffer {
    return encodeCoap({ type, code: 0, messageId, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) });
  }

  private reply(peer: PeerRef, bytes: Buffer): void {
    this.ports.metrics.message('downlink', bytes.length);
    this.ports.send(peer, bytes);
  }

  private respond(peer: PeerRef, req: CoapMessage, code: number, options: CoapOption[] = [], text?: string): void {
    const bytes = encodeCoap({
      type: req.type === 'CON' ? 'ACK' : 'NON',
      code,
      messageId: req.type === 'CON' ? req.messageId : this.requester.nextMessageId(),
      token: req.token,
      options,
      payload: text === undefined ? Buffer.alloc(0) : Buffer.from(text, 'utf8'),
    });
    if (req.type === 'CON') this.dedup.answered(peer.key, req.messageId, bytes);
    this.reply(peer, bytes);
  }

  private async handleRequest(peer: PeerRef, m: CoapMessage, now: number): Promise<void> {
    const path = optionValues(m, Opt.UriPath).map((v) => v.toString('utf8'));
    const query = optionValues(m, Opt.UriQuery).map((v) => v.toString('utf8'));
    try {
      if (path.length === 1 && path[0] === 'rd' && m.code === Method.POST)
        return await this.register(peer, m, query, now);
      if (path.length === 2 && path[0] === 'rd') {
        const client = this.byRegId.get(path[1]!);
        if (!client) return this.respond(peer, m, Rsp.NotFound); // TS 1.1 Core §6.2.2: unknown registration
        if (m.code === Method.POST) return this.update(peer, m, client, query, now);
        if (m.code === Method.DELETE) {
          this.deregister(client, 'deregistered');
          return this.respond(peer, m, Rsp.Deleted);
        }
        return this.respond(peer, m, Rsp.MethodNotAllowed);
      }
      if (path[0] === 'bs') return this.respond(peer, m, Rsp.NotFound, [], 'bootstrap server not provided');
      return this.respond(peer, m, Rsp.NotFound);
    } catch (err) {
      if (err instanceof Lwm2mError) {
        // RFC 6690 links that do not parse are told apart from other refusals (no ep, lifetime out of range…)
        this.ports.metrics.dropped(err.code === 'PH_LWM2M_LINK_FORMAT' ? 'bad_link_format' : 'bad_registration');
        this.ports.logger.warn({ peer: peer.key, code: err.code, err: err.message }, 'LwM2M registration refused');
        this.respond(peer, m, Rsp.BadRequest, [], err.message);
        return;
      }
      // never let one request take the instance down: answer 5.00 and count it
      this.ports.metrics.dropped('internal_error');
      this.ports.logger.error({ peer: peer.key, err: (err as Error).message }, 'LwM2M request failed');
      this.respond(peer, m, Rsp.InternalServerError);
    }
  }

  private async register(peer: PeerRef, m: CoapMessage, query: string[], now: number): Promise<void> {
    const p = parseRegister(query, m.payload);
    const ltMs = p.lt * 1000;
    if (ltMs < this.config.lifetime_min || ltMs > this.config.lifetime_max)
      throw new Lwm2mError(
        'PH_LWM2M_REGISTRATION',
        `lifetime ${p.lt}s outside ${this.config.lifetime_min / 1000}..${this.config.lifetime_max / 1000}s`,
      );
    const previous = this.byEp.get(p.ep);
    // registrations still waiting for their session count too, or a burst of them would all pass the bound
    if (!previous && this.byRegId.size + this.registering >= this.config.max_endpoints) {
      this.ports.metrics.dropped('max_endpoints');
      return this.respond(peer, m, Rsp.ServiceUnavailable, [], 'too many endpoints');
    }
    if (previous) this.deregister(previous, 'replaced', false);
    const client: Lwm2mClient = {
      ep: p.ep,
      regId: randomBytes(6).toString('base64url'),
      peer,
      lwm2m: p.lwm2m,
      lt: p.lt,
      b: p.b,
      sms: p.sms,
      queueMode: p.queueMode,
      objects: p.objects,
      registeredAt: now,
      expiresAt: now + ltMs,
      expiryCheckAt: now + ltMs,
      awakeUntil: now + this.config.qmode_time_window,
      queued: [],
      queuedBytes: 0,
      outstanding: 0,
      observations: new Map(),
      observesPending: 0,
      seqNum: 0,
      closed: false,
    };
    this.registering++;
    const connecting = this.ports.devices.connect({
      clientId: p.ep,
      peerAddress: peer.address,
      peerPort: peer.port,
      cleanStart: true,
      sessionExpiry: 0,
      keepAlive: 0,
      handler: {
        onDelivery: (d) => this.dispatch.onDelivery(client, d),
        onClose: (reason) => {
          if (!client.closed) this.deregister(client, reason, false);
        },
      },
    });
    let res: Awaited<typeof connecting>;
    try {
      res = await connecting;
    } finally {
      this.registering--;
    }
    if (!res.ok) {
      this.ports.metrics.dropped(`refused_${res.reason}`);
      const code =
        res.reason === 'server_unavailable'
          ? Rsp.ServiceUnavailable
          : res.reason === 'bad_clientid'
            ? Rsp.BadRequest
            : Rsp.Forbidden;
      return this.respond(peer, m, code, [], res.detail);
    }
    client.session = res.session;
    this.byRegId.set(client.regId, client);
    this.byEp.set(client.ep, client);
    this.byPeer.set(peer.key, client);
    this.scheduleExpiry(client);
    this.ports.metrics.peers(this.byRegId.size);
    const { command } = this.config.translators;
    res.session.subscribe([{ filter: command.topic, qos: command.qos }]);
    res.session.startDelivery();
    // TS 1.1 Core §6.2.1: 2.01 Created with the registration's location /rd/{id}
    this.respond(peer, m, Rsp.Created, [
      { number: Opt.LocationPath, value: Buffer.from('rd') },
      { number: Opt.LocationPath, value: Buffer.from(client.regId) },
    ]);
    this.ports.logger.info(
      { ep: client.ep, peer: peer.key, lt: client.lt, lwm2m: client.lwm2m },
      'LwM2M endpoint registered',
    );
    await this.dispatch.event(client, 'register');
    if (this.config.auto_observe) this.dispatch.autoObserve(client, now);
  }

  private update(peer: PeerRef, m: CoapMessage, client: Lwm2mClient, query: string[], now: number): void {
    const u = parseUpdate(query, m.payload);
    if (u.lt !== undefined) {
      const ltMs = u.lt * 1000;
      if (ltMs < this.config.lifetime_min || ltMs > this.config.lifetime_max)
        throw new Lwm2mError('PH_LWM2M_REGISTRATION', `lifetime ${u.lt}s outside the accepted range`);
      client.lt = u.lt;
    }
    if (u.b !== undefined) client.b = u.b;
    if (u.queueMode !== undefined) client.queueMode = u.queueMode;
    if (u.sms !== undefined) client.sms = u.sms;
    if (u.objects) client.objects = u.objects;
    const from = client.peer.key;
    if (this.byPeer.get(from) === client) this.byPeer.delete(from);
    client.peer = peer; // TS 1.1 Core §6.2.2: an Update refreshes the client's address (NAT rebinding)
    this.byPeer.set(peer.key, client);
    this.requester.movePeer(from, peer.key, now); // its requests and observations follow it
    client.expiresAt = now + client.lt * 1000;
    // usually later than the scheduled check, which then re-schedules; only an earlier expiry needs an entry now
    if (client.expiresAt < client.expiryCheckAt) this.scheduleExpiry(client);
    this.respond(peer, m, Rsp.Changed);
    if (this.config.update_msg_publish_condition === 'always' || u.objects) void this.dispatch.event(client, 'update');
  }

  /** Removes a registration; `announce` publishes the deregister event before the session ends. */
  deregister(client: Lwm2mClient, reason: string, announce = true): void {
    if (client.closed) return;
    client.closed = true;
    this.byRegId.delete(client.regId);
    if (this.byEp.get(client.ep) === client) this.byEp.delete(client.ep);
    if (this.byPeer.get(client.peer.key) === client) this.byPeer.delete(client.peer.key);
    this.ports.metrics.peers(this.byRegId.size);
    this.dispatch.end(client, reason);
    const session = client.session;
    if (!session || session.closed) return;
    const close = (): void => {
      if (!session.closed) session.close();
    };
    if (announce) void this.dispatch.deregisterEvent(client, reason).finally(close);
    else close();
    this.ports.logger.info({ ep: client.ep, reason }, 'LwM2M endpoint deregistered');
  }

  /** Registered endpoints with their objects, for listings (HTTP API). */
  list(): EndpointInfo[] {
    const now = this.ports.now();
    return [...this.byRegId.values()].map((c) => ({
      ep: c.ep,
      regId: c.regId,
      address: c.peer.address,
      port: c.peer.port,
      lwm2m: c.lwm2m,
      lt: c.lt,
      b: c.b,
      queueMode: c.queueMode,
      awake: !c.queueMode || now < c.awakeUntil,
      queuedCommands: c.queued.length,
      outstanding: c.outstanding,
      objectList: [...c.objects.objectList],
      registeredAt: c.registeredAt,
      expiresAt: c.expiresAt,
    }));
  }

  /**
   * Runs one EMQX-shaped command (`{"reqID","msgType","data"}`) on an endpoint and resolves with its result
   * document, the same JSON `up/resp` would carry (for the HTTP API). Undefined when `ep` is not registered.
   */
  command(ep: string, command: unknown): Promise<Record<string, unknown>> | undefined {
    const c = this.byEp.get(ep);
    if (!c) return undefined;
    return new Promise((resolve) =>
      this.dispatch.submit(c, Buffer.from(JSON.stringify(command)), (result) =>
        resolve(JSON.parse(result.toString('utf8')) as Record<string, unknown>),
      ),
    );
  }

  /**
   * Retransmissions, request deadlines and lifetime expiry. Only what is due is looked at. No flush here: time
   * alone never lets a command out (a device wakes by sending, a slot frees on an answer; both flush).
   */
  tick(): void {
    const now = this.ports.now();
    this.requester.tick(now);
    for (const { at, item: c } of this.lifetimes.popDue(now)) {
      if (c.closed || c.expiryCheckAt !== at) continue; // deregistered, or superseded by an earlier check
      if (c.expiresAt > now)
        this.scheduleExpiry(c); // an Update extended the lifetime
      else {
        this.ports.metrics.socketEvent('lifetime_expired');
        this.deregister(c, 'lifetime_expired');
      }
    }
  }

  /** At most one current heap entry per endpoint (plus stale ones skipped when due), however often it updates. */
  private scheduleExpiry(c: Lwm2mClient): void {
    c.expiryCheckAt = c.expiresAt;
    this.lifetimes.push(c.expiresAt, c);
  }

  close(): void {
    for (const c of [...this.byRegId.values()]) this.deregister(c, 'gateway_stopped', false);
  }
}
