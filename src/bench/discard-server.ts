/**
 * The generator's own yardstick: a minimal "broker" that accepts CONNECT → CONNACK, grants every SUBSCRIBE,
 * acks QoS 1/2, and otherwise swallows bytes. QoS 0 PUBLISHes are relayed to subscribers (so latency mode can
 * measure the generator's own round trip); with `flood` it instead streams QoS 0 PUBLISHes to every subscriber
 * as fast as the socket takes them (the receiver's ceiling). Not an MQTT broker: no topic matching.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameWalker, type FrameVisitor } from './frame-walker.js';
import { CONNACK_OK_V4, CONNACK_OK_V5, PACKET, publishTemplate } from './packets.js';

export interface DiscardOptions {
  host: string;
  port: number;
  flood: boolean;
  payloadSize: number;
}

class PeerVisitor implements FrameVisitor {
  version = 4;
  out: Buffer[] = [];

  constructor(
    private readonly server: DiscardServer,
    private readonly socket: Socket,
  ) {}

  onFrame(firstByte: number, buf: Buffer, bodyStart: number, end: number): void {
    const type = firstByte >> 4;
    if (type === PACKET.PUBLISH) {
      this.server.received++;
      const qos = (firstByte >> 1) & 3;
      if (qos === 0) return this.server.relay(buf.subarray(bodyStart - headerLength(end - bodyStart), end));
      const p = bodyStart + 2 + ((buf[bodyStart] << 8) | buf[bodyStart + 1]);
      this.out.push(Buffer.from([(qos === 1 ? PACKET.PUBACK : PACKET.PUBREC) << 4, 2, buf[p], buf[p + 1]]));
    } else if (type === PACKET.CONNECT) {
      this.version = buf[bodyStart + 6]; // protocol level after the "MQTT" name (3.1.1 §3.1.2.2)
      this.out.push(this.version === 5 ? CONNACK_OK_V5 : CONNACK_OK_V4);
    } else if (type === PACKET.SUBSCRIBE) {
      const v5 = this.version === 5;
      const granted = buf[end - 1] & 3;
      this.out.push(
        Buffer.from(
          v5
            ? [0x90, 4, buf[bodyStart], buf[bodyStart + 1], 0, granted]
            : [0x90, 3, buf[bodyStart], buf[bodyStart + 1], granted],
        ),
      );
      this.server.addSubscriber(this.socket, this.version === 5);
    } else if (type === PACKET.PUBREL) {
      this.out.push(Buffer.from([PACKET.PUBCOMP << 4, 2, buf[bodyStart], buf[bodyStart + 1]]));
    } else if (type === PACKET.PINGREQ) {
      this.out.push(Buffer.from([PACKET.PINGRESP << 4, 0]));
    }
  }
}

/** Bytes buffered per relay subscriber before frames are dropped (a slow reader must not grow memory). */
const RELAY_BUFFER_LIMIT = 8 * 1024 * 1024;

function headerLength(remaining: number): number {
  return 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4);
}

export class DiscardServer {
  received = 0;
  private server: Server | null = null;
  private readonly subscribers = new Set<Socket>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: DiscardOptions) {}

  async start(): Promise<number> {
    if (this.server) return this.port();
    const server = createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return this.port();
  }

  port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /** Relayed frames not written because that subscriber already had RELAY_BUFFER_LIMIT bytes waiting. */
  relayDropped = 0;

  relay(frame: Buffer): void {
    for (const s of this.subscribers) {
      if (s.writableLength > RELAY_BUFFER_LIMIT) this.relayDropped++;
      else s.write(frame);
    }
  }

  addSubscriber(socket: Socket, v5: boolean): void {
    if (!this.opts.flood) {
      this.subscribers.add(socket);
      return;
    }
    const one = publishTemplate('bench/flood', Buffer.alloc(this.opts.payloadSize, 0x62), 0, v5 ? 5 : 4).bytes;
    const batch = Buffer.concat(Array.from({ length: 256 }, () => one));
    const pump = (): void => {
      while (!socket.destroyed && socket.write(batch));
    };
    socket.on('drain', pump);
    setImmediate(pump); // after the SUBACK leaves
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const visitor = new PeerVisitor(this, socket);
    const walker = new FrameWalker(visitor);
    socket.on('data', (chunk: Buffer) => {
      try {
        walker.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      if (visitor.out.length > 0) {
        socket.write(visitor.out.length === 1 ? visitor.out[0] : Buffer.concat(visitor.out));
        visitor.out = [];
      }
    });
    socket.on('error', () => undefined); // peers vanish mid-run by design
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.subscribers.delete(socket);
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
