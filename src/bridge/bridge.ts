/**
 * One upstream bridge: forwards local messages through the durable cache to the upstream, brings subscribed
 * upstream messages down, and reports its state. Delivery chain, each step acknowledged only after the next
 * one holds the message: broker session → cache commit → upstream PUBACK → row deleted. With the SQLite cache
 * the session is a durable consumer: the cache row is the only copy written, and the local publisher's PUBACK
 * waits for the ack that follows the cache commit.
 */
import type { IConnackPacket, MqttClient } from 'mqtt';
import type { Subscription } from 'rxjs';
import type { BrokerApi, Delivery } from '../broker/api.js';
import { envelope } from '../envelope.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { BoundedCache } from './bounded-cache.js';
import { BridgeMetrics } from './bridge-metrics.js';
import type { CacheBackend, OutboundMessage } from './cache-types.js';
import { loadTlsMaterial, statusPayload, statusTopic } from './client-options.js';
import { Downlink } from './downlink.js';
import { Drainer } from './drainer.js';
import { DrainPublisher } from './fast-publish.js';
import { ForwardRouter } from './forward-router.js';
import type { BridgeConfig } from './schema.js';
import { UpstreamLink, type LinkState } from './upstream-link.js';

/** Deliveries the broker may hand us before we ack; acks come once per event-loop turn after the cache commit. */
const SESSION_RECEIVE_MAXIMUM = 1024;
const STATUS_INTERVAL_MS = 5000;
const CACHE_RETRY_MS = 1000;

export interface BridgeStatus {
  name: string;
  state: LinkState;
  server?: string;
  /** ISO time of the next connect attempt while in backoff. */
  nextAttemptAt?: string;
  backlog: number;
  backlogBytes: number;
  oldestAgeSeconds: number;
  inflight: number;
  sent: number;
  acked: number;
  dropped: number;
  received: number;
  lastError?: string;
  /** Draining to the upstream paused by an operator (HTTP API); forwards are still cached. */
  paused: boolean;
}

export interface BridgeDeps {
  name: string;
  config: BridgeConfig;
  broker: BrokerApi;
  cache: CacheBackend;
  nodeName: string;
  logger: Logger;
  metrics: Metrics;
}

export class Bridge {
  readonly name: string;
  readonly clientId: string;
  readonly #d: BridgeDeps;
  readonly #cache: BoundedCache;
  readonly #stats: BridgeMetrics;
  readonly #router: ForwardRouter;
  readonly #drainer: Drainer;
  #link?: UpstreamLink;
  #downlink?: Downlink;
  #session?: Subscription;
  #pending: Array<{ msg: OutboundMessage; delivery: Delivery }> = [];
  #flushScheduled = false;
  #retryTimer?: NodeJS.Timeout;
  #statusTimer?: NodeJS.Timeout;
  #lastStatusJson = '';
  #lastError?: string;
  #running = false;
  #cacheOpen = false;
  #paused = false;
  /** Attaches the drainer to the current upstream connection; undefined while disconnected. */
  #attach?: () => void;

  constructor(d: BridgeDeps) {
    this.#d = d;
    this.name = d.name;
    this.clientId = `$hub/bridge/${d.name}`;
    const c = d.config.cache;
    this.#cache = new BoundedCache(d.cache, {
      maxMessages: c.max_messages,
      maxBytes: c.max_bytes,
      overflow: c.overflow,
    });
    this.#stats = new BridgeMetrics(d.metrics, d.name);
    this.#router = new ForwardRouter(d.config, d.name, d.nodeName);
    this.#drainer = new Drainer(this.#cache, {
      sent: () => this.#stats.sent(),
      acked: () => this.#stats.acked(),
      discarded: (msg, reason, err) => {
        this.#stats.dropped(reason);
        if (err) this.#error(`upstream rejected ${msg.topic}: ${err.message}`);
      },
      error: (err) => this.#error(`cache delete failed: ${err.message}`),
    });
  }

  async start(): Promise<void> {
    if (this.#running) return;
    const { config: cfg, logger } = this.#d;
    const tls = loadTlsMaterial(cfg);
    this.#d.cache.open();
    this.#cacheOpen = true;
    this.#running = true;
    this.#downlink = new Downlink({
      cfg,
      bridge: this.name,
      nodeName: this.#d.nodeName,
      clientId: this.clientId,
      broker: this.#d.broker,
      metrics: this.#stats,
      logger,
      onError: (m) => this.#error(m),
    });
    this.#link = new UpstreamLink(
      cfg,
      this.name,
      this.#d.nodeName,
      tls,
      {
        prepare: (client) => {
          client.handleMessage = (packet, done) => this.#downlink!.handle(packet, done);
        },
        connected: (client, connack, server) => this.#onConnected(client, connack, server),
        disconnected: () => {
          this.#attach = undefined;
          this.#drainer.detach();
        },
        stateChanged: () => this.#onStateChanged(),
      },
      logger,
    );
    if (this.#router.filters.length > 0) {
      this.#session = this.#d.broker
        .session$({
          clientId: this.clientId,
          persistent: true,
          // the SQLite cache is the one durable copy: no broker rows, the publisher's PUBACK waits for our ack
          // (after the cache commit). A memory cache promises nothing durable, so its publishers do not wait.
          durableConsumer: this.#d.cache.kind === 'sqlite',
          receiveMaximum: SESSION_RECEIVE_MAXIMUM,
          // no-local: what this bridge published locally (commands from upstream) is never offered back to it
          subscriptions: this.#router.filters.map((filter) => ({
            filter,
            qos: this.#router.subscriptionQos(filter),
            noLocal: true,
            retainAsPublished: true,
          })),
        })
        .subscribe({
          next: (d) => this.#onDelivery(d),
          error: (err: Error) => this.#error(`local session failed: ${err.message}`),
        });
    }
    this.#link.start();
    this.#statusTimer = setInterval(() => this.#refreshStatus(), STATUS_INTERVAL_MS);
    this.#statusTimer.unref?.();
    this.#refreshStatus();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#statusTimer);
    clearTimeout(this.#retryTimer);
    // commit and ack what the broker already handed us while the session is still attached (an ack after
    // detaching is ignored, and the broker would hand the batch over again after a restart)
    this.#flush();
    this.#session?.unsubscribe();
    this.#session = undefined;
    const cfg = this.#d.config;
    await this.#link?.stop(async (client) => {
      if (!cfg.status.enable) return;
      // a clean DISCONNECT suppresses the will ([MQTT-3.1.2-10]), so say "offline" ourselves
      await publishBounded(
        client,
        statusTopic(cfg, this.#d.nodeName),
        statusPayload(this.#d.nodeName, this.name, false),
        cfg.status.qos,
      );
    });
    this.#drainer.detach();
    this.#drainer.flushDeletes();
    this.#publishStatus(true);
    this.#d.cache.close();
    this.#cacheOpen = false;
  }

  /**
   * Stop sending to the upstream while staying connected: forwards keep going into the cache (bounded by its
   * limits and overflow policy). Messages in flight when pausing are sent again on resume (at least once).
   */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#drainer.detach();
    this.#refreshStatus();
  }

  /** Drain again: everything cached and not acknowledged is sent from the oldest, as after a reconnect. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#attach?.();
    this.#refreshStatus();
  }

  status(): BridgeStatus {
    const link = this.#link;
    const s = this.#stats.totals;
    return {
      name: this.name,
      state: link?.state ?? 'stopped',
      server: link?.server,
      nextAttemptAt:
        link?.state === 'backoff' && link.nextAttemptAt ? new Date(link.nextAttemptAt).toISOString() : undefined,
      backlog: this.#cacheOpen ? this.#cache.count : 0,
      backlogBytes: this.#cacheOpen ? this.#cache.bytes : 0,
      oldestAgeSeconds: this.#cacheOpen ? this.#cache.oldestAgeSeconds() : 0,
      inflight: this.#drainer.inflight.size,
      sent: s.sent,
      acked: s.acked,
      dropped: s.dropped,
      received: s.received,
      lastError: link?.lastError ?? this.#lastError,
      paused: this.#paused,
    };
  }

  #onDelivery(d: Delivery): void {
    const env = d.envelope;
    if (env.origin?.bridge === this.name) {
      this.#stats.dropped('loop'); // came down this bridge: never back up it
      return d.ack();
    }
    let msg: OutboundMessage | undefined;
    try {
      msg = this.#router.route(env, d.qos);
    } catch (err) {
      this.#stats.dropped('unroutable');
      this.#error((err as Error).message);
      return d.ack();
    }
    if (!msg) return d.ack();
    if (msg.qos === 0 && !this.#d.config.cache.qos0) {
      const client = this.#link?.client;
      if (!this.#drainer.attached || !client) this.#stats.dropped('qos0_offline');
      else if (client.stream?.writableNeedDrain)
        this.#stats.dropped('qos0_backpressure'); // never queue QoS 0 without bound
      else {
        client.publish(msg.topic, msg.payload, { qos: 0, retain: msg.retain, properties: msg.properties });
        this.#stats.sent();
      }
      return d.ack();
    }
    this.#pending.push({ msg, delivery: d });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // one transaction per event-loop turn for everything delivered in it
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const batch = this.#pending.splice(0);
    let dropped: number;
    try {
      dropped = this.#cache.append(
        batch.map((b) => b.msg),
        this.#drainer.protectedSeqs(),
      ).dropped;
    } catch (err) {
      // not committed, so not acked: keep them and retry; the session window applies back-pressure meanwhile
      this.#error(`cache write failed: ${(err as Error).message}`);
      this.#pending.unshift(...batch);
      if (this.#running) this.#retryTimer = setTimeout(() => this.#flush(), CACHE_RETRY_MS);
      return;
    }
    for (const b of batch) b.delivery.ack();
    if (dropped > 0) {
      this.#stats.dropped('overflow', dropped);
      this.#drainer.invalidate();
    }
    this.#drainer.pump();
  }

  #onConnected(client: MqttClient, connack: IConnackPacket, server: string): void {
    const cfg = this.#d.config;
    this.#lastError = undefined;
    this.#downlink!.subscribe(client, connack.sessionPresent);
    if (cfg.status.enable) {
      client.publish(statusTopic(cfg, this.#d.nodeName), statusPayload(this.#d.nodeName, this.name, true), {
        qos: cfg.status.qos,
        retain: true,
      });
    }
    // [MQTT-3.3.4-9] never more unacknowledged QoS>0 PUBLISHes than the server's Receive Maximum
    const window = Math.min(cfg.max_inflight, connack.properties?.receiveMaximum ?? 65535);
    // MQTT.js leaves Nagle on: a window's PUBLISHes must not wait for the TCP ack of the previous write
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    // one encoded buffer per PUBLISH and one socket write per tick, MQTT.js still handling the acks
    const publisher = new DrainPublisher(client);
    this.#attach = () => this.#drainer.attach((msg, done) => publisher.publish(msg, done), window);
    if (!this.#paused) this.#attach();
    this.#d.logger.debug({ server, window, backlog: this.#cache.count }, 'bridge draining');
  }

  #onStateChanged(): void {
    if (this.#link) this.#stats.state(this.#link.state);
    this.#refreshStatus();
  }

  #error(message: string): void {
    this.#lastError = message;
    this.#d.logger.warn({ err: message }, 'bridge error');
  }

  #refreshStatus(): void {
    if (!this.#running) return;
    this.#stats.backlog(this.#cache.count, this.#cache.bytes, this.#cache.oldestAgeSeconds());
    this.#publishStatus(false);
  }

  /** Retained `$hub/bridges/<name>/status`, published when something other than the age changed. */
  #publishStatus(force: boolean): void {
    const { oldestAgeSeconds: _age, ...rest } = this.status();
    const json = JSON.stringify(rest);
    if (!force && json === this.#lastStatusJson) return;
    this.#lastStatusJson = json;
    const env = envelope(`$hub/bridges/${this.name}/status`, JSON.stringify(this.status()), {
      qos: 0,
      retain: true,
      origin: { bridge: this.name, clientId: this.clientId },
    });
    this.#d.broker.publish(env, { clientId: this.clientId }).catch(() => undefined); // a stopped broker has no one to tell
  }
}

function publishBounded(client: MqttClient, topic: string, payload: Buffer, qos: 0 | 1 | 2, ms = 1000): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    client.publish(topic, payload, { qos, retain: true }, () => {
      clearTimeout(t);
      resolve();
    });
  });
}
