/**
 * The lifecycle every gateway instance needs, written once: the ingress Subject, the state machine
 * new → starting → started → stopped, idempotent start()/stop() (concurrent callers share one attempt; a stopped
 * instance never restarts, the supervisor builds a new one), clean-up when opening fails half-way, and the
 * wrapping of a whole-instance failure into one ingress$ error for the supervisor.
 *
 * A gateway keeps one InstanceLifecycle and delegates to it:
 *
 *   readonly #life = new InstanceLifecycle(ctx.id, { open: () => this.#open(), close: () => this.#close() });
 *   readonly ingress$ = this.#life.ingress$;
 *   start() { return this.#life.start(); }
 *   stop() { return this.#life.stop(); }
 *   send(msg) { this.#life.assertRunning(); ... }
 *   health() { if (!this.#life.running) return this.#life.closedHealth(); ... }
 *
 * and calls `emit`, `fault` and `fail` from its socket callbacks. See docs/gateways/README.md.
 */
import { Subject, type Observable } from 'rxjs';
import { GatewayError, StateError } from '../errors.js';
import type { IngressItem, InstanceHealth, ReplyHandle } from './spi.js';

export type LifecycleState = 'new' | 'starting' | 'started' | 'stopped';

export interface LifecycleHooks {
  /** Open sockets, bind ports. Throwing (or rejecting) fails start(); close() is then called to clean up. */
  open(): void | Promise<void>;
  /** Close whatever open() opened, also after a partial open. Must not throw for never-opened resources. */
  close(): void | Promise<void>;
}

export class InstanceLifecycle {
  readonly #id: string;
  readonly #hooks: LifecycleHooks;
  readonly #ingress = new Subject<IngressItem>();
  /** Hot; what the instance exposes as its ingress$. Completes on stop, errors once through fail(). */
  readonly ingress$: Observable<IngressItem> = this.#ingress.asObservable();
  #state: LifecycleState = 'new';
  #starting?: Promise<void>;
  #stopping?: Promise<void>;
  #lastError?: string;

  constructor(id: string, hooks: LifecycleHooks) {
    this.#id = id;
    this.#hooks = hooks;
  }

  get state(): LifecycleState {
    return this.#state;
  }

  /** True between a successful open and stop(): the only time messages are emitted and sends are accepted. */
  get running(): boolean {
    return this.#state === 'started';
  }

  /** The last socket-level problem, reported in health() until a newer one replaces it. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  noteError(message: string): void {
    this.#lastError = message;
  }

  /** Idempotent: every call returns the same attempt; after stop() it rejects with PH_STATE_STOPPED. */
  start(): Promise<void> {
    if (this.#stopping)
      return Promise.reject(new StateError('PH_STATE_STOPPED', `${this.#id} was stopped; create a new instance`));
    this.#starting ??= this.#open();
    return this.#starting;
  }

  /** Idempotent and waits for a start() in progress, so a stop during start still closes what was opened. */
  stop(): Promise<void> {
    this.#stopping ??= this.#close();
    return this.#stopping;
  }

  /** Throws PH_STATE_STOPPED unless started: the SPI's contract for send() outside the running state. */
  assertRunning(): void {
    if (this.#state !== 'started') throw new StateError('PH_STATE_STOPPED', `${this.#id} is not running`);
  }

  /** Health for any state but started: closed, no peers, with the last error kept for the operator. */
  closedHealth(): InstanceHealth {
    return { connection: 'closed', peers: 0, lastError: this.#lastError };
  }

  /** Hand a received message to the pipeline; dropped unless started (late callbacks after stop). */
  emit(item: IngressItem): void {
    if (this.#state === 'started') this.#ingress.next(item);
  }

  /** A message that could not be framed: the pipeline dead-letters it with `error` as the reason text. */
  fault(peer: string, payload: Buffer, err: unknown, reply?: ReplyHandle): void {
    const error = err instanceof Error ? err.message : String(err);
    this.emit({ kind: 'fault', reason: 'malformed', error, payload, peer, reply });
  }

  /**
   * The instance as a whole failed (a receive loop died): ingress$ errors with a GatewayError carrying `code`,
   * and the supervisor restarts a fresh instance. Ignored once stopped or already failed.
   */
  fail(code: string, message: string, cause: unknown): void {
    if (this.#state === 'stopped' || this.#ingress.hasError) return;
    this.#lastError = message;
    this.#ingress.error(new GatewayError(code, `${this.#id}: ${message}`, { cause }));
  }

  async #open(): Promise<void> {
    this.#state = 'starting';
    try {
      await this.#hooks.open();
    } catch (err) {
      await this.#closeQuietly();
      this.#state = 'stopped';
      this.#ingress.complete();
      throw err;
    }
    // stop() called during open waits for this promise, then closes: it sees 'started' and tears down.
    if (this.#state === 'starting') this.#state = 'started';
  }

  async #close(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    if (this.#state === 'stopped') return; // open failed and already cleaned up
    const opened = this.#state === 'started';
    this.#state = 'stopped';
    if (opened) await this.#closeQuietly();
    this.#ingress.complete(); // a no-op after fail(): the error already ended ingress$
  }

  async #closeQuietly(): Promise<void> {
    try {
      await this.#hooks.close();
    } catch (err) {
      this.#lastError = err instanceof Error ? err.message : String(err);
    }
  }
}
