/**
 * The DTLS 1.2 side of a CoAP gateway instance (RFC 7252 §9.1, certificate mode only): one UDP socket, one
 * werift-dtls DtlsServer per client address, the decrypted datagrams handed to the same CoAP endpoint under the
 * peer key `coaps:<address>:<port>` and its answers encrypted back. Handshakes in progress and sessions are
 * bounded (counted when refused), a handshake that does not finish in time and a session idle in both directions
 * are dropped. Constructors do no I/O; start()/stop() are idempotent and bounded.
 *
 * werift-dtls is used only through its public API (DtlsServer, its options, events and send); its per-socket design
 * (one session per transport, made for WebRTC) is why each client gets its own DtlsServer over a tiny transport.
 */
import type { AddressInfo } from 'node:net';
import { DtlsServer } from 'werift-dtls/lib/dtls/src/index.js';
import type { GatewayMetrics, Logger } from '../../src/gateway/index.js';
import type { PeerAddress } from './channel.js';
import type { DtlsCredentials } from './dtls-credentials.js';
import {
  ContentType,
  HANDSHAKE_FAILURE,
  ReplayWindow,
  fatalAlert,
  isClientHello,
  splitRecords,
} from './dtls-records.js';
import { UdpSocket } from './udp-socket.js';

/** No slash: the default client id `coap-<key>` may end up in a topic through a mountpoint's ${clientid}. */
const SCHEME = 'coaps:';
/** Record header (13) + explicit nonce (8) + GCM tag (16) around a CoAP datagram, with room for a little more. */
const RECORD_OVERHEAD = 64;
/** A client's handshake flight (its certificate chain) may exceed the CoAP datagram limit. */
const MIN_RECORD_DATAGRAM = 4096;
const SWEEP_MS = 1000;

export function isDtlsPeer(key: string): boolean {
  return key.startsWith(SCHEME);
}

export interface DtlsListenerOptions {
  host: string;
  port: number;
  credentials: DtlsCredentials;
  maxHandshakes: number;
  maxSessions: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  /** Largest CoAP datagram (decrypted) read or sent. */
  maxDatagramSize: number;
  socketBuffer?: number;
  metrics: GatewayMetrics;
  logger: Logger;
  now(): number;
  onDatagram(peer: PeerAddress, bytes: Buffer): void;
  onOversized(peer: PeerAddress, bytes: Buffer): void;
  /** An established session ended (peer alert, idle, replaced by a new handshake, gateway stopping). */
  onSessionEnd(peer: PeerAddress, reason: string): void;
}

interface Session {
  /** Key `coaps://…`, address and port of the client. */
  readonly peer: PeerAddress;
  readonly server: DtlsServer;
  readonly transport: { closed: boolean; onData: (data: Buffer, addr: readonly [string, number]) => void };
  readonly started: number;
  lastActive: number;
  open: boolean;
  ended: boolean;
  /** Anti-replay state of the epoch of the last authenticated application record. */
  epoch: number;
  window: ReplayWindow;
  /** The application record werift-dtls is decrypting right now (it delivers synchronously). */
  pending?: { epoch: number; sequence: number };
}

export class DtlsListener {
  lastError?: string;
  private udp?: UdpSocket;
  private readonly sessions = new Map<string, Session>();
  /** New handshakes from the address of an established session: they replace it only once they complete. */
  private readonly replacing = new Map<string, Session>();
  private handshakes = 0;
  private timer?: ReturnType<typeof setInterval>;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(private readonly o: DtlsListenerOptions) {}

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.udp = await UdpSocket.bind({
      host: this.o.host,
      port: this.o.port,
      maxDatagramSize: Math.max(this.o.maxDatagramSize + RECORD_OVERHEAD, MIN_RECORD_DATAGRAM),
      socketBuffer: this.o.socketBuffer,
      bindErrorCode: 'PH_COAP_DTLS_BIND',
      metrics: this.o.metrics,
      logger: this.o.logger,
      onDatagram: (peer, bytes) => this.receive(peer, bytes),
    });
    this.state = 'running';
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  get port(): number | undefined {
    return this.udp?.port;
  }

  stats(): { handshakes: number; sessions: number } {
    // every replacement is a handshake; the other handshakes are in `sessions`
    return { handshakes: this.handshakes, sessions: this.sessions.size - (this.handshakes - this.replacing.size) };
  }

  /** A CoAP datagram for `peer` (a `coaps:` key): encrypted in its session, or dropped (counted) without one. */
  send(peer: PeerAddress, bytes: Buffer): void {
    const s = this.sessions.get(peer.key);
    if (!s?.open || s.ended) return this.o.metrics.dropped('dtls_no_session');
    if (bytes.length > this.o.maxDatagramSize) return this.o.metrics.dropped('datagram_too_large');
    s.lastActive = this.o.now();
    s.server.send(bytes).catch((err: unknown) => {
      this.o.metrics.dropped('dtls_send_failed');
      this.o.logger.debug({ peer: s.peer.key, err }, 'DTLS send failed');
    });
  }

  private receive(udpPeer: PeerAddress, bytes: Buffer): void {
    const key = SCHEME + udpPeer.key;
    const s = this.sessions.get(key);
    if (s?.open) {
      const next = this.replacing.get(key);
      if (next) return this.split(s, next, bytes);
      // RFC 6347 §4.2.8: a ClientHello on an established association: the client may have lost its state
      // (rebooted). The new handshake proceeds beside the old session, which goes only when the new one completes,
      // so a ClientHello spoofed from the client's address cannot end it.
      if (!isClientHello(bytes)) return this.records(s, bytes);
      const fresh = this.open({ address: udpPeer.address, port: udpPeer.port, key }, true);
      if (fresh) this.feed(fresh, bytes);
      return;
    }
    if (s) return this.feed(s, bytes);
    // Only a ClientHello opens a session; records of a forgotten session get nothing (the client times out and
    // handshakes again).
    if (!isClientHello(bytes)) return this.o.metrics.dropped('dtls_no_session');
    const fresh = this.open({ address: udpPeer.address, port: udpPeer.port, key }, false);
    if (fresh) this.feed(fresh, bytes);
  }

  /** While a new handshake runs beside an established session: application records are the old session's. */
  private split(old: Session, next: Session, bytes: Buffer): void {
    const records = splitRecords(bytes);
    if (!records) return this.o.metrics.dropped('dtls_bad_record');
    for (const r of records)
      if (r.contentType === ContentType.ApplicationData) this.records(old, r.bytes);
      else this.feed(next, r.bytes);
  }

  /**
   * An established session's datagram, record by record: application records already seen in their epoch are
   * dropped before decryption (RFC 6347 §4.1.2.6; werift-dtls 0.5.8 keeps no replay window of its own).
   */
  private records(s: Session, bytes: Buffer): void {
    const records = splitRecords(bytes);
    if (!records) return this.o.metrics.dropped('dtls_bad_record');
    for (const r of records) {
      if (r.contentType !== ContentType.ApplicationData) {
        this.feed(s, r.bytes);
        continue;
      }
      if (r.epoch === s.epoch && !s.window.fresh(r.sequence)) {
        this.o.metrics.dropped('dtls_replay');
        continue;
      }
      s.pending = { epoch: r.epoch, sequence: r.sequence };
      this.feed(s, r.bytes);
      s.pending = undefined;
    }
  }

  private feed(s: Session, bytes: Buffer): void {
    try {
      s.transport.onData(bytes, [s.peer.address, s.peer.port]);
    } catch (err) {
      // werift-dtls parses the record layer before its own try: garbage throws here
      this.o.metrics.dropped('dtls_bad_record');
      this.o.logger.debug({ peer: s.peer.key, err }, 'DTLS record refused');
    }
  }

  private open(peer: PeerAddress, replacement: boolean): Session | undefined {
    if (this.handshakes >= this.o.maxHandshakes) {
      this.o.metrics.dropped('dtls_handshake_limit');
      return undefined;
    }
    if (!replacement && this.sessions.size >= this.o.maxSessions) {
      this.o.metrics.dropped('dtls_session_limit');
      return undefined;
    }
    const udp = this.udp!;
    const transport = {
      type: 'udp',
      closed: false,
      onData: (_data: Buffer, _addr: readonly [string, number]): void => undefined,
      get address(): AddressInfo {
        return { address: peer.address, family: peer.address.includes(':') ? 'IPv6' : 'IPv4', port: peer.port };
      },
      send: (data: Buffer): Promise<void> => {
        // a dropped session's retransmission timers may still fire inside werift-dtls: they send nothing
        if (!transport.closed) udp.send(peer, data);
        return Promise.resolve();
      },
      close: (): Promise<void> => Promise.resolve(),
    };
    const { certPem, keyPem, signatureHash } = this.o.credentials;
    const server = new DtlsServer({ cert: certPem, key: keyPem, signatureHash, transport });
    const now = this.o.now();
    const s: Session = {
      ...{ peer, server, transport, started: now, lastActive: now, open: false, ended: false },
      ...{ epoch: -1, window: new ReplayWindow() },
    };
    (replacement ? this.replacing : this.sessions).set(peer.key, s);
    this.handshakes++;
    server.onConnect.subscribe(() => this.connected(s));
    server.onData.subscribe((plain) => this.plaintext(s, plain));
    server.onError.subscribe((err) => this.failed(s, err));
    server.onClose.subscribe(() => this.end(s, 'closed_by_peer'));
    return s;
  }

  private connected(s: Session): void {
    if (s.ended || s.open) return;
    s.open = true;
    s.lastActive = this.o.now();
    this.handshakes--;
    if (this.replacing.get(s.peer.key) === s) {
      this.replacing.delete(s.peer.key);
      const old = this.sessions.get(s.peer.key);
      if (old) this.end(old, 'replaced');
      this.sessions.set(s.peer.key, s);
    }
    this.o.metrics.socketEvent('dtls_handshake');
    this.o.logger.debug({ peer: s.peer.key }, 'DTLS session established');
  }

  private plaintext(s: Session, bytes: Buffer): void {
    if (s.ended || !s.open) return;
    // it decrypted, so it is authentic: only now may its sequence number move the window
    const r = s.pending;
    if (r) {
      if (r.epoch !== s.epoch) [s.epoch, s.window] = [r.epoch, new ReplayWindow()];
      s.window.mark(r.sequence);
    }
    // only authenticated traffic keeps a session alive (not datagrams anyone can send from its address)
    s.lastActive = this.o.now();
    if (bytes.length > this.o.maxDatagramSize) return this.o.onOversized(s.peer, bytes);
    this.o.onDatagram(s.peer, bytes);
  }

  private failed(s: Session, err: unknown): void {
    this.o.logger.debug({ peer: s.peer.key, err }, 'DTLS error');
    if (s.open) return this.o.metrics.dropped('dtls_error');
    this.o.metrics.dropped('dtls_handshake_failed');
    // e.g. no common cipher suite (a CCM_8- or PSK-only client): RFC 5246 §7.4.1.3 ends it with handshake_failure
    if (!s.ended) this.udp?.send(s.peer, fatalAlert(HANDSHAKE_FAILURE));
    this.end(s, 'handshake_failed');
  }

  private end(s: Session, reason: string): void {
    if (s.ended) return;
    s.ended = true;
    s.transport.closed = true;
    if (!s.open) this.handshakes--;
    if (this.sessions.get(s.peer.key) === s) this.sessions.delete(s.peer.key);
    if (this.replacing.get(s.peer.key) === s) this.replacing.delete(s.peer.key);
    for (const e of [s.server.onConnect, s.server.onData, s.server.onError, s.server.onClose]) e.allUnsubscribe();
    this.o.metrics.socketEvent(`dtls_${reason}`);
    if (s.open && reason !== 'gateway_stopped') this.o.onSessionEnd(s.peer, reason);
  }

  private sweep(): void {
    const now = this.o.now();
    for (const s of [...this.sessions.values(), ...this.replacing.values()]) {
      if (!s.open && now - s.started > this.o.handshakeTimeoutMs) {
        this.o.metrics.dropped('dtls_handshake_timeout');
        this.end(s, 'handshake_timeout');
      } else if (s.open && now - s.lastActive > this.o.idleTimeoutMs) this.end(s, 'idle');
    }
    const { handshakes, sessions } = this.stats();
    this.o.metrics.tableSize('dtls_handshakes', handshakes);
    this.o.metrics.tableSize('dtls_sessions', sessions);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    for (const s of [...this.replacing.values(), ...this.sessions.values()]) this.end(s, 'gateway_stopped');
    this.o.metrics.tableSize('dtls_handshakes', 0);
    this.o.metrics.tableSize('dtls_sessions', 0);
    const udp = this.udp;
    this.udp = undefined;
    await udp?.close();
  }
}
