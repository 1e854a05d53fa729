/** The raw-socket MQTT 3.1.1 client of the bridge drain bench (bench/bridge-drain.ts): no library between it and the socket. */
import { connect, type Socket } from 'node:net';
import { FrameWalker } from '../src/bench/frame-walker.js';
import { PACKET, connectPacket, subscribePacket } from '../src/bench/packets.js';

const PAYLOAD_SIZE = 16;

/** A raw-socket MQTT 3.1.1 client: QoS 1 subscriber that records message indexes, or QoS 1 publisher. */
export class RawClient {
  readonly seen: Uint8Array;
  received = 0;
  duplicates = 0;
  lastAt = 0;
  acked = 0;
  #socket!: Socket;
  #onConnack?: () => void;
  #onSuback?: () => void;
  #onAck?: () => void;

  constructor(messages: number) {
    this.seen = new Uint8Array(messages);
  }

  get distinct(): number {
    return this.received - this.duplicates;
  }

  async connect(port: number, clientId: string, clean: boolean): Promise<void> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    this.#socket = socket;
    const walker = new FrameWalker({
      onFrame: (first, buf, start, end) => this.#frame(first, buf, start, end),
    });
    socket.on('data', (chunk: Buffer) => {
      const before = this.received;
      walker.push(chunk);
      if (this.received !== before) this.lastAt = Date.now(); // arrival time per chunk, not per message
      // one write per chunk for all its PUBACKs, built straight from the packet ids
      const n = this.#ackIds.length;
      if (n > 0) {
        const acks = Buffer.allocUnsafe(4 * n);
        for (let i = 0; i < n; i++) {
          const id = this.#ackIds[i];
          acks[4 * i] = PACKET.PUBACK << 4;
          acks[4 * i + 1] = 2;
          acks[4 * i + 2] = id >> 8;
          acks[4 * i + 3] = id & 0xff;
        }
        this.#ackIds.length = 0;
        socket.write(acks);
      }
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.#onConnack = resolve;
      socket.once('error', reject);
      socket.write(connectPacket({ clientId, version: 4, keepaliveSec: 600, cleanStart: clean }));
    });
  }

  #ackIds: number[] = [];

  #frame(first: number, buf: Buffer, start: number, end: number): void {
    const type = first >> 4;
    if (type === PACKET.CONNACK) this.#onConnack?.();
    else if (type === PACKET.SUBACK) this.#onSuback?.();
    else if (type === PACKET.PUBACK) {
      this.acked++;
      this.#onAck?.();
    } else if (type === PACKET.PUBLISH) {
      const qos = (first >> 1) & 3;
      const topicLen = buf.readUInt16BE(start);
      let p = start + 2 + topicLen;
      if (qos > 0) {
        this.#ackIds.push(buf.readUInt16BE(p));
        p += 2;
      }
      const index = end - p >= 4 ? buf.readUInt32BE(p) : -1;
      this.received++;
      if (index >= 0 && index < this.seen.length) {
        if (this.seen[index]) this.duplicates++;
        else this.seen[index] = 1;
      }
    }
  }

  subscribe(filter: string): Promise<void> {
    return new Promise((resolve) => {
      this.#onSuback = resolve;
      this.#socket.write(subscribePacket(1, filter, 1, 4));
    });
  }

  /** Publish `count` QoS 1 messages `bench/drain/<i % 10>` with the index in the payload, `window` unacknowledged. */
  async publish(count: number, window: number): Promise<void> {
    let next = 0;
    const frame = (i: number): Buffer => {
      const topic = Buffer.from(`bench/drain/${i % 10}`);
      const body = 2 + topic.length + 2 + PAYLOAD_SIZE;
      const b = Buffer.alloc(2 + body);
      b[0] = (PACKET.PUBLISH << 4) | 0x02;
      b[1] = body; // < 128
      b.writeUInt16BE(topic.length, 2);
      topic.copy(b, 4);
      b.writeUInt16BE((i % 65535) + 1, 4 + topic.length);
      b.writeUInt32BE(i, 6 + topic.length);
      return b;
    };
    await new Promise<void>((resolve) => {
      const fill = () => {
        const out: Buffer[] = [];
        while (next < count && next - this.acked < window) out.push(frame(next++));
        if (out.length) this.#socket.write(Buffer.concat(out));
        if (this.acked >= count) resolve();
      };
      this.#onAck = fill;
      fill();
    });
  }

  close(): void {
    this.#socket.end(Buffer.from([PACKET.DISCONNECT << 4, 0]));
  }
}
