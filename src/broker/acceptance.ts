/**
 * Durable accept by a consumer that keeps its own copy (InternalSessionOptions.durableConsumer, the bridge's
 * SQLite cache). The broker writes no row for a QoS >= 1 message it hands such a session while the consumer is
 * attached, so the publisher's acknowledgement (PUBACK/PUBREC, or the in-process publish() promise) must wait
 * until every such session has either acked the delivery (the consumer committed it) or given it up under its
 * queue limits (a counted drop: a dropped message never holds an acknowledgement back).
 *
 * One Acceptance per routed message, created only when a durable consumer is among its targets; each target
 * holds it once and releases it once.
 */
export class Acceptance {
  #holds = 0;
  #waiters: Array<() => void> | undefined;

  /** One more target must accept; returns this for the Pending to keep. */
  hold(): this {
    this.#holds++;
    return this;
  }

  /** One target accepted (or dropped) the message. */
  release(): void {
    if (this.#holds === 0 || --this.#holds > 0) return;
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) for (const fn of waiters) fn();
  }

  get settled(): boolean {
    return this.#holds === 0;
  }

  /** Run fn once every target released (at once when none holds it). */
  whenSettled(fn: () => void): void {
    if (this.#holds === 0) fn();
    else (this.#waiters ??= []).push(fn);
  }
}

/**
 * [MQTT-4.6.0-2] PUBACKs (and [MQTT-4.6.0-3] PUBRECs) go out in the order their PUBLISHes arrived, even when
 * one of them waits for a consumer's durable accept and a later one does not.
 */
export class OrderedAcks {
  #queue: Array<{ ready: boolean; send: () => void }> = [];
  #head = 0;

  /** Nothing is waiting: an acknowledgement can go out as soon as it is ready, without a queue entry. */
  get idle(): boolean {
    return this.#head === this.#queue.length;
  }

  /** Reserve the next place in line; call the returned function when `send` may run. */
  enqueue(send: () => void): () => void {
    const entry = { ready: false, send };
    this.#queue.push(entry);
    return () => {
      entry.ready = true;
      this.#flush();
    };
  }

  #flush(): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head].ready) {
      const { send } = this.#queue[this.#head++];
      send();
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
