/**
 * The dashboard's live message viewer: `GET /api/v5/live?topic=<filter>` answers a server-sent event stream
 * (`event: message`, data = a MessageView as JSON) fed by an in-process QoS 0 session on that filter. Chosen over
 * the MQTT WebSocket listener because it needs no listener to be configured, uses the API's credentials and
 * CSRF-free GET, and EventSource reconnects by itself. Bounded: at most `maxViewers` streams at once (429
 * after), payload previews of `maxPreview` bytes, and while the socket's send buffer holds more than
 * `maxBuffered` bytes new messages are dropped and counted (the count rides on the next event as `dropped`),
 * so a slow browser never grows the hub's memory. The stream ends when the browser goes away or the broker stops.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { BrokerApi } from '../broker/api.js';
import { HubError } from '../errors.js';
import { ApiError, badRequest } from './errors.js';
import { messageView } from './message-view.js';

export interface LiveLimits {
  maxViewers: number;
  maxPreview: number;
  maxBuffered: number;
  heartbeatMs: number;
}

export const LIVE_DEFAULTS: LiveLimits = {
  maxViewers: 8,
  maxPreview: 2048,
  maxBuffered: 256 * 1024,
  heartbeatMs: 15_000,
};

export class LiveStreams {
  readonly #open = new Set<() => void>();
  #seq = 0;
  /** Messages not sent because a viewer was too slow, over all streams (for tests and the log). */
  dropped = 0;

  constructor(readonly limits: LiveLimits = LIVE_DEFAULTS) {}

  get count(): number {
    return this.#open.size;
  }

  open(broker: Pick<BrokerApi, 'session$'>, req: IncomingMessage, res: ServerResponse, filter: string | null): void {
    if (!filter) throw badRequest('query.topic: a topic filter is required');
    if (this.#open.size >= this.limits.maxViewers)
      throw new ApiError(429, 'PH_HTTP_RATE_LIMITED', `at most ${this.limits.maxViewers} live viewers at once`);
    let pendingDrops = 0;
    let started = false;
    let failure: unknown;
    const close = () => {
      sub.unsubscribe();
      clearInterval(heartbeat);
      this.#open.delete(close);
      if (!res.writableEnded) res.end();
    };
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), this.limits.heartbeatMs);
    heartbeat.unref();
    const sub: Subscription = broker
      .session$({ clientId: `$hub/http-api/live/${++this.#seq}`, subscriptions: [{ filter, qos: 0 }] })
      .subscribe({
        next: (d) => {
          if (res.writableLength > this.limits.maxBuffered) {
            pendingDrops++;
            this.dropped++;
            return;
          }
          const view = { ...messageView(d, this.limits.maxPreview), dropped: pendingDrops };
          pendingDrops = 0;
          res.write(`event: message\ndata: ${JSON.stringify(view)}\n\n`);
        },
        error: (err: unknown) => (started ? close() : (failure = err)),
        complete: () => close(),
      });
    if (failure !== undefined) {
      // an invalid filter is reported synchronously by session$: answer 400 before any header went out
      clearInterval(heartbeat);
      if (failure instanceof HubError) throw failure;
      throw badRequest(`query.topic: ${String(failure)}`);
    }
    started = true;
    this.#open.add(close);
    req.on('close', close);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    res.write(`event: ready\ndata: ${JSON.stringify({ topic: filter })}\n\n`);
  }

  closeAll(): void {
    for (const close of [...this.#open]) close();
  }
}
