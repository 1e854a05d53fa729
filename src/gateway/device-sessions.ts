/**
 * The DeviceSessions of one client gateway instance: BrokerApi.connectDevice with the instance's protocol, id,
 * mountpoint, allow_anonymous and queue settings applied, and the set of sessions it opened so the supervisor
 * can end the ones a stopped instance left behind.
 */
import type { BrokerApi, DeviceConnectResult, DevicePublish, DeviceSession } from '../broker/api.js';
import { mountpoint } from '../broker/mountpoint.js';
import { envelope } from '../envelope.js';
import { AuthError } from '../errors.js';
import type { DeviceConnect, DeviceSessions } from './client-spi.js';
import type { ClientGatewayConfigBase } from './client-schema.js';
import type { GatewayMetrics } from './metrics.js';

export class InstanceDeviceSessions implements DeviceSessions {
  readonly #open = new Set<DeviceSession>();

  constructor(
    private readonly broker: BrokerApi,
    private readonly protocol: string,
    private readonly id: string,
    private readonly config: ClientGatewayConfigBase,
    private readonly metrics: GatewayMetrics,
  ) {}

  get connected(): number {
    this.#prune();
    return this.#open.size;
  }

  async connect(req: DeviceConnect): Promise<DeviceConnectResult> {
    const c = this.config;
    const r = await this.broker.connectDevice({
      ...req,
      protocol: this.protocol,
      gateway: this.id,
      mountpoint: c.mountpoint || undefined,
      allowAnonymous: c.allow_anonymous,
      inflightWindow: c.inflight_window,
      queue: { maxMessages: c.max_mqueue_len, maxBytes: c.max_mqueue_bytes, overflow: c.mqueue_overflow },
    });
    if (r.ok) {
      this.#prune();
      this.#open.add(r.session);
      this.metrics.peers(this.#open.size);
    }
    return r;
  }

  publishUnconnected(msg: DevicePublish & { peerAddress: string }): Promise<void> {
    if (this.config.allow_anonymous === false)
      return Promise.reject(new AuthError('PH_AUTH_NOT_AUTHORIZED', 'allow_anonymous = false on this gateway'));
    const mp = mountpoint(this.config.mountpoint || undefined);
    const env = envelope(mp.mount(msg.topic), msg.payload, {
      qos: msg.qos,
      retain: msg.retain,
      properties: msg.properties,
      origin: { gateway: this.id, peer: msg.peerAddress },
    });
    return this.broker.publish(env, { clientId: '', authorize: true, remoteAddress: msg.peerAddress });
  }

  /** End what the instance left open: a lost device, as TCP clients are when the hub stops (will published). */
  loseAll(reason: string): void {
    for (const s of this.#open) if (!s.closed) s.lose(reason);
    this.#open.clear();
    this.metrics.peers(0);
  }

  #prune(): void {
    for (const s of this.#open) if (s.closed) this.#open.delete(s);
  }
}
