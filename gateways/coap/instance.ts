/**
 * IO of one CoAP gateway instance: a UDP socket (IPv4, or IPv6 dual-stack when bound to an IPv6 address) feeding
 * the CoapEndpoint, and the one timer that drives its retransmissions and expiries. Constructors do no I/O;
 * start()/stop() are idempotent and bounded.
 */
import { Subject, type Observable } from 'rxjs';
import {
  StateError,
  type ClientGatewayContext,
  type ClientGatewayInstance,
  type InstanceHealth,
} from '../../src/gateway/index.js';
import { CoapEndpoint } from './endpoint.js';
import { dtlsListenerFor } from './dtls-gateway.js';
import { isDtlsPeer, type DtlsListener } from './dtls-listener.js';
import { reportTables } from './state-tables.js';
import { guarded } from './guard.js';
import { UdpSocket } from './udp-socket.js';
import type { CoapConfig } from './schema.js';

const TICK_MS = 50;
/** How often the state table sizes are published as gauges. */
const TABLES_MS = 1000;

export class CoapGateway implements ClientGatewayInstance {
  private socket?: UdpSocket;
  private dtls?: DtlsListener;
  private timer?: ReturnType<typeof setInterval>;
  private tablesTimer?: ReturnType<typeof setInterval>;
  private endpoint?: CoapEndpoint;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private readonly failures = new Subject<never>();
  readonly failure$: Observable<never> = this.failures.asObservable();

  constructor(
    private readonly config: CoapConfig,
    private readonly ctx: ClientGatewayContext,
  ) {}

  /** The UDP port actually bound (after start; useful when configured with port 0). */
  get port(): number | undefined {
    return this.socket?.port;
  }

  /** The DTLS UDP port actually bound, when dtls.enable. */
  get dtlsPort(): number | undefined {
    return this.dtls?.port;
  }

  async start(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting') return;
    if (this.state === 'stopped') throw new StateError('PH_STATE_STOPPED', `${this.ctx.id} was stopped`);
    this.state = 'starting';
    const { host, port } = this.config.bind;
    const endpoint = new CoapEndpoint(this.config, {
      devices: this.ctx.devices,
      send: (peer, bytes) => (isDtlsPeer(peer.key) ? this.dtls : this.socket)?.send(peer, bytes),
      metrics: this.ctx.metrics,
      logger: this.ctx.logger,
      now: () => Date.now(),
    });
    this.endpoint = endpoint;
    // before any socket is bound: a bad certificate or key fails the start cleanly
    const dtls = dtlsListenerFor(this.config, endpoint, this.ctx);
    this.socket = await UdpSocket.bind({
      host,
      port,
      maxDatagramSize: this.config.max_datagram_size,
      socketBuffer: this.config.socket_buffer,
      bindErrorCode: 'PH_COAP_BIND',
      metrics: this.ctx.metrics,
      logger: this.ctx.logger,
      onDatagram: (peer, bytes) => endpoint.receive(peer, bytes),
      onOversized: (peer, bytes) => endpoint.oversized(peer, bytes),
    });
    if (dtls) {
      try {
        await dtls.start();
      } catch (err) {
        await this.socket.close();
        this.socket = undefined;
        throw err;
      }
      this.dtls = dtls;
    }
    this.timer = setInterval(
      guarded('tick', this.ctx, () => endpoint.tick()),
      TICK_MS,
    );
    this.timer.unref();
    this.tablesTimer = setInterval(() => reportTables(endpoint, this.ctx.metrics), TABLES_MS);
    this.tablesTimer.unref();
    this.state = 'running';
    this.ctx.logger.info(
      { bind: `${host}:${this.port}`, ...(dtls ? { dtls: `${this.config.dtls.bind.host}:${dtls.port}` } : {}) },
      'CoAP gateway listening',
    );
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    if (this.tablesTimer) clearInterval(this.tablesTimer);
    this.endpoint?.close();
    if (this.endpoint) reportTables(this.endpoint, this.ctx.metrics);
    const socket = this.socket;
    this.socket = undefined;
    await socket?.close();
    await this.dtls?.stop();
    this.failures.complete();
  }

  health(): InstanceHealth {
    const stats = this.endpoint?.stats();
    return {
      connection: this.state === 'running' ? 'listening' : 'closed',
      peers: stats?.clients ?? 0,
      ...(this.socket?.lastError ? { lastError: this.socket.lastError } : {}),
    };
  }
}
