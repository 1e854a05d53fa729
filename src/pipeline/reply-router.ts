/**
 * MQTT 5 request/response for gateways whose peers wait for an answer (NNG REP, later CoAP). Each request gets
 * a unique response topic under a per-instance prefix plus correlation data ([MQTT-4.10]); the first message
 * on that topic is the answer, later ones are ignored. A request unanswered within the timeout gets a
 * `timeout` failure. Pending requests are bounded; one over the bound is failed at once as `overloaded`.
 */
import type { Envelope } from '../envelope.js';
import type { ReplyHandle } from '../gateway/spi.js';

export interface ReplyRouterOptions {
  /** Response topics are `<prefix>/<id>`; the instance subscribes to `<prefix>/+`. */
  topicPrefix: string;
  timeoutMs: number;
  maxPending: number;
  onTimeout?: () => void;
}

interface Pending {
  handle: ReplyHandle;
  timer: NodeJS.Timeout;
}

export class ReplyRouter {
  readonly #opts: ReplyRouterOptions;
  readonly #pending = new Map<string, Pending>();
  #seq = 0;
  // A per-router nonce keeps ids unique across instance restarts, so a late answer to a request of the
  // previous run can never be taken for the answer to a new one.
  readonly #nonce = Math.random().toString(36).slice(2, 8);

  constructor(opts: ReplyRouterOptions) {
    this.#opts = opts;
  }

  get filter(): string {
    return `${this.#opts.topicPrefix}/+`;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Register a request; returns the properties to put on its MQTT publish, or undefined when overloaded. */
  register(handle: ReplyHandle): { responseTopic: string; correlationData: Buffer } | undefined {
    if (this.#pending.size >= this.#opts.maxPending) {
      handle.fail('overloaded', `more than ${this.#opts.maxPending} requests waiting for a response`);
      return undefined;
    }
    const id = `${this.#nonce}-${(this.#seq++).toString(36)}`;
    const timer = setTimeout(() => {
      if (!this.#pending.delete(id)) return;
      this.#opts.onTimeout?.();
      handle.fail('timeout', `no response within ${this.#opts.timeoutMs}ms`);
    }, this.#opts.timeoutMs);
    timer.unref();
    this.#pending.set(id, { handle, timer });
    return { responseTopic: `${this.#opts.topicPrefix}/${id}`, correlationData: Buffer.from(id) };
  }

  /** Route a message published on a response topic; true when it answered a pending request. */
  resolve(env: Envelope): boolean {
    const prefix = `${this.#opts.topicPrefix}/`;
    if (!env.topic.startsWith(prefix)) return false;
    const id = env.topic.slice(prefix.length);
    const p = this.#pending.get(id);
    if (!p) return false;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.handle.respond(env.payload);
    return true;
  }

  /** Forget a request whose publish failed; the caller answers the peer itself. */
  cancel(responseTopic: string): void {
    const id = responseTopic.slice(this.#opts.topicPrefix.length + 1);
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
  }

  isResponseTopic(topic: string): boolean {
    return topic.startsWith(`${this.#opts.topicPrefix}/`);
  }

  /** Fail every pending request (instance stopping). */
  close(reason = 'stopped'): void {
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.handle.fail(reason, 'gateway stopped before a response arrived');
    }
  }
}
