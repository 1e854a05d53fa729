/**
 * Will messages waiting for their Will Delay Interval (v5 §3.1.3.2.2). A will is published when the delay ends
 * or the session ends, whichever is first, and cancelled by a new connection to the session ([MQTT-3.1.3-9]).
 */
import type { BrokerMessage } from './message.js';

export interface Will {
  clientId: string;
  message: BrokerMessage;
}

export class WillScheduler {
  readonly #pending = new Map<string, { will: Will; timer?: NodeJS.Timeout }>();

  constructor(private readonly publish: (will: Will) => void) {}

  /** Publish now (delay 0) or after delaySeconds. */
  schedule(will: Will, delaySeconds: number): void {
    this.cancel(will.clientId);
    if (delaySeconds <= 0) {
      this.publish(will);
      return;
    }
    const timer = setTimeout(() => this.fireNow(will.clientId), Math.min(delaySeconds * 1000, 2 ** 31 - 1));
    timer.unref();
    this.#pending.set(will.clientId, { will, timer });
  }

  cancel(clientId: string): void {
    const p = this.#pending.get(clientId);
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    this.#pending.delete(clientId);
  }

  /** The session ended before the will delay passed: publish it now. */
  fireNow(clientId: string): void {
    const p = this.#pending.get(clientId);
    if (!p) return;
    this.cancel(clientId);
    this.publish(p.will);
  }

  clear(): void {
    for (const p of this.#pending.values()) if (p.timer) clearTimeout(p.timer);
    this.#pending.clear();
  }
}
