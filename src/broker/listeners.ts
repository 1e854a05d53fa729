/**
 * Network listeners: TCP, TLS, WebSocket and secure WebSocket on `/mqtt` (subprotocol "mqtt"). Each accepted
 * stream becomes a Connection; one timer sweeps keep-alive and CONNECT idle timeouts for all of them.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { HubConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { AccessControl } from './access.js';
import type { Broker } from './broker.js';
import { Connection } from './connection.js';
import { listenOn } from '../listen.js';
import { RC } from './reason-codes.js';

type ListenersConfig = HubConfig['listeners'];
type Kind = 'tcp' | 'ssl' | 'ws' | 'wss';

interface Running {
  kind: Kind;
  name: string;
  server: NetServer | HttpServer;
  wss?: import('ws').WebSocketServer;
  max: number;
  open: number;
}

export interface ListenerDeps {
  broker: Broker;
  access: AccessControl;
  logger: Logger;
}

function tlsOptions(c: { certfile: string; keyfile: string; cacertfile?: string; verify: string }): TlsOptions {
  return {
    cert: readFileSync(c.certfile),
    key: readFileSync(c.keyfile),
    ca: c.cacertfile ? readFileSync(c.cacertfile) : undefined,
    requestCert: c.verify === 'verify_peer',
    // verified in onSecure so that fail_if_no_peer_cert = false still admits clients without a certificate
    rejectUnauthorized: false,
  };
}

export class ListenerSet {
  readonly connections = new Set<Connection>();
  /** Every accepted stream until it has fully closed (a Connection leaves `connections` as soon as it ends). */
  readonly #streams = new Set<Duplex>();
  readonly #running: Running[] = [];
  #sweep?: NodeJS.Timeout;

  constructor(
    private readonly config: ListenersConfig,
    private readonly deps: ListenerDeps,
  ) {}

  async start(): Promise<void> {
    if (this.#running.length > 0) return;
    const c = this.config;
    for (const [name, l] of Object.entries(c.tcp))
      if (l.enable) await this.#listen('tcp', name, l.bind, l.max_connections);
    for (const [name, l] of Object.entries(c.ssl))
      if (l.enable) await this.#listen('ssl', name, l.bind, l.max_connections, l);
    for (const [name, l] of Object.entries(c.ws))
      if (l.enable) await this.#listen('ws', name, l.bind, l.max_connections, undefined, l.path);
    for (const [name, l] of Object.entries(c.wss))
      if (l.enable) await this.#listen('wss', name, l.bind, l.max_connections, l, l.path);
    this.#sweep = setInterval(() => this.#sweepTimeouts(), 500);
    this.#sweep.unref();
  }

  address(kind: Kind, name: string): { host: string; port: number } | undefined {
    const r = this.#running.find((x) => x.kind === kind && x.name === name);
    const a = r?.server.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  /**
   * Shutdown: stop accepting, send v5 clients DISCONNECT 0x8B (server shutting down) and close every
   * connection; sockets whose peer does not close within `graceMs` are destroyed.
   */
  async close(graceMs = 1000): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    const running = this.#running.splice(0);
    const closed = Promise.all(
      running.map(
        (r) =>
          new Promise<void>((resolve) => {
            r.wss?.close();
            r.server.close(() => resolve());
          }),
      ),
    );
    for (const conn of [...this.connections]) conn.disconnect(RC.SERVER_SHUTTING_DOWN);
    const timer = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([closed, timer]);
    for (const stream of this.#streams) stream.destroy();
    for (const r of running)
      if ('closeAllConnections' in r.server) (r.server as import('node:http').Server).closeAllConnections();
    await Promise.race([closed, new Promise<void>((r) => setTimeout(r, 200).unref())]);
  }

  async #listen(
    kind: Kind,
    name: string,
    bind: { host: string; port: number },
    max: number,
    tls?: Parameters<typeof tlsOptions>[0] & { fail_if_no_peer_cert: boolean },
    path?: string,
  ): Promise<void> {
    const r: Running = { kind, name, max, open: 0, server: undefined as unknown as NetServer };
    const label = `${kind}:${name}`;
    const onStream = (stream: Duplex, remote: string) => this.#accept(r, label, stream, remote);
    if (kind === 'tcp') {
      r.server = createNetServer((s: Socket) => {
        s.setNoDelay(true);
        onStream(s, s.remoteAddress ?? '');
      });
    } else if (kind === 'ssl') {
      r.server = createTlsServer(tlsOptions(tls!), (s: TLSSocket) => {
        if (!this.#peerOk(s, tls!, label)) return;
        s.setNoDelay(true);
        onStream(s, s.remoteAddress ?? '');
      });
    } else {
      // ws loads only when a WebSocket listener is configured (start-up time)
      const { WebSocketServer, createWebSocketStream } = await import('ws');
      const http = kind === 'ws' ? createHttpServer() : createHttpsServer(tlsOptions(tls!));
      const wss = new WebSocketServer({
        server: http,
        path,
        maxPayload: this.deps.broker.options.max_packet_size + 8,
        // MQTT over WebSocket uses subprotocol "mqtt" (3.1.1 §6, 5.0 §6)
        handleProtocols: (protocols) =>
          protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
      });
      wss.on('connection', (ws: import('ws').WebSocket, req: import('node:http').IncomingMessage) => {
        if (kind === 'wss' && !this.#peerOk(req.socket as TLSSocket, tls!, label)) {
          ws.terminate();
          return;
        }
        const stream = createWebSocketStream(ws);
        stream.on('error', () => undefined);
        onStream(stream, req.socket.remoteAddress ?? '');
      });
      r.server = http;
      r.wss = wss;
    }
    await listenOn(r.server, bind, this.deps.logger, label);
    r.server.on('error', (err) => this.deps.logger.error({ err, listener: label }, 'listener error'));
    this.#running.push(r);
  }

  #peerOk(s: TLSSocket, tls: { verify: string; fail_if_no_peer_cert: boolean }, label: string): boolean {
    if (tls.verify !== 'verify_peer') return true;
    const cert = s.getPeerCertificate();
    const hasCert = cert && Object.keys(cert).length > 0;
    if ((hasCert && !s.authorized) || (!hasCert && tls.fail_if_no_peer_cert)) {
      this.deps.broker.metrics.refused.inc({ listener: label, reason: hasCert ? 'bad_certificate' : 'no_certificate' });
      this.deps.logger.info(
        { listener: label, remote: s.remoteAddress, error: s.authorizationError },
        'client certificate refused',
      );
      s.destroy();
      return false;
    }
    return true;
  }

  #accept(r: Running, label: string, stream: Duplex, remote: string): void {
    const m = this.deps.broker.metrics;
    this.#streams.add(stream);
    stream.once('close', () => this.#streams.delete(stream));
    const refuse = r.open >= r.max;
    r.open++;
    m.connections.inc({ listener: label, protocol: 'mqtt' });
    m.connectionsTotal.inc({ listener: label, protocol: 'mqtt' });
    const conn = new Connection(stream, remote, {
      listener: label,
      broker: this.deps.broker,
      access: this.deps.access,
      logger: this.deps.logger,
      authMethods: this.deps.access.enhancedAuthMethods ?? [],
      refuse,
      onClose: (c) => {
        r.open--;
        m.connections.dec({ listener: label, protocol: 'mqtt' });
        this.connections.delete(c);
      },
    });
    this.connections.add(conn);
  }

  #sweepTimeouts(): void {
    const now = Date.now();
    const idle = this.deps.broker.options.idle_timeout;
    for (const conn of this.connections) {
      if (conn.state === 'awaiting_connect' && now - conn.openedAt > idle) {
        this.deps.broker.metrics.refused.inc({ listener: conn.env.listener, reason: 'connect_timeout' });
        conn.close();
      } else if (
        conn.state === 'connected' &&
        conn.keepAliveMs > 0 &&
        !conn.readingPaused &&
        now - conn.lastRx > conn.keepAliveMs
      ) {
        // [MQTT-3.1.2-24] no packet within 1.5 × Keep Alive (not counted while the broker itself is not reading)
        conn.disconnect(RC.KEEP_ALIVE_TIMEOUT, 'keepalive_timeout');
      }
    }
  }
}
