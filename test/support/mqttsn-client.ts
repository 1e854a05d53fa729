/**
 * A real MQTT-SN 1.2 client over UDP for tests and the benchmark (Debian ships none). It speaks through the
 * gateway's own codec (gateways/mqttsn/codec.ts), which the codec's property tests cover independently.
 * Deliveries are acknowledged automatically: REGISTER → REGACK, PUBLISH QoS 1 → PUBACK, QoS 2 → PUBREC/PUBCOMP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decode, encode } from '../../gateways/mqttsn/codec.js';
import {
  shortName,
  type Flags,
  type Frame,
  type FrameOf,
  type SnQoS,
  type TopicIdType,
} from '../../gateways/mqttsn/frames.js';

export interface SnMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: SnQoS;
  readonly retain: boolean;
}

export interface SnClientOptions {
  readonly port: number;
  readonly host?: string;
  /** Wrap every frame in a forwarder encapsulation with this wireless node id (MQTT-SN 1.2 §5.5). */
  readonly forwarderNodeId?: Buffer;
  /** Answer a gateway REGISTER with this return code (0 accepts). */
  readonly regackCode?: 0 | 1 | 2 | 3;
  /** Predefined topic ids the client knows (to name incoming messages). */
  readonly predefined?: Record<number, string>;
}

/** MQTT-SN flags with every bit clear except cleanSession, overridden by `x`. */
export const snFlags = (x: Partial<Flags> = {}): Flags => ({
  dup: false,
  qos: 0,
  retain: false,
  will: false,
  cleanSession: true,
  topicIdType: 0,
  ...x,
});

export class MqttSnTestClient {
  readonly messages: SnMessage[] = [];
  readonly received: Frame[] = [];
  readonly topics = new Map<number, string>();
  #socket: Socket;
  #waiters: { match: (fr: Frame) => boolean; resolve: (fr: Frame) => void }[] = [];
  #msgId = 0;
  #opts: SnClientOptions;

  private constructor(socket: Socket, opts: SnClientOptions) {
    this.#socket = socket;
    this.#opts = opts;
    socket.on('message', (buf) => this.#receive(buf));
  }

  static async open(opts: SnClientOptions): Promise<MqttSnTestClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, host === '::1' ? '::1' : '127.0.0.1', resolve));
    return new MqttSnTestClient(socket, { ...opts, host });
  }

  get localPort(): number {
    return this.#socket.address().port;
  }

  send(frame: Frame): void {
    const wire: Frame = this.#opts.forwarderNodeId
      ? { type: 'ENCAPSULATED', radius: 1, nodeId: this.#opts.forwarderNodeId, inner: frame }
      : frame;
    this.sendRaw(encode(wire));
  }

  sendRaw(bytes: Buffer): void {
    this.#socket.send(bytes, this.#opts.port, this.#opts.host);
  }

  /** The next frame (already received or arriving) that matches; rejects after timeoutMs. */
  next<T extends Frame['type']>(
    type: T,
    timeoutMs = 10_000,
    match: (fr: FrameOf<T>) => boolean = () => true,
  ): Promise<FrameOf<T>> {
    const ok = (fr: Frame): fr is FrameOf<T> => fr.type === type && match(fr as FrameOf<T>);
    const i = this.received.findIndex(ok);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0] as FrameOf<T>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match: ok,
        resolve: (fr: Frame) => {
          clearTimeout(timer);
          resolve(fr as FrameOf<T>);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  async connect(
    clientId: string,
    o: { duration?: number; cleanSession?: boolean; will?: { topic: string; message: string; qos?: SnQoS } } = {},
  ): Promise<number> {
    this.send({
      type: 'CONNECT',
      flags: snFlags({ will: !!o.will, cleanSession: o.cleanSession ?? true }),
      protocolId: 1,
      duration: o.duration ?? 60,
      clientId,
    });
    if (o.will) {
      await this.next('WILLTOPICREQ');
      this.send({ type: 'WILLTOPIC', flags: snFlags({ qos: o.will.qos ?? 0 }), topic: o.will.topic });
      await this.next('WILLMSGREQ');
      this.send({ type: 'WILLMSG', message: Buffer.from(o.will.message) });
    }
    return (await this.next('CONNACK')).returnCode;
  }

  async register(topic: string): Promise<number> {
    const msgId = this.#nextId();
    this.send({ type: 'REGISTER', topicId: 0, msgId, topic });
    const ack = await this.next('REGACK', 10_000, (a) => a.msgId === msgId);
    if (ack.returnCode !== 0) throw new Error(`REGACK ${ack.returnCode}`);
    this.topics.set(ack.topicId, topic);
    return ack.topicId;
  }

  /** PUBLISH; resolves with the PUBACK return code for QoS 1 (0 for QoS 0 / -1, PUBCOMP for QoS 2). */
  async publish(
    topicId: number,
    payload: Buffer | string,
    o: { qos?: SnQoS; idType?: TopicIdType; retain?: boolean } = {},
  ): Promise<number> {
    const qos = o.qos ?? 0;
    const msgId = qos > 0 ? this.#nextId() : 0;
    this.send({
      type: 'PUBLISH',
      flags: snFlags({ qos, topicIdType: o.idType ?? 0, retain: o.retain ?? false, cleanSession: false }),
      topicId,
      msgId,
      data: Buffer.from(payload),
    });
    if (qos === 1) return (await this.next('PUBACK', 10_000, (a) => a.msgId === msgId)).returnCode;
    if (qos === 2) {
      await this.next('PUBREC', 10_000, (a) => a.msgId === msgId);
      this.send({ type: 'PUBREL', msgId });
      await this.next('PUBCOMP', 10_000, (a) => a.msgId === msgId);
    }
    return 0;
  }

  /** Send a QoS 1 PUBLISH without waiting (the benchmark keeps many in flight across clients). */
  publishNoWait(topicId: number, payload: Buffer, idType: TopicIdType = 0): number {
    const msgId = this.#nextId();
    this.send({
      type: 'PUBLISH',
      flags: snFlags({ qos: 1, topicIdType: idType, cleanSession: false }),
      topicId,
      msgId,
      data: payload,
    });
    return msgId;
  }

  async subscribe(topic: string, qos: SnQoS = 1): Promise<FrameOf<'SUBACK'>> {
    const msgId = this.#nextId();
    this.send({ type: 'SUBSCRIBE', flags: snFlags({ qos }), msgId, topic });
    return this.next('SUBACK', 10_000, (a) => a.msgId === msgId);
  }

  async sleep(duration: number): Promise<void> {
    this.send({ type: 'DISCONNECT', duration });
    await this.next('DISCONNECT');
  }

  async disconnect(): Promise<void> {
    this.send({ type: 'DISCONNECT' });
    await this.next('DISCONNECT');
  }

  /** Resolves when `n` messages arrived in total. */
  async waitMessages(n: number, timeoutMs = 10_000): Promise<SnMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.messages.length} of ${n} messages within ${timeoutMs} ms`);
      await this.next('PUBLISH', Math.max(1, deadline - Date.now())).catch(() => undefined);
    }
    return this.messages;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #nextId(): number {
    this.#msgId = this.#msgId >= 0xffff ? 1 : this.#msgId + 1;
    return this.#msgId;
  }

  #receive(buf: Buffer): void {
    let fr: Frame;
    try {
      fr = decode(buf);
    } catch {
      return;
    }
    if (fr.type === 'ENCAPSULATED') fr = fr.inner;
    this.#autoAck(fr);
    const w = this.#waiters.find((x) => x.match(fr));
    if (w) {
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve(fr);
    } else if (fr.type !== 'PUBLISH' || this.#waiters.length > 0 || this.received.length < 10_000) {
      this.received.push(fr);
    }
  }

  #autoAck(fr: Frame): void {
    if (fr.type === 'REGISTER') {
      const rc = this.#opts.regackCode ?? 0;
      if (rc === 0) this.topics.set(fr.topicId, fr.topic);
      this.send({ type: 'REGACK', topicId: fr.topicId, msgId: fr.msgId, returnCode: rc });
    } else if (fr.type === 'PUBLISH') {
      const t = fr.flags.topicIdType;
      const topic =
        t === 2
          ? shortName(fr.topicId)
          : t === 1
            ? (this.#opts.predefined?.[fr.topicId] ?? `#${fr.topicId}`)
            : (this.topics.get(fr.topicId) ?? `?${fr.topicId}`);
      if (!fr.flags.dup || !this.messages.some((m) => m.payload.equals(fr.data) && m.topic === topic)) {
        this.messages.push({ topic, payload: fr.data, qos: fr.flags.qos, retain: fr.flags.retain });
      }
      if (fr.flags.qos === 1) this.send({ type: 'PUBACK', topicId: fr.topicId, msgId: fr.msgId, returnCode: 0 });
      if (fr.flags.qos === 2) this.send({ type: 'PUBREC', msgId: fr.msgId });
    } else if (fr.type === 'PUBREL') {
      this.send({ type: 'PUBCOMP', msgId: fr.msgId });
    }
  }
}
