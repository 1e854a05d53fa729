/**
 * The latest dead letters for the dashboard: an in-process session on `$hub/dlq/#` (QoS 0, not persistent)
 * keeps the newest `capacity` messages in a ring buffer, each with a payload preview of at most `maxPreview`
 * bytes, so memory stays bounded (capacity × (preview + properties)). Older entries are overwritten and
 * counted in `overwritten`. Entries seen before a hub restart are not kept: the DLQ topic itself is the
 * durable record for a persistent subscriber.
 */
import type { Subscription } from 'rxjs';
import type { BrokerApi } from '../broker/api.js';
import { messageView, type MessageView } from './message-view.js';

export interface DlqEntry extends MessageView {
  gateway: string;
  reason: string;
  error: string;
}

export class DlqRing {
  readonly #ring: DlqEntry[] = [];
  #next = 0;
  #sub?: Subscription;
  overwritten = 0;

  constructor(
    readonly capacity = 100,
    readonly maxPreview = 1024,
  ) {}

  /** Subscribes once; a broker that is not running errors at once and leaves the ring idle. */
  start(broker: Pick<BrokerApi, 'session$'>): void {
    if (this.#sub) return;
    this.#sub = broker
      .session$({ clientId: '$hub/http-api/dlq', subscriptions: [{ filter: '$hub/dlq/#', qos: 0 }] })
      .subscribe({
        next: (d) => {
          const view = messageView(d, this.maxPreview);
          this.add({
            ...view,
            gateway: d.envelope.topic.slice('$hub/dlq/'.length),
            reason: view.user_properties.reason ?? '',
            error: view.user_properties.error ?? '',
          });
        },
        error: () => (this.#sub = undefined),
        complete: () => (this.#sub = undefined),
      });
  }

  add(entry: DlqEntry): void {
    if (this.#ring.length < this.capacity) this.#ring.push(entry);
    else {
      this.#ring[this.#next] = entry;
      this.overwritten++;
    }
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Newest first. */
  latest(limit = this.capacity): DlqEntry[] {
    const out: DlqEntry[] = [];
    for (let i = 1; i <= Math.min(limit, this.#ring.length); i++)
      out.push(this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length]);
    return out;
  }

  stop(): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }
}
