/**
 * One network MQTT connection (TCP, TLS or WebSocket stream): framing, parsing, keep alive, writes and close.
 * Packet semantics live in the handlers (connect-handler, publish-handler, subscribe-handler).
 */
import type { Duplex } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { Logger } from '../logger.js';
import type { AccessControl, ClientIdentity } from './access.js';
import type { Broker } from './broker.js';
import { PacketFramer, type FrameResult } from './framer.js';
import { decodeAck, decodePublish, type TopicMemo } from './publish-codec.js';
import type { Origin } from '../envelope.js';
import { REASON_TEXT, RC } from './reason-codes.js';
import type { Session } from './session.js';
import { ConnectionSink } from './outbound.js';
import type { SessionSink } from './session.js';
import type { BrokerMessage } from './message.js';
import { whenRelieved, type QueueGate } from './flow-control.js';
import { handleConnect, refuseConnect } from './connect-handler.js';
import { handleAuth, packetDuringExchange, releaseAuth, type EnhancedAuthState } from './auth-handler.js';
import { handlePublish, handlePubrel, handleOutboundAck } from './publish-handler.js';
import { OrderedAcks } from './acceptance.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';
import { parseFrame } from './shared-parser.js';
import { COALESCE_BYTES, scheduleFlush, writeBatch } from './write-batching.js';

export interface ConnectionEnv {
  listener: string;
  broker: Broker;
  access: AccessControl;
  logger: Logger;
  /** Enhanced auth methods configured (none by default → AUTH gets 0x8C). */
  authMethods: readonly string[];
  /** Set when the listener is over max_connections: every CONNECT is refused with "server unavailable". */
  refuse?: boolean;
  onClose(conn: Connection): void;
}

type State = 'awaiting_connect' | 'authenticating' | 'connected' | 'closed';

/** Longest a publisher is held back by slow subscribers before reading resumes anyway. */
const THROTTLE_MAX_MS = 250;
const EMPTY = Buffer.alloc(0);

export class Connection {
  state: State = 'awaiting_connect';
  protocolVersion: 3 | 4 | 5 = 4;
  identity?: ClientIdentity;
  session?: Session;
  sink?: ConnectionSink;
  keepAliveMs = 0;
  lastRx = Date.now();
  readonly openedAt = Date.now();
  /** Will to publish unless the client disconnects normally. */
  will?: { message: BrokerMessage; delay: number };
  /** Inbound topic aliases ([MQTT-3.3.2-10]). */
  readonly aliasesIn = new Map<number, string>();
  /** Inbound QoS 1/2 messages not yet acknowledged, for our Receive Maximum ([MQTT-3.3.4-7]). */
  inboundUnacked = 0;
  /** PUBACK/PUBREC order while some wait for a durable consumer (acceptance.ts). */
  readonly acks = new OrderedAcks();
  /** Why the connection ended, for the disconnected event (EMQX-style names); first one set wins. */
  closeReason?: string;
  /** v5 Request Problem Information: reason strings allowed on acks ([MQTT-3.1.2-29]). */
  problemInformation = true;
  /** Enhanced authentication of this connection (auth-handler.ts): method and re-authentication in progress. */
  enhancedAuth?: EnhancedAuthState;
  /** Set while a CONNECT exchange waits for the client's next AUTH. */
  authWaiter?: (packet: mqttPacket.IAuthPacket | undefined) => void;
  /** Ends the connection when its credentials expire (JWT exp). */
  expiryTimer?: NodeJS.Timeout;
  /** Per-listener metric children, bound once (label lookup per packet is measurable on the hot path). */
  readonly counters: {
    received: { inc(n?: number): void };
    sent: { inc(n?: number): void };
    bytesIn: { inc(n?: number): void };
    bytesOut: { inc(n?: number): void };
  };
  /** The last topic published on this connection (publish-codec.ts); created by the first PUBLISH. */
  #topicMemo: TopicMemo | undefined;
  /** The last topic name found valid and the max_topic_levels it was checked against (publish-handler.ts). */
  validTopic: string | undefined;
  validTopicLevels = 0;
  #origin: Origin | undefined;
  #originIdentity: ClientIdentity | undefined;
  readonly #framer: PacketFramer;
  /** Packets written since the last flush (see flushWrites) and their bytes. */
  #out: Buffer[] = [];
  #outSpare: Buffer[] = [];
  #outBytes = 0;
  /** @internal write batching (write-batching.ts): 0 = no write yet this iteration, 1 = wrote (later writes wait for setImmediate). */
  writeTurn: 0 | 1 = 0;
  #queuedPackets: Packet[] | undefined;

  constructor(
    readonly socket: Duplex,
    readonly remoteAddress: string,
    readonly env: ConnectionEnv,
  ) {
    const opts = env.broker.options;
    const m = env.broker.metrics;
    const l = { listener: env.listener };
    this.counters = {
      received: m.received.labels(l),
      sent: m.sent.labels(l),
      bytesIn: m.bytesIn.labels(l),
      bytesOut: m.bytesOut.labels(l),
    };
    this.#framer = new PacketFramer(opts.max_packet_size);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: Error) =>
      this.env.logger.debug({ err: err.message, remote: remoteAddress }, 'socket error'),
    );
    socket.on('close', () => this.#onSocketClose());
    socket.on('drain', () => {
      this.stalled = false;
      this.session?.pump();
      this.#notifyDrain();
    });
  }

  /** The origin recorded on this client's messages, one object while the identity stays the same. */
  originOf(identity: ClientIdentity): Origin {
    if (this.#originIdentity !== identity || this.#origin === undefined) {
      this.#originIdentity = identity;
      this.#origin = { clientId: identity.clientId, username: identity.username };
    }
    return this.#origin;
  }

  get logger(): Logger {
    return this.env.logger;
  }

  // ---- input ------------------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.lastRx = Date.now();
    this.counters.bytesIn.inc(chunk.length);
    this.#framer.push(chunk, (frame) => {
      if (this.state === 'closed') return false;
      const go = this.#onFrame(frame);
      if (!go || this.state !== 'connected') return go;
      // held back by subscribers (throttle/holdFor): the rest of this read waits in the framer, so what lands
      // in their queues after the hold began is one packet, not the rest of a 64 KB read
      return this.#readHolds > 0 ? 'hold' : true;
    });
  }

  #onFrame(frame: FrameResult): boolean {
    if (frame.kind === 'too_large') {
      this.protocolError(
        'packet_too_large',
        RC.PACKET_TOO_LARGE,
        `packet of ${frame.size} bytes exceeds maximum packet size ${this.#framer.maxPacketSize}`,
      );
      return false;
    }
    if (frame.kind === 'malformed') {
      this.protocolError('malformed', RC.MALFORMED, frame.reason);
      return false;
    }
    const bytes = frame.bytes;
    if (this.state === 'connected') {
      const type = bytes[0] >> 4;
      const p =
        type === 3
          ? decodePublish(bytes, this.protocolVersion, (this.#topicMemo ??= { bytes: undefined, topic: '' }))
          : type >= 4 && type <= 7
            ? decodeAck(bytes)
            : undefined;
      if (p === 'malformed') {
        this.protocolError('malformed', RC.MALFORMED, 'malformed PUBLISH');
        return false;
      }
      if (p) {
        this.#dispatch(p);
        return (this.state as State) !== 'closed';
      }
    }
    parseFrame(this, bytes);
    return (this.state as State) !== 'closed';
  }

  /** @internal called by the shared parser */
  onParseError(err: Error): void {
    if (this.state === 'closed') return;
    if (
      this.state === 'awaiting_connect' &&
      /protocol version|protocolId|Invalid header flag bits/i.test(err.message)
    ) {
      // [MQTT-3.1.2-2] unsupported protocol level: CONNACK 0x01 (v3) / 0x84 (v5), then close
      refuseConnect(this, RC.UNSUPPORTED_PROTOCOL_VERSION, 'unsupported_protocol');
      return;
    }
    this.protocolError('malformed', RC.MALFORMED, err.message);
  }

  /** @internal called by the shared parser */
  onPacket(packet: Packet): void {
    if (this.state === 'closed') return;
    if (this.state === 'authenticating') {
      if (this.authWaiter) return packetDuringExchange(this, packet);
      (this.#queuedPackets ??= []).push(packet);
      return;
    }
    if (this.state === 'awaiting_connect') {
      if (packet.cmd !== 'connect') {
        // [MQTT-3.1.0-1] the first packet must be CONNECT
        this.protocolError('first_packet_not_connect', RC.PROTOCOL_ERROR, `expected CONNECT, got ${packet.cmd}`);
        return;
      }
      this.state = 'authenticating';
      this.socket.pause();
      handleConnect(this, packet).then(
        () => this.#drainQueued(),
        (err: unknown) => {
          this.logger.error({ err }, 'CONNECT handling failed');
          this.close();
        },
      );
      return;
    }
    this.#dispatch(packet);
  }

  #drainQueued(): void {
    if (this.state === 'closed') return;
    if (this.state === 'authenticating') this.state = 'connected';
    const queued = this.#queuedPackets;
    this.#queuedPackets = undefined;
    if (queued) for (const p of queued) if ((this.state as State) === 'connected') this.#dispatch(p);
    if (this.state === 'connected') this.socket.resume();
  }

  #dispatch(packet: Packet): void {
    try {
      this.#handle(packet);
    } catch (err) {
      // a handler must never take the process down: whatever slipped through validation ends this connection only
      this.logger.warn({ err, clientId: this.identity?.clientId, cmd: packet.cmd }, 'packet handling failed');
      this.protocolError('handler_failed', RC.IMPLEMENTATION_SPECIFIC, (err as Error).message);
    }
  }

  #handle(packet: Packet): void {
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet);
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        return handleOutboundAck(this, packet);
      case 'pubrel':
        return handlePubrel(this, packet);
      case 'subscribe':
        return handleSubscribe(this, packet);
      case 'unsubscribe':
        return handleUnsubscribe(this, packet);
      case 'pingreq':
        this.send({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        return this.#onDisconnect(packet);
      case 'auth':
        return handleAuth(this, packet);
      case 'connect':
        // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
        return this.protocolError('second_connect', RC.PROTOCOL_ERROR, 'second CONNECT');
      default:
        return this.protocolError('unexpected_packet', RC.PROTOCOL_ERROR, `unexpected ${packet.cmd} from a client`);
    }
  }

  #onDisconnect(packet: mqttPacket.IDisconnectPacket): void {
    const session = this.session;
    if (this.protocolVersion === 5 && session) {
      const expiry = packet.properties?.sessionExpiryInterval;
      if (expiry !== undefined) {
        if (session.expiryInterval === 0 && expiry !== 0) {
          // [MQTT-3.14.2-2] cannot set a non-zero expiry in DISCONNECT after connecting with zero
          this.protocolError(
            'disconnect_expiry',
            RC.PROTOCOL_ERROR,
            'session expiry set in DISCONNECT after CONNECT had 0',
          );
          return;
        }
        this.env.broker.setExpiry(session, expiry);
      }
    }
    // [MQTT-3.14.4-3] normal DISCONNECT discards the will; v5 0x04 asks for it to be sent
    if (!(this.protocolVersion === 5 && packet.reasonCode === RC.DISCONNECT_WITH_WILL)) this.will = undefined;
    this.closeReason ??= 'normal';
    this.close();
  }

  // ---- back-pressure ----------------------------------------------------------------------------------

  /** Reasons reading from this client is paused (socket throttle, queue gates); reading resumes at 0. */
  #readHolds = 0;

  get readingPaused(): boolean {
    return this.#readHolds > 0;
  }

  #pauseReading(): void {
    if (this.#readHolds++ === 0) this.socket.pause();
  }

  #resumeReading(): void {
    if (--this.#readHolds > 0 || this.state !== 'connected') return;
    this.lastRx = Date.now(); // keep-alive silence counts from here, not from before the hold
    this.socket.resume();
    // input read before the hold waits in the framer; continue with it on a fresh stack (this may run inside
    // another client's acknowledgement). A read arriving first joins it there, in order.
    if (this.#framer.buffered > 0)
      setImmediate(() => {
        if (this.#readHolds === 0 && this.state === 'connected') this.#onData(EMPTY);
      });
  }

  #gateHeld = false;

  /**
   * A message from this client went to sessions whose queues are over their high watermark (flow-control.ts):
   * stop reading from this client until every one of them is back under its low watermark, stalled or
   * offline. The message itself is already queued and acknowledged as usual; what waits is the next one.
   */
  holdFor(gates: QueueGate[]): void {
    if (this.#gateHeld || this.state !== 'connected') return;
    this.#gateHeld = true;
    this.#pauseReading();
    whenRelieved(gates, () => {
      this.#gateHeld = false;
      this.#resumeReading();
    });
  }

  #throttled = false;
  /** Did not drain within THROTTLE_MAX_MS of throttling a publisher: no longer slows publishers down. */
  stalled = false;
  /** Publishers waiting for this connection's socket to drain (see throttle()). */
  #drainWaiters: Array<() => void> = [];

  /** Run `fn` once this connection's socket has drained or the connection has closed. */
  onDrain(fn: () => void): void {
    if (this.state === 'closed') fn();
    else this.#drainWaiters.push(fn);
  }

  #notifyDrain(): void {
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    for (const fn of waiters) fn();
  }

  /**
   * A message from this client found subscribers whose sockets are over their soft limit: stop reading from
   * this client until they drain (or close), so a fast publisher slows to the pace of its slowest subscriber
   * instead of the broker buffering without bound or dropping. Bounded: reading resumes after at most
   * THROTTLE_MAX_MS even if they have not drained (a client that blocks on its own writes must not deadlock);
   * QoS 0 beyond the hard limit is then dropped and counted.
   */
  throttle(sinks: SessionSink[]): void {
    const waiting = sinks
      .filter(
        (s): s is ConnectionSink =>
          s instanceof ConnectionSink && s.connection !== this && !s.writable && !s.connection.stalled,
      )
      .map((s) => s.connection);
    if (waiting.length === 0 || this.#throttled || this.state !== 'connected') return;
    this.#throttled = true;
    this.#pauseReading();
    let pending = waiting.length;
    const done = () => {
      if (!this.#throttled) return;
      this.#throttled = false;
      clearTimeout(timer);
      this.#resumeReading();
    };
    const drained = new Set<Connection>();
    const timer = setTimeout(() => {
      // a subscriber that did not drain within the bound is stalled: it stops throttling anyone (its QoS 0 is
      // dropped past the hard limit instead) until its socket drains again
      for (const target of waiting) if (!drained.has(target)) target.stalled = true;
      done();
    }, THROTTLE_MAX_MS);
    timer.unref();
    for (const target of waiting) {
      target.onDrain(() => {
        if (drained.has(target)) return;
        drained.add(target);
        if (--pending === 0) done();
      });
    }
  }

  // ---- output -----------------------------------------------------------------------------------------

  /** Encode and write a packet (batched with the other writes of this iteration, see write-batching.ts). */
  send(packet: Packet): boolean {
    if (this.state === 'closed') return false;
    return this.writeRaw(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  writeRaw(buf: Buffer): boolean {
    if (this.state === 'closed' || this.socket.destroyed) return false;
    if (this.#out.length === 0) scheduleFlush(this);
    this.#out.push(buf);
    this.#outBytes += buf.length;
    // a full batch leaves at once: a bigger one would not make the write cheaper, and the packets would stay
    // alive (and be copied by the GC) until the end of the iteration. The client stays in its flush lists.
    if (this.#outBytes >= COALESCE_BYTES) this.flushWrites();
    return true;
  }

  /** Bytes written but not yet sent: in the socket's buffer and in the current batch. */
  get outboundBytes(): number {
    return this.socket.writableLength + this.#outBytes;
  }

  /** @internal end of a write batch (write-batching.ts flushTick / flushTurn, close) */
  flushWrites(): void {
    const out = this.#out;
    const n = out.length;
    if (n === 0) return;
    const bytes = this.#outBytes;
    // the other array takes writes while this one is sent (none are expected: socket.write does not call back
    // synchronously), then this one is emptied for the next batch
    this.#out = this.#outSpare;
    this.#outSpare = out;
    this.#outBytes = 0;
    try {
      if (!this.socket.destroyed) this.#send(out, n, bytes);
    } finally {
      out.length = 0;
    }
  }

  #send(out: Buffer[], n: number, bytes: number): void {
    this.counters.bytesOut.inc(bytes);
    writeBatch(this.socket, out, n, bytes);
  }

  /** v5: send DISCONNECT with a reason code (and reason string) first; v3: just close ([MQTT-3.14.0-1]). */
  disconnect(reasonCode: number, counterReason?: string): void {
    if (this.state === 'closed') return;
    this.closeReason ??= counterReason ?? `reason_code_0x${reasonCode.toString(16)}`;
    if (counterReason) this.env.broker.metrics.refused.inc({ listener: this.env.listener, reason: counterReason });
    if (this.protocolVersion === 5 && this.state !== 'awaiting_connect') {
      const reasonString = REASON_TEXT[reasonCode];
      this.send({ cmd: 'disconnect', reasonCode, properties: reasonString ? { reasonString } : undefined } as Packet);
    }
    this.close();
  }

  /** Malformed or forbidden input: count it, log it, tell a v5 client why, close. */
  protocolError(reason: string, reasonCode: number, detail: string): void {
    this.env.broker.metrics.protocolErrors.inc({ listener: this.env.listener, reason });
    this.closeReason ??= reason;
    this.logger.info(
      { remote: this.remoteAddress, clientId: this.identity?.clientId, reason, detail },
      'protocol error, closing connection',
    );
    this.disconnect(reasonCode);
  }

  close(): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.flushWrites();
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 2000);
    t.unref();
    this.#release(wasConnected);
  }

  #onSocketClose(): void {
    if (this.state !== 'closed') {
      const wasConnected = this.state === 'connected' || this.state === 'authenticating';
      this.state = 'closed';
      this.#release(wasConnected);
    }
  }

  #released = false;

  #release(wasConnected: boolean): void {
    if (this.#released) return;
    this.#released = true;
    releaseAuth(this);
    const broker = this.env.broker;
    const session = this.session;
    if (wasConnected && session && session.sink === this.sink) {
      if (this.will && broker.running) {
        // [MQTT-3.1.2-8] abnormal close: publish the will, after min(Will Delay, Session Expiry) (§3.1.3.2.2)
        const delay = Math.min(this.will.delay, session.expiryInterval);
        broker.wills.schedule({ clientId: session.clientId, message: this.will.message }, delay);
      }
      broker.detach(session);
    }
    if (wasConnected && this.identity && this.session) this.#reportDisconnected(this.identity);
    this.will = undefined;
    this.#notifyDrain();
    this.env.onClose(this);
  }

  #reportDisconnected(identity: ClientIdentity): void {
    this.env.broker.clientEvents?.disconnected({
      clientid: identity.clientId,
      username: identity.username,
      ipaddress: this.remoteAddress,
      proto_ver: this.protocolVersion,
      proto_name: 'MQTT',
      reason: this.closeReason ?? 'sock_closed',
      listener: this.env.listener,
      disconnected_at: Date.now(),
    });
  }
}
