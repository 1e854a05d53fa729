/**
 * In-memory BrokerApi test double for pure pipeline/supervisor unit tests only (component tests use the real
 * Hub). It records publishes and lets the test push deliveries into open sessions.
 */
import { Observable, Subject } from 'rxjs';
import type {
  BrokerApi,
  Delivery,
  DeviceConnectRequest,
  DeviceConnectResult,
  InternalSessionOptions,
} from '../../src/broker/api.js';
import type { Envelope } from '../../src/envelope.js';

export interface DeliveryDouble extends Delivery {
  readonly acked: boolean;
}

export class BrokerDouble implements BrokerApi {
  readonly published: Envelope[] = [];
  readonly sessions: InternalSessionOptions[] = [];
  readonly #deliveries = new Subject<Delivery>();
  /** Make the next publishes reject (to exercise the publish-fault path). */
  failPublish?: (env: Envelope) => Error | undefined;
  #waiters: { n: number; resolve: () => void }[] = [];

  async publish(env: Envelope): Promise<void> {
    const err = this.failPublish?.(env);
    if (err) throw err;
    this.published.push(env);
    this.#waiters = this.#waiters.filter((w) => (this.published.length >= w.n ? (w.resolve(), false) : true));
  }

  /** Resolves once at least n messages were published. */
  waitForPublished(n: number): Promise<void> {
    if (this.published.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Device sessions need the real broker (component tests); the double refuses them. */
  async connectDevice(_req: DeviceConnectRequest): Promise<DeviceConnectResult> {
    return { ok: false, reason: 'server_unavailable', detail: 'BrokerDouble has no device sessions' };
  }

  /** Retained messages set by a test. */
  readonly retained = new Map<string, { payload: Buffer }>();

  retainedMessage(topic: string): { payload: Buffer } | undefined {
    return this.retained.get(topic);
  }

  session$(opts: InternalSessionOptions): Observable<Delivery> {
    return new Observable<Delivery>((sub) => {
      this.sessions.push(opts);
      const s = this.#deliveries.subscribe(sub);
      return () => {
        s.unsubscribe();
        this.sessions.splice(this.sessions.indexOf(opts), 1);
      };
    });
  }

  /** Deliver an envelope to every open session. */
  deliver(env: Envelope): DeliveryDouble {
    const d = delivery(env);
    this.#deliveries.next(d);
    return d;
  }
}

export function delivery(env: Envelope): DeliveryDouble {
  let acked = false;
  return {
    envelope: env,
    qos: env.qos,
    redelivered: false,
    ack: () => {
      acked = true;
    },
    get acked() {
      return acked;
    },
  };
}
