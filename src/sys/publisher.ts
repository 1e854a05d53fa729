/**
 * Publishes $SYS: statistics every `sys_msg_interval` and client connected/disconnected event messages, as QoS 0,
 * non-retained messages into the broker (like EMQX; subscribers see them from the next tick). Who may read them
 * is up to authorization: a rule denying `subscribe` on `$SYS/#` keeps a user out. [MQTT-4.7.2-1] keeps them
 * out of `#` subscriptions anyway. start()/stop() are idempotent; the constructor does no I/O.
 */
import type { BrokerApi } from '../broker/api.js';
import { envelope } from '../envelope.js';
import type { Logger } from '../logger.js';
import type { ClientConnectedEvent, ClientDisconnectedEvent, ClientLifecycle } from './client-events.js';
import type { SysTopicsConfig } from './schema.js';
import { clientIdLevel, sysMessages, sysPrefix, type SysSnapshot } from './stats.js';

export interface SysPublisherDeps {
  broker: BrokerApi;
  node: string;
  config: SysTopicsConfig;
  logger: Logger;
  /** Current figures; called once per interval. */
  snapshot: () => Promise<SysSnapshot>;
}

/** The client id $SYS messages are attributed to (never a network client: `$hub/` ids are refused at CONNECT). */
export const SYS_CLIENT_ID = '$hub/sys';

export class SysPublisher implements ClientLifecycle {
  readonly #deps: SysPublisherDeps;
  #timer?: NodeJS.Timeout;
  #running = false;
  #published = 0;

  constructor(deps: SysPublisherDeps) {
    this.#deps = deps;
  }

  get published(): number {
    return this.#published;
  }

  start(): void {
    if (this.#running || !this.#deps.config.enable) return;
    this.#running = true;
    this.#timer = setInterval(() => void this.tick(), this.#deps.config.sys_msg_interval);
    this.#timer.unref();
  }

  stop(): void {
    this.#running = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Publish the statistics topics once (also what the timer does). */
  async tick(): Promise<void> {
    if (!this.#running) return;
    try {
      const snapshot = await this.#deps.snapshot();
      for (const m of sysMessages(this.#deps.node, snapshot)) this.#publish(m.topic, m.payload);
    } catch (err) {
      this.#deps.logger.warn({ err }, '$SYS statistics failed');
    }
  }

  connected(e: ClientConnectedEvent): void {
    if (!this.#running || !this.#deps.config.sys_event_messages.client_connected) return;
    this.#publish(`${sysPrefix(this.#deps.node)}/clients/${clientIdLevel(e.clientid)}/connected`, JSON.stringify(e));
  }

  disconnected(e: ClientDisconnectedEvent): void {
    if (!this.#running || !this.#deps.config.sys_event_messages.client_disconnected) return;
    this.#publish(`${sysPrefix(this.#deps.node)}/clients/${clientIdLevel(e.clientid)}/disconnected`, JSON.stringify(e));
  }

  #publish(topic: string, payload: string): void {
    this.#published++;
    const env = envelope(topic, payload, { origin: { clientId: SYS_CLIENT_ID } });
    // a stopped broker (shutdown in progress) has no subscribers left to tell
    this.#deps.broker.publish(env, { clientId: SYS_CLIENT_ID }).catch(() => undefined);
  }
}
