/**
 * IO of one CoAP gateway instance: a UDP socket (IPv4, or IPv6 dual-stack when bound to an IPv6 address) feeding
 * the CoapEndpoint, and the one timer that drives its retransmissions and expiries. Constructors do no I/O;
 * start()/stop() are idempotent and bounded.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Subject, type Observable } from 'rxjs';
import {
  GatewayError,
  StateError,
  type ClientGatewayContext,
  type ClientGatewayInstance,
  type InstanceHealth,
} from '../../src/gateway/index.js';
import { peerAddress, type PeerAddress } from './channel.js';
import { CoapEndpoint } from './endpoint.js';
import type { CoapConfig } from './schema.js';

const TICK_MS = 50;

export class CoapGateway implements ClientGatewayInstance {
  private socket?: Socket;
  private timer?: ReturnType<typeof setInterval>;
  private endpoint?: CoapEndpoint;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private lastError?: string;
  private readonly failures = new Subject<never>();
  readonly failure$: Observable<never> = this.failures.asObservable();

  constructor(
    private readonly config: CoapConfig,
    private readonly ctx: ClientGatewayContext,
  ) {}

  /** The UDP port actually bound (after start; useful when configured with port 0). */
  get port(): number | undefined {
    return this.socket?.address().port;
  }

  async start(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting') return;
    if (this.state === 'stopped') throw new StateError('PH_STATE_STOPPED', `${this.ctx.id} was stopped`);
    this.state = 'starting';
    const { host, port } = this.config.bind;
    const ipv6 = host.includes(':');
    const socket = createSocket({ type: ipv6 ? 'udp6' : 'udp4', ipv6Only: false, reuseAddr: false });
    this.socket = socket;
    const endpoint = new CoapEndpoint(this.config, {
      devices: this.ctx.devices,
      send: (peer, bytes) => this.send(peer, bytes),
      metrics: this.ctx.metrics,
      logger: this.ctx.logger,
      now: () => Date.now(),
    });
    this.endpoint = endpoint;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) =>
        reject(new GatewayError('PH_COAP_BIND', `cannot bind UDP ${host}:${port}: ${err.message}`, { cause: err })),
      );
      socket.bind({ address: host, port }, () => resolve());
    });
    socket.removeAllListeners('error');
    try {
      socket.setRecvBufferSize(this.config.socket_buffer);
      socket.setSendBufferSize(this.config.socket_buffer);
    } catch (err) {
      this.ctx.logger.warn({ err }, 'CoAP gateway: cannot set the UDP socket buffer size');
    }
    socket.on('error', (err) => {
      // A socket error after bind (e.g. ICMP port unreachable reported on some platforms) is counted, not fatal.
      this.lastError = err.message;
      this.ctx.metrics.socketEvent('socket_error');
    });
    socket.on('message', (msg, rinfo) => {
      if (msg.length > this.config.max_datagram_size)
        return endpoint.oversized(peerAddress(rinfo.address, rinfo.port), msg);
      endpoint.receive(peerAddress(rinfo.address, rinfo.port), msg);
    });
    this.timer = setInterval(() => endpoint.tick(), TICK_MS);
    this.timer.unref();
    this.state = 'running';
    this.ctx.logger.info({ bind: `${host}:${this.port}` }, 'CoAP gateway listening');
  }

  private send(peer: PeerAddress, bytes: Buffer): void {
    if (bytes.length > this.config.max_datagram_size) {
      this.ctx.metrics.dropped('datagram_too_large');
      return;
    }
    this.socket?.send(bytes, peer.port, peer.address);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.endpoint?.close();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.failures.complete();
  }

  health(): InstanceHealth {
    const stats = this.endpoint?.stats();
    return {
      connection: this.state === 'running' ? 'listening' : 'closed',
      peers: stats?.clients ?? 0,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}
