/**
 * Raw-socket MQTT 3.1.1 peers for the flow-control tests: a QoS 1 publisher that writes a whole burst at once
 * (no window of its own, so only the broker can slow it) and a QoS 1 subscriber that records payloads and
 * acknowledges at once, never, or on demand.
 */
import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import { withTimeout } from '../support/clients.js';

const open = new Set<net.Socket>();

export function closeFlowPeers(): void {
  for (const s of open) s.destroy();
  open.clear();
}

type Handler = (p: mqttPacket.Packet, socket: net.Socket) => void;

async function connectRaw(port: number, clientId: string, clean: boolean, onPacket: Handler): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  open.add(socket);
  socket.on('error', () => {});
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let connacked: (ok: boolean) => void = () => {};
  const connack = new Promise<boolean>((r) => (connacked = r));
  parser.on('packet', (p: mqttPacket.Packet) => {
    if (p.cmd === 'connack') connacked(p.returnCode === 0);
    else onPacket(p, socket);
  });
  socket.on('data', (d: Buffer) => parser.parse(d));
  socket.on('connect', () =>
    socket.write(
      mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, keepalive: 0, clientId }),
    ),
  );
  if (!(await withTimeout(connack, 10_000, `CONNACK for ${clientId}`))) throw new Error(`${clientId} refused`);
  return socket;
}

export class BurstPublisher {
  acked = 0;
  /** Packet ids PUBACKed (a burst of up to 65,535 uses each once: id = index + 1). */
  readonly ackedIds = new Set<number>();
  #onAck: Array<() => void> = [];

  socket!: net.Socket;

  static async connect(port: number, clientId: string): Promise<BurstPublisher> {
    const self = new BurstPublisher();
    self.socket = await connectRaw(port, clientId, true, (p) => {
      if (p.cmd !== 'puback') return;
      self.acked++;
      self.ackedIds.add(p.messageId ?? 0);
      for (const fn of self.#onAck) fn();
    });
    return self;
  }

  /** Write `count` QoS 1 PUBLISHes to `topic`, payload `${tag}:${i}` (+ padding), without waiting for any PUBACK. */
  burst(topic: string, tag: string, count: number, pad = 0): void {
    const chunk: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      chunk.push(
        mqttPacket.generate({
          cmd: 'publish',
          topic,
          payload: Buffer.from(`${tag}:${i}${pad ? ':' + 'x'.repeat(pad) : ''}`),
          qos: 1,
          messageId: (i % 65535) + 1,
          retain: false,
          dup: false,
        }),
      );
      if (chunk.length === 256 || i === count - 1) this.socket.write(Buffer.concat(chunk.splice(0)));
    }
  }

  /** Resolves once `n` PUBACKs arrived in total. */
  acks(n: number, timeoutMs: number): Promise<void> {
    return withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (this.acked >= n) {
            this.#onAck = this.#onAck.filter((f) => f !== check);
            resolve();
          }
        };
        this.#onAck.push(check);
        check();
      }),
      timeoutMs,
      () => `${this.acked} of ${n} PUBACKs`,
    );
  }
}

export class AckingSubscriber {
  readonly payloads = new Set<string>();
  received = 0;
  /** PUBLISHes not acknowledged yet (autoAck off). */
  readonly unacked: number[] = [];
  #waiters: Array<() => void> = [];

  socket!: net.Socket;

  private constructor(public autoAck: boolean) {}

  static async connect(
    port: number,
    clientId: string,
    topic: string,
    opts: { autoAck: boolean; clean?: boolean },
  ): Promise<AckingSubscriber> {
    // made first: a resumed session sends its messages right after CONNACK
    const self = new AckingSubscriber(opts.autoAck);
    let subacked: () => void = () => {};
    const suback = new Promise<void>((r) => (subacked = r));
    const socket = await connectRaw(port, clientId, opts.clean ?? true, (p, raw) => {
      if (p.cmd === 'suback') subacked();
      if (p.cmd !== 'publish') return;
      self.received++;
      self.payloads.add(p.payload.toString());
      if (p.qos > 0) {
        if (self.autoAck) raw.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId }));
        else self.unacked.push(p.messageId ?? 0);
      }
      for (const fn of self.#waiters) fn();
    });
    self.socket = socket;
    socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] }));
    await withTimeout(suback, 10_000, `SUBACK for ${clientId}`);
    return self;
  }

  /** Acknowledge everything received so far. */
  ackAll(): void {
    for (const id of this.unacked.splice(0)) this.socket.write(mqttPacket.generate({ cmd: 'puback', messageId: id }));
  }

  /** Resolves once `n` distinct payloads arrived. */
  distinct(n: number, timeoutMs: number): Promise<void> {
    return this.until(
      () => this.payloads.size >= n,
      timeoutMs,
      () => `${this.payloads.size} of ${n} messages`,
    );
  }

  until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (done()) {
            this.#waiters = this.#waiters.filter((f) => f !== check);
            resolve();
          }
        };
        this.#waiters.push(check);
        check();
      }),
      timeoutMs,
      what,
    );
  }
}
