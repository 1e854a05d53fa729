/**
 * A raw CoAP endpoint over UDP for the tests libcoap's client cannot express: exact message ids, duplicates,
 * malformed datagrams, withheld ACKs, RSTs, many source ports. Uses the gateway's own codec to build and read.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeCoap, encodeCoap } from '../../gateways/coap/codec.js';
import { Opt, encodeUint, type CoapMessage, type CoapOption } from '../../gateways/coap/message.js';
import { withTimeout } from './clients.js';

export class RawCoap {
  readonly received: CoapMessage[] = [];
  readonly raw: Buffer[] = [];
  private waiters: { pred: (m: CoapMessage) => boolean; resolve: (m: CoapMessage) => void }[] = [];
  private mid = Math.floor(Math.random() * 30000);

  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
    private readonly host: string,
  ) {
    socket.on('message', (bytes) => {
      this.raw.push(bytes);
      let m: CoapMessage;
      try {
        m = decodeCoap(bytes);
      } catch {
        return;
      }
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }

  /** A socket on loopback talking to the gateway at `host`:`port` (`::1` for IPv6). */
  static async open(port: number, host = '127.0.0.1'): Promise<RawCoap> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    return new RawCoap(socket, port, host);
  }

  nextMid(): number {
    this.mid = (this.mid + 1) & 0xffff;
    return this.mid;
  }

  sendBytes(bytes: Buffer): void {
    this.socket.send(bytes, this.port, this.host);
  }

  send(msg: Partial<CoapMessage> & { code: number }): CoapMessage {
    const full: CoapMessage = {
      type: 'CON',
      messageId: this.nextMid(),
      token: Buffer.alloc(0),
      options: [],
      payload: Buffer.alloc(0),
      ...msg,
    };
    this.sendBytes(encodeCoap(full));
    return full;
  }

  /** The first message (already received or future) matching `pred`. */
  next(pred: (m: CoapMessage) => boolean, what: string, timeoutMs = 10_000): Promise<CoapMessage> {
    const have = this.received.find(pred);
    if (have) return Promise.resolve(have);
    return withTimeout(
      new Promise<CoapMessage>((resolve) => this.waiters.push({ pred, resolve })),
      timeoutMs,
      `CoAP: ${what}`,
    );
  }

  close(): void {
    this.socket.close();
  }
}

export function uriOptions(path: string, query: string[] = [], extra: CoapOption[] = []): CoapOption[] {
  return [
    ...extra,
    ...path.split('/').map((p) => ({ number: Opt.UriPath, value: Buffer.from(p) })),
    ...query.map((q) => ({ number: Opt.UriQuery, value: Buffer.from(q) })),
  ].sort((a, b) => a.number - b.number);
}

export const observeOption = (v: number): CoapOption => ({ number: Opt.Observe, value: encodeUint(v) });
