/**
 * One raw-socket MQTT client of the load generator: CONNECT/SUBSCRIBE handshakes, then every inbound chunk goes
 * through the FrameWalker into a CountingReceiver, and the acks that chunk produced leave in one write.
 */
import { connect, type Socket } from 'node:net';
import { HubError } from '../errors.js';
import { FrameWalker } from './frame-walker.js';
import { CountingReceiver } from './receiver.js';
import { connectPacket, DISCONNECT, PACKET, subscribePacket, type MqttVersion } from './packets.js';
import type { LatencyRecorder } from './latency-recorder.js';

export class BenchError extends HubError {}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  version: MqttVersion;
  keepaliveSec?: number;
  latency?: LatencyRecorder | null;
  /** Called after each inbound chunk was walked (a publisher refills its in-flight window here). */
  onChunk?: (() => void) | null;
}

export class BenchConnection {
  readonly receiver: CountingReceiver;
  private socket: Socket | null = null;
  private readonly walker: FrameWalker;
  private nextSubId = 1;
  /** Set once the socket errored or closed; the error, if any, is kept for the report. */
  closed = false;
  error: Error | null = null;

  constructor(private readonly opts: ConnectionOptions) {
    this.receiver = new CountingReceiver(opts.version, opts.latency ?? null);
    this.walker = new FrameWalker(this.receiver);
  }

  get sock(): Socket {
    if (!this.socket) throw new BenchError('PH_BENCH_NOT_CONNECTED', `${this.opts.clientId} is not connected`);
    return this.socket;
  }

  /** TCP connect, CONNECT, await CONNACK; rejects PH_BENCH_CONNECT on refusal, error or timeout. */
  async open(timeoutMs = 10_000): Promise<void> {
    const { host, port, clientId, version } = this.opts;
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    const failed = new Promise<never>((_, reject) => {
      socket.once('error', (err) => {
        this.error = err;
        reject(new BenchError('PH_BENCH_CONNECT', `${clientId}: ${err.message}`, { cause: err }));
      });
      socket.once('close', () => reject(new BenchError('PH_BENCH_CONNECT', `${clientId}: connection closed`)));
    });
    failed.catch(() => undefined); // a late error after success is recorded in this.error, not thrown
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BenchError('PH_BENCH_CONNECT', `${clientId}: no CONNACK in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const connack = this.receiver.waitFor(PACKET.CONNACK);
      socket.write(connectPacket({ clientId, version, keepaliveSec: this.opts.keepaliveSec ?? 600, cleanStart: true }));
      const body = await Promise.race([connack, failed, timeout]);
      // byte 1 of the CONNACK variable header is the return / reason code; 0 = accepted (3.1.1 §3.2.2.3, 5 §3.2.2.2)
      if (body[1] !== 0)
        throw new BenchError('PH_BENCH_CONNECT', `${clientId}: CONNACK code 0x${body[1].toString(16)}`);
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SUBSCRIBE one filter and await its SUBACK; rejects PH_BENCH_SUBSCRIBE when the broker refuses it. */
  async subscribe(filter: string, qos: number, timeoutMs = 10_000): Promise<number> {
    const id = this.nextSubId++;
    const suback = this.receiver.waitFor(PACKET.SUBACK);
    this.sock.write(subscribePacket(id, filter, qos, this.opts.version));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BenchError('PH_BENCH_SUBSCRIBE', `no SUBACK for ${filter}`)), timeoutMs);
    });
    const body = await Promise.race([suback, timeout]).finally(() => clearTimeout(timer));
    // the last byte is the granted QoS / reason code; ≥ 0x80 is a failure (3.1.1 §3.9.3, 5 §3.9.3)
    const granted = body[body.length - 1];
    if (granted >= 0x80) throw new BenchError('PH_BENCH_SUBSCRIBE', `${filter} refused: 0x${granted.toString(16)}`);
    return granted;
  }

  private onData(chunk: Buffer): void {
    const before = this.receiver.publishes;
    try {
      this.walker.push(chunk);
    } catch (err) {
      this.error = err as Error;
      this.socket?.destroy();
      return;
    }
    this.receiver.markChunk(before);
    const acks = this.receiver.takeAcks();
    if (acks) this.socket?.write(acks);
    this.opts.onChunk?.();
  }

  /** DISCONNECT and end; bounded by destroy after `graceMs`. */
  close(graceMs = 1000): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => s.destroy(), graceMs);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end(DISCONNECT);
    });
  }
}
