/**
 * IO of one LwM2M gateway instance: a UDP socket feeding the Lwm2mEndpoint, the object definitions loaded at
 * start, and one timer driving retransmissions, timeouts, queue-mode flushes and lifetime expiry. Constructors do
 * no I/O; start()/stop() are idempotent and bounded.
 */
import { Subject, type Observable } from 'rxjs';
import {
  GatewayError,
  StateError,
  type ClientGatewayContext,
  type ClientGatewayInstance,
  type DeviceManagement,
  type InstanceHealth,
} from '../../src/gateway/index.js';
import { UdpSocket } from '../coap/index.js';
import { Lwm2mEndpoint, type EndpointInfo } from './endpoint.js';
import { ObjectRegistry } from './objects.js';
import type { Lwm2mConfig } from './schema.js';

const TICK_MS = 100;

export class Lwm2mGateway implements ClientGatewayInstance {
  private socket?: UdpSocket;
  private timer?: ReturnType<typeof setInterval>;
  private endpoint?: Lwm2mEndpoint;
  /** The object definitions loaded at start (the HTTP API's discover lookup names resources by them). */
  private objects?: ObjectRegistry;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private readonly failures = new Subject<never>();
  readonly failure$: Observable<never> = this.failures.asObservable();

  constructor(
    private readonly config: Lwm2mConfig,
    private readonly ctx: ClientGatewayContext,
  ) {}

  get port(): number | undefined {
    return this.socket?.port;
  }

  async start(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting') return;
    if (this.state === 'stopped') throw new StateError('PH_STATE_STOPPED', `${this.ctx.id} was stopped`);
    this.state = 'starting';
    let objects: ObjectRegistry;
    try {
      objects = ObjectRegistry.load(this.config.object_dirs);
    } catch (err) {
      throw new GatewayError('PH_LWM2M_OBJECTS', `${this.ctx.id}: ${(err as Error).message}`, { cause: err });
    }
    const { host, port } = this.config.bind;
    this.objects = objects;
    const endpoint = new Lwm2mEndpoint(this.config, objects, {
      devices: this.ctx.devices,
      send: (peer, bytes) => this.socket?.send(peer, bytes),
      metrics: this.ctx.metrics,
      logger: this.ctx.logger,
      now: () => Date.now(),
    });
    this.endpoint = endpoint;
    this.socket = await UdpSocket.bind({
      host,
      port,
      maxDatagramSize: this.config.max_datagram_size,
      bindErrorCode: 'PH_LWM2M_BIND',
      metrics: this.ctx.metrics,
      logger: this.ctx.logger,
      onDatagram: (peer, bytes) => endpoint.receive(peer, bytes),
    });
    this.timer = setInterval(() => endpoint.tick(), TICK_MS);
    this.timer.unref();
    this.state = 'running';
    this.ctx.logger.info({ bind: `${host}:${this.port}`, objects: objects.size }, 'LwM2M server listening');
  }

  /** What the HTTP API calls (routes in src/http/routes/lwm2m.ts). */
  readonly management: DeviceManagement = {
    list: () => this.list(),
    command: (ep, command) => this.command(ep, command),
    describe: (path) => {
      const ids = /^\/(\d+)\/\d+\/(\d+)(?:\/\d+)?$/.exec(path);
      const r = ids ? this.objects?.resource(Number(ids[1]), Number(ids[2])) : undefined;
      if (!r) return undefined;
      return r.operations === 'E'
        ? { name: r.name, operations: r.operations }
        : { name: r.name, operations: r.operations, dataType: r.type };
    },
  };

  /** Registered endpoints (for the HTTP API; empty before start). */
  list(): EndpointInfo[] {
    return this.endpoint?.list() ?? [];
  }

  /** Runs one EMQX-shaped command on an endpoint; undefined when it is not registered (HTTP API: 404). */
  command(ep: string, command: unknown): Promise<Record<string, unknown>> | undefined {
    return this.endpoint?.command(ep, command);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.endpoint?.close();
    const socket = this.socket;
    this.socket = undefined;
    await socket?.close();
    this.failures.complete();
  }

  health(): InstanceHealth {
    return {
      connection: this.state === 'running' ? 'listening' : 'closed',
      peers: this.endpoint?.registered ?? 0,
      ...(this.socket?.lastError ? { lastError: this.socket.lastError } : {}),
    };
  }
}
