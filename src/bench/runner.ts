/**
 * Runs one LoadJob inside a worker: opens its clients (bounded concurrency), subscribes or prepares
 * publishers, and on go() lets the traffic flow. Snapshots of its counters are cheap, for periodic ticks.
 */
import { BenchConnection } from './connection.js';
import { Publisher } from './publisher.js';
import { LatencyRecorder } from './latency-recorder.js';
import { expandTopic, publishTemplate } from './packets.js';
import { emptyStats, type LoadJob, type LoadStats } from './job.js';

interface Client {
  conn: BenchConnection;
  publisher: Publisher | null;
}

export class LoadRunner {
  private readonly clients: Client[] = [];
  private readonly latency: LatencyRecorder | null;
  private connectFailed = 0;
  private readonly errors: string[] = [];
  private running: Promise<void>[] = [];

  constructor(private readonly job: LoadJob) {
    this.latency = job.mode === 'latency' ? new LatencyRecorder() : null;
  }

  /** Connect (and subscribe) every client; failures are counted, not thrown. */
  async prepare(): Promise<void> {
    const { clientFrom, clientTo, connectConcurrency } = this.job;
    let next = clientFrom;
    const lane = async (): Promise<void> => {
      while (next < clientTo) {
        const i = next++;
        try {
          this.clients.push(await this.openClient(i));
        } catch (err) {
          this.connectFailed++;
          if (this.errors.length < 20) this.errors.push((err as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, connectConcurrency) }, lane));
  }

  private async openClient(i: number): Promise<Client> {
    const job = this.job;
    const clientId = `${job.clientPrefix}${i}`;
    const topic = expandTopic(job.topic, i, clientId);
    const publishes = job.mode === 'pub' || job.mode === 'latency';
    let publisher: Publisher | null = null;
    const conn = new BenchConnection({
      host: job.host,
      port: job.port,
      clientId,
      version: job.version,
      keepaliveSec: job.keepaliveSec,
      latency: this.latency,
      onChunk: () => publisher?.onChunk(),
    });
    await conn.open();
    if (job.mode === 'sub' || job.mode === 'latency') await conn.subscribe(topic, job.qos);
    if (publishes) {
      const payload = Buffer.alloc(Math.max(job.payloadSize, job.mode === 'latency' ? 8 : 0), 0x61);
      publisher = new Publisher(conn, publishTemplate(topic, payload, job.qos, job.version), {
        qos: job.qos,
        limit: job.limit,
        intervalMs: job.intervalMs,
        inflight: job.inflight,
        batch: job.batch,
        stamp: job.mode === 'latency',
      });
    }
    return { conn, publisher };
  }

  /** Start publishing; the promise settles when every publisher reached its limit (never for limit 0). */
  go(): Promise<void> {
    this.running = this.clients.flatMap((c) => (c.publisher ? [c.publisher.run()] : []));
    return Promise.all(this.running).then(() => undefined);
  }

  stats(withLatency = false): LoadStats {
    const s = emptyStats();
    s.clients = this.job.clientTo - this.job.clientFrom;
    s.connectFailed = this.connectFailed;
    s.errors = [...this.errors];
    for (const { conn, publisher } of this.clients) {
      const r = conn.receiver;
      s.connected++;
      if (conn.closed) {
        s.lost++;
        if (conn.error && s.errors.length < 20) s.errors.push(conn.error.message);
      }
      s.sent += publisher?.sent ?? 0;
      s.completed += r.completed;
      s.received += r.publishes;
      if (r.firstPublishAt > 0 && (s.firstRecvAt === 0 || r.firstPublishAt < s.firstRecvAt))
        s.firstRecvAt = r.firstPublishAt;
      s.lastRecvAt = Math.max(s.lastRecvAt, r.lastPublishAt);
    }
    if (withLatency && this.latency) {
      s.latencyUs = this.latency.values();
      s.latencyOverflow = this.latency.overflow;
    }
    return s;
  }

  /** Stop publishers and close every connection (bounded by the connection close grace). */
  async stop(): Promise<void> {
    for (const c of this.clients) c.publisher?.stop();
    await Promise.all(this.clients.map((c) => c.conn.close()));
  }
}
