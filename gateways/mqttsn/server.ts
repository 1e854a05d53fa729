/**
 * The thin UDP IO layer of the MQTT-SN gateway: one node:dgram socket (IPv4 or IPv6 from `bind`), datagrams into
 * the sans-IO SnGateway, its effects out (datagrams, broker actions, counters, debug logs), and one periodic
 * timer that drives the time-based steps. The broker side is a callback (`onAction`) and a method
 * (`brokerEvent`), both carrying the plain data of broker-port.ts.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { GatewayError, type GatewayMetrics, type InstanceHealth, type Logger } from '../../src/gateway/index.js';
import type { BrokerAction, BrokerEvent } from './broker-port.js';
import { SnGateway, type Effect } from './gateway.js';
import type { MqttSnConfig } from './schema.js';

export interface MqttSnServerOptions {
  readonly config: MqttSnConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** Every broker action, synchronously and in order. Must not throw. */
  readonly onAction: (action: BrokerAction) => void;
  /** The clock (ms); tests may pass their own. */
  readonly now?: () => number;
}

/** `host:port` / `[v6]:port` → parts. */
export function parsePeer(peer: string): { host: string; port: number } {
  const i = peer.lastIndexOf(':');
  const host = peer.slice(0, i);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(peer.slice(i + 1)) };
}

/**
 * Peers are IP literals (from rinfo): answer them without dns.lookup, which dgram otherwise calls on every
 * send (a measurable share of the per-datagram cost). Names (advertise.address) still resolve.
 */
const ipLiteralLookup = ((hostname: string, options: unknown, callback: (...a: unknown[]) => void) => {
  const family = isIP(hostname);
  if (family !== 0) return process.nextTick(callback, null, hostname, family);
  return dnsLookup(hostname, options as never, callback as never);
}) as unknown as typeof dnsLookup;

export const peerKey = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

export class MqttSnServer {
  readonly #opts: MqttSnServerOptions;
  readonly #now: () => number;
  readonly core: SnGateway;
  #socket?: Socket;
  #timer?: NodeJS.Timeout;
  #starting?: Promise<void>;
  #lastError?: string;
  #peers = -1;
  /** Sends still in flight while stopping (the DISCONNECTs); only counted then, not per PUBACK. */
  #stopping = false;
  #unsent = 0;
  #drained?: () => void;
  readonly #sent = (): void => {
    if (--this.#unsent === 0) this.#drained?.();
  };
  /**
   * The peer key of the last address seen on each UDP port: a datagram from a known peer reuses its key string
   * (built and hashed once) instead of building `host:port` and hashing it again for every table lookup.
   */
  readonly #keys = new Map<number, { host: string; key: string }>();
  /** `host:port` → parts, for the peers datagrams go to (one parse per peer, not per datagram); bounded. */
  readonly #routes = new Map<string, { host: string; port: number }>();

  constructor(opts: MqttSnServerOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.core = new SnGateway(opts.config);
  }

  start(): Promise<void> {
    this.#starting ??= this.#bind().catch((err: unknown) => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  async #bind(): Promise<void> {
    const { host, port } = this.#opts.config.bind;
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', lookup: ipLiteralLookup });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) =>
        reject(new GatewayError('PH_MQTTSN_BIND', `cannot bind UDP ${host}:${port}: ${err.message}`, { cause: err })),
      );
      socket.bind(port, host, () => resolve());
    });
    socket.removeAllListeners('error');
    socket.on('error', (err) => {
      // a send to an unreachable peer surfaces here on some platforms; the gateway keeps serving the others
      this.#lastError = err.message;
      this.#opts.logger.warn({ err }, 'mqttsn socket error');
    });
    socket.on('message', (msg, rinfo) => this.#datagram(msg, this.#peerKey(rinfo.address, rinfo.port)));
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024); // bursts of many small sensors; best effort
    } catch {
      // the OS may cap it; the default still works
    }
    this.#socket = socket;
    const period = Math.max(20, Math.min(500, Math.floor(this.#opts.config.retry.interval / 4)));
    this.#timer = setInterval(() => this.#apply(this.core.tick(this.#now())), period);
    this.#timer.unref();
    this.#apply(this.core.tick(this.#now())); // first ADVERTISE right away when enabled
    this.#opts.logger.info({ host, port: socket.address().port }, 'mqttsn gateway listening');
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    this.#stopping = true;
    this.#apply(this.core.shutdown());
    clearInterval(this.#timer);
    // let the DISCONNECTs leave before the socket closes (bounded: a datagram send never waits on the peer)
    if (this.#unsent > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        setTimeout(resolve, 1000).unref();
      });
    }
    this.#socket = undefined;
    this.#starting = undefined;
    this.#stopping = false;
    this.#routes.clear();
    this.#keys.clear();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.#opts.metrics.peers(0);
  }

  /** Feed one broker event (answer to an action, or a delivery). */
  brokerEvent(event: BrokerEvent): void {
    this.#apply(this.core.broker(event, this.#now()));
  }

  address(): { address: string; port: number } | undefined {
    return this.#socket?.address();
  }

  health(): InstanceHealth {
    return {
      connection: this.#socket ? 'listening' : 'closed',
      peers: this.core.clients,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  #datagram(msg: Buffer, peer: string): void {
    let fx: Effect[];
    try {
      fx = this.core.datagram(peer, msg, this.#now());
    } catch (err) {
      // a defect, never bad input (that is a drop effect): keep serving, log it loudly, count it
      this.#opts.logger.error({ err, peer }, 'mqttsn gateway failed on a datagram');
      this.#opts.metrics.dropped('internal_error');
      return;
    }
    this.#apply(fx);
  }

  #peerKey(host: string, port: number): string {
    const known = this.#keys.get(port);
    if (known && known.host === host) return known.key;
    if (this.#keys.size >= 2 * this.#opts.config.limits.max_clients + 1024) this.#keys.clear();
    const key = peerKey(host, port);
    this.#keys.set(port, { host, key });
    return key;
  }

  #route(peer: string): { host: string; port: number } {
    let to = this.#routes.get(peer);
    if (!to) {
      // peers come and go (sleepers move, junk senders get an answer): start over rather than grow without bound
      if (this.#routes.size >= 2 * this.#opts.config.limits.max_clients + 1024) this.#routes.clear();
      this.#routes.set(peer, (to = parsePeer(peer)));
    }
    return to;
  }

  #apply(fx: Effect[]): void {
    const m = this.#opts.metrics;
    for (const e of fx) {
      switch (e.kind) {
        case 'send': {
          const socket = this.#socket;
          if (socket) {
            const to = this.#route(e.peer);
            if (this.#stopping) {
              this.#unsent++;
              socket.send(e.datagram, to.port, to.host, this.#sent);
            } else socket.send(e.datagram, to.port, to.host);
          }
          if (e.frame.type === 'PUBLISH' && !e.frame.flags.dup) m.message('downlink', e.frame.data.length);
          break;
        }
        case 'broker':
          if (e.action.type === 'publish') m.message('uplink', e.action.payload.length);
          else if (e.action.type === 'connect') m.socketEvent('connect');
          else if (e.action.type === 'close') m.socketEvent(`close_${e.action.reason}`);
          this.#opts.onAction(e.action);
          break;
        case 'drop':
          m.dropped(e.reason);
          this.#opts.logger.debug({ peer: e.peer, reason: e.reason, detail: e.detail }, 'mqttsn input refused');
          break;
        case 'event':
          m.socketEvent(e.event);
          this.#opts.logger.debug({ peer: e.peer, detail: e.detail }, `mqttsn ${e.event}`);
          break;
      }
    }
    if (this.core.clients !== this.#peers) m.peers((this.#peers = this.core.clients));
  }
}
