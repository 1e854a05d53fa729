/**
 * The connection to the upstream: one MQTT.js client per attempt, servers tried in turn, exponential backoff
 * with jitter between failed attempts. A lost connection moves on to the next server at once (failover);
 * backoff starts when that fails too. The link owns no messages: it tells the bridge when a client is ready.
 */
import mqtt, { type IConnackPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../logger.js';
import { backoffDelay } from '../backoff.js';
import { clientOptions, type TlsMaterial } from './client-options.js';
import type { BridgeConfig } from './schema.js';

const reconnectBackoff = (r: BridgeConfig['reconnect']) => ({
  initialMs: r.initial,
  maxMs: r.max,
  multiplier: r.multiplier,
  jitter: r.jitter,
});

export type LinkState = 'stopped' | 'connecting' | 'connected' | 'backoff';

export interface LinkHandlers {
  connected(client: MqttClient, connack: IConnackPacket, server: string): void;
  disconnected(): void;
  stateChanged(): void;
  /** Install per-client hooks (e.g. handleMessage) before the CONNECT goes out. */
  prepare(client: MqttClient): void;
}

export class UpstreamLink {
  state: LinkState = 'stopped';
  server?: string;
  nextAttemptAt?: number;
  lastError?: string;
  client?: MqttClient;
  #serverIndex = 0;
  #failures = 0;
  #timer?: NodeJS.Timeout;
  #generation = 0;

  constructor(
    private readonly cfg: BridgeConfig,
    private readonly name: string,
    private readonly nodeName: string,
    private readonly tls: TlsMaterial,
    private readonly handlers: LinkHandlers,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.state !== 'stopped') return;
    this.#attempt();
  }

  /** Close the connection; `beforeClose` may publish a last message (bounded by the caller). */
  async stop(beforeClose?: (client: MqttClient) => Promise<void>): Promise<void> {
    this.#generation++;
    clearTimeout(this.#timer);
    const client = this.client;
    const wasConnected = this.state === 'connected';
    this.client = undefined;
    this.#setState('stopped');
    if (!client) return;
    if (wasConnected && beforeClose) await beforeClose(client).catch(() => undefined);
    if (wasConnected) this.handlers.disconnected();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.end(true);
        resolve();
      }, 2000);
      client.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  #setState(s: LinkState): void {
    if (this.state === s) return;
    this.state = s;
    if (s !== 'backoff') this.nextAttemptAt = undefined;
    this.handlers.stateChanged();
  }

  #attempt(): void {
    const gen = ++this.#generation;
    const url = this.cfg.servers[this.#serverIndex % this.cfg.servers.length];
    this.server = url;
    this.#setState('connecting');
    let client: MqttClient;
    try {
      client = mqtt.connect(url, clientOptions(this.cfg, this.name, this.nodeName, url, this.tls));
    } catch (err) {
      // MQTT.js refuses some option combinations synchronously: count it as a failed attempt, never a crash
      this.lastError = (err as Error).message;
      this.#serverIndex++;
      this.#scheduleRetry(false);
      return;
    }
    this.client = client;
    let connected = false;
    const fail = (why: string) => {
      if (gen !== this.#generation) return;
      this.#generation++;
      this.lastError = why;
      client.removeAllListeners();
      client.on('error', () => undefined); // late socket errors of a discarded client must not crash the hub
      client.end(true);
      this.client = undefined;
      if (connected) this.handlers.disconnected();
      this.#serverIndex++;
      this.#scheduleRetry(connected);
    };
    client.on('connect', (connack) => {
      if (gen !== this.#generation) return;
      connected = true;
      this.#failures = 0;
      this.lastError = undefined;
      this.logger.info({ server: url, sessionPresent: connack.sessionPresent }, 'bridge connected');
      this.#setState('connected');
      this.handlers.connected(client, connack, url);
    });
    client.on('error', (err) => {
      // a dead upstream fails every few seconds for hours: warn when the error changes, not on every retry
      const level = err.message === this.lastError ? 'debug' : 'warn';
      this.logger[level]({ server: url, err: err.message }, 'bridge upstream error');
      // before CONNACK every error ends the attempt; after it MQTT.js closes the stream itself if fatal
      if (!connected) fail(err.message);
      else this.lastError = err.message;
    });
    client.on('close', () => fail(this.lastError && !connected ? this.lastError : 'connection closed'));
    client.on('disconnect', (packet) => {
      // [MQTT-3.14.2-1] a server DISCONNECT carries a reason code; keep it as the last error
      this.lastError = `upstream sent DISCONNECT 0x${(packet.reasonCode ?? 0).toString(16)}`;
    });
    this.handlers.prepare(client);
    client.connect();
  }

  #scheduleRetry(afterConnected: boolean): void {
    // a connection that was up fails over to the next server at once; repeated failures back off
    const delay = afterConnected ? 0 : backoffDelay(this.#failures++, reconnectBackoff(this.cfg.reconnect));
    this.nextAttemptAt = Date.now() + delay;
    this.#setState('backoff');
    this.#timer = setTimeout(() => this.#attempt(), delay);
    this.#timer.unref?.();
  }
}
