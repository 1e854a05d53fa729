/**
 * Per instance: which native statuses are watched (status.ts) and the totals already reported, so each new
 * incompatible type, incompatible QoS or lost sample becomes a metric and a log line, never silence.
 */
import type { GatewayContext } from '../../src/gateway/index.js';
import type { WriterState } from './downlink.js';
import { nativeHandle } from './ffi.js';
import { bindStatuses, type StatusReader } from './status.js';
import type { ReaderState } from './uplink.js';

export class StatusWatch {
  readonly #ctx: GatewayContext;
  readonly #problem: (message: string) => void;
  #statuses?: StatusReader;
  /** Per topic: its native Topic handle and the status totals already reported. */
  readonly #watched: { topic: string; handle: unknown; reader?: unknown; inconsistent: number; lost: number }[] = [];
  /** Per reader/writer: its native handle and the incompatible-QoS total already reported. */
  readonly #endpoints: { topic: string; kind: 'reader' | 'writer'; handle: unknown; incompatible: number }[] = [];

  /** `problem` receives a one-line description of each new problem (the instance's lastError). */
  constructor(ctx: GatewayContext, problem: (message: string) => void) {
    this.#ctx = ctx;
    this.#problem = problem;
  }

  watch(readers: readonly ReaderState[], writers: ReadonlyMap<string, WriterState>): void {
    try {
      const statuses = bindStatuses();
      for (const r of readers) {
        const reader = nativeHandle(r.input);
        const topic = r.endpoint.topic;
        this.#watched.push({ topic, handle: statuses.readerTopic(reader), reader, inconsistent: 0, lost: 0 });
        this.#endpoints.push({ topic, kind: 'reader', handle: reader, incompatible: 0 });
      }
      for (const [topic, w] of writers)
        this.#endpoints.push({ topic, kind: 'writer', handle: nativeHandle(w.output), incompatible: 0 });
      for (const [topic, w] of writers) {
        if (this.#watched.some((x) => x.topic === topic)) continue;
        this.#watched.push({ topic, handle: statuses.writerTopic(nativeHandle(w.output)), inconsistent: 0, lost: 0 });
      }
      this.#statuses = statuses;
    } catch (err) {
      this.#ctx.logger.warn({ err }, 'dds status monitoring (incompatible types, lost samples) is off');
    }
  }

  /** Incompatible remote types and QoS, and lost samples become a metric and a log line, never silence. */
  check(): void {
    const statuses = this.#statuses;
    if (!statuses) return;
    for (const e of this.#endpoints) {
      const { total, lastPolicy } = statuses.incompatibleQos(e.handle, e.kind);
      if (total <= e.incompatible) continue;
      for (let i = e.incompatible; i < total; i++) this.#ctx.metrics.socketEvent('dds_incompatible_qos');
      this.#problem(`DDS topic ${e.topic}: a remote endpoint has incompatible QoS (policy id ${lastPolicy})`);
      this.#ctx.logger.warn(
        { topic: e.topic, endpoint: e.kind, total, policyId: lastPolicy },
        // policy ids: DDS 1.4 §2.3.3 (e.g. 11 RELIABILITY, 2 DURABILITY, 4 DEADLINE, 8 LIVELINESS, 10 PARTITION)
        'dds: a remote endpoint of this topic requests/offers QoS ours cannot match (incompatible QoS)',
      );
      e.incompatible = total;
    }
    for (const w of this.#watched) {
      const inconsistent = statuses.inconsistentTopic(w.handle);
      if (inconsistent > w.inconsistent) {
        for (let i = w.inconsistent; i < inconsistent; i++) this.#ctx.metrics.socketEvent('dds_incompatible_type');
        this.#problem(`DDS topic ${w.topic}: a remote endpoint has an incompatible type`);
        this.#ctx.logger.warn(
          { topic: w.topic, total: inconsistent },
          'dds: a remote endpoint uses this topic with a type that is not assignable to ours (inconsistent topic)',
        );
        w.inconsistent = inconsistent;
      }
      if (w.reader === undefined) continue;
      const lost = statuses.samplesLost(w.reader);
      if (lost > w.lost) {
        this.#ctx.metrics.dropped('dds_sample_lost', lost - w.lost);
        w.lost = lost;
      }
    }
  }
}
