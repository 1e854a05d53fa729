/**
 * Drives PUBLISH traffic on one BenchConnection: pre-encoded batches, written until the socket pushes back,
 * optionally paced (interval per message) and limited; QoS 1/2 keep at most `inflight` messages unacknowledged.
 */
import type { BenchConnection } from './connection.js';
import type { PublishTemplate } from './packets.js';
import { nowMs } from './latency-recorder.js';

export interface PublisherOptions {
  qos: number;
  /** Messages to send in total; 0 = until stop(). */
  limit: number;
  /** Milliseconds between messages; 0 = as fast as the socket takes them. */
  intervalMs: number;
  /** Unacknowledged QoS>0 messages allowed (must not exceed the broker's Receive Maximum). */
  inflight: number;
  /** Messages per write when not paced. */
  batch: number;
  /** Write a float64 send time (ms, nowMs()) at the start of each payload, for latency measurement. */
  stamp: boolean;
}

export class Publisher {
  sent = 0;
  private running = false;
  private blocked = false;
  private startedAt = 0;
  private nextPacketId = 1;
  private timer: NodeJS.Timeout | null = null;
  private finish: (() => void) | null = null;
  /** Identical QoS 0 copies, built once and written again and again. */
  private readonly prebuilt: Buffer | null;

  constructor(
    private readonly conn: BenchConnection,
    private readonly template: PublishTemplate,
    private readonly opts: PublisherOptions,
  ) {
    const reusable = opts.qos === 0 && !opts.stamp;
    this.prebuilt = reusable ? Buffer.concat(Array.from({ length: opts.batch }, () => template.bytes)) : null;
  }

  get inflight(): number {
    return this.opts.qos === 0 ? 0 : this.sent - this.conn.receiver.completed;
  }

  /** Resolves when `limit` messages were sent (and, for QoS>0, completed) or after stop(). */
  run(): Promise<void> {
    this.running = true;
    this.startedAt = nowMs();
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    // a dropped connection ends this publisher (no 'drain' will ever come); the runner reports it as lost
    this.conn.sock.once('close', () => this.stop());
    this.pump();
    return done;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.finish?.();
  }

  /** Called after every inbound chunk: acks may have opened the window, or the limit may now be complete. */
  onChunk(): void {
    if (this.running && !this.blocked) this.pump();
  }

  private pump(): void {
    const { limit, intervalMs, qos, inflight, batch } = this.opts;
    const sock = this.conn.sock;
    for (;;) {
      let n = batch;
      if (limit > 0) n = Math.min(n, limit - this.sent);
      if (intervalMs > 0) n = Math.min(n, Math.floor((nowMs() - this.startedAt) / intervalMs) + 1 - this.sent);
      if (qos > 0) n = Math.min(n, inflight - this.inflight);
      if (n <= 0 || sock.destroyed) break;
      const buf = this.prebuilt ? this.prebuilt.subarray(0, n * this.template.bytes.length) : this.build(n);
      this.sent += n;
      if (!sock.write(buf)) {
        this.blocked = true;
        sock.once('drain', () => {
          this.blocked = false;
          if (this.running) this.pump();
        });
        return;
      }
    }
    if (limit > 0 && this.sent >= limit && this.inflight === 0) return this.stop();
    if (sock.destroyed) return this.stop();
    if (intervalMs > 0 && this.timer === null && (limit === 0 || this.sent < limit)) {
      const nextDue = this.startedAt + this.sent * intervalMs;
      this.timer = setTimeout(
        () => {
          this.timer = null;
          if (this.running && !this.blocked) this.pump();
        },
        Math.max(0, nextDue - nowMs()),
      );
    }
  }

  private build(n: number): Buffer {
    const t = this.template;
    const len = t.bytes.length;
    const out = Buffer.allocUnsafe(n * len);
    const stampAt = nowMs();
    for (let k = 0; k < n; k++) {
      const base = k * len;
      t.bytes.copy(out, base);
      if (t.idOffset >= 0) {
        const id = this.nextPacketId;
        this.nextPacketId = id === 65535 ? 1 : id + 1; // packet ids are 1..65535 [MQTT-2.3.1-1]
        out[base + t.idOffset] = id >> 8;
        out[base + t.idOffset + 1] = id & 0xff;
      }
      if (this.opts.stamp) out.writeDoubleLE(stampAt, base + t.payloadOffset);
    }
    return out;
  }
}
