/**
 * Queue back-pressure for QoS >= 1: a connected session whose queue (beyond its in-flight window) passes the
 * high watermark holds back the publishers whose messages are routed to it, until the queue is back under the
 * low watermark (half the high one). A session that acknowledges nothing for `stall_timeout` while it holds
 * publishers back is stalled: it releases them, and from then on its queue limit and overflow policy apply,
 * so a dead subscriber cannot freeze the publishers. The next acknowledgement ends the stall episode.
 *
 * The socket-level back-pressure (a subscriber socket over `outbound_buffer`) lives in Connection.throttle();
 * this one follows the session's acknowledgements, so it also covers in-process sessions, whose sink never
 * blocks.
 */

export interface FlowOptions {
  /** Queued QoS >= 1 messages at which publishers are held; 0 = off. */
  highWatermark: number;
  /** Queued payload bytes at which publishers are held. */
  highBytes: number;
  /** Milliseconds without an acknowledgement after which a holding session is stalled. */
  stallMs: number;
}

export class QueueGate {
  #raised = false;
  #stalled = false;
  /** Start of the episode or the last acknowledgement: what the stall timeout counts from. */
  #since = 0;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Array<() => void> = [];

  constructor(
    /** Client id of the session: a publisher is never held back by its own session. */
    readonly clientId: string,
    private readonly stallMs: number,
    private readonly onStall: (gate: QueueGate) => void,
  ) {}

  /** Over the high watermark, not stalled: publishers routing here should wait (see onRelief). */
  get holding(): boolean {
    return this.#raised && !this.#stalled;
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  /** The queue passed the high watermark. */
  raise(now: number): void {
    if (this.#raised) return;
    this.#raised = true;
    this.#since = now;
    if (!this.#stalled) this.#arm(this.stallMs);
  }

  /** An acknowledgement arrived: the subscriber is alive, a stall episode ends. */
  progress(now: number): void {
    this.#since = now;
    if (this.#stalled) {
      this.#stalled = false;
      if (this.#raised) this.#arm(this.stallMs);
    }
  }

  /** The queue fell under the low watermark, or the session went offline: release every waiting publisher. */
  lower(): void {
    if (!this.#raised) return;
    this.#raised = false;
    this.#disarm();
    this.#release();
  }

  /** Run fn once this gate no longer holds (under the low watermark, stalled or offline). */
  onRelief(fn: () => void): void {
    if (!this.holding) fn();
    else this.#waiters.push(fn);
  }

  #arm(ms: number): void {
    this.#disarm();
    this.#timer = setTimeout(() => this.#check(), Math.max(1, ms));
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#raised || this.#stalled) return;
    const idle = Date.now() - this.#since;
    if (idle < this.stallMs) {
      this.#arm(this.stallMs - idle);
      return;
    }
    this.#stalled = true;
    this.onStall(this);
    this.#release();
  }

  #release(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const fn of waiters) fn();
  }
}

/** Resolve once every gate has released (each fires once). */
export function whenRelieved(gates: readonly QueueGate[], fn: () => void): void {
  let pending = gates.length;
  if (pending === 0) return fn();
  for (const g of gates) g.onRelief(() => --pending === 0 && fn());
}
