/**
 * A small LwM2M device for the tests, over real UDP on loopback, built on the CoAP gateway's codec: it registers,
 * updates and deregisters (TS 1.1 Core §6.2), serves Read/Write/Execute/Observe on an in-memory resource table
 * (text/plain for resources, TLV for instances), and can send notifications or stay silent.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  Method,
  Opt,
  Rsp,
  decodeCoap,
  encodeCoap,
  encodeUint,
  optionValues,
  uintOption,
  type CoapMessage,
  type CoapOption,
} from '../../gateways/coap/index.js';
import { ObjectRegistry } from '../../gateways/lwm2m/objects.js';
import { parsePath } from '../../gateways/lwm2m/path.js';
import { encodeTlv } from '../../gateways/lwm2m/tlv.js';
import type { Lwm2mValue } from '../../gateways/lwm2m/values.js';

const registry = ObjectRegistry.load();

/**
 * The values the format and HTTP tests read, in this insertion order (instance reads list them in it): Device (3)
 * manufacturer, battery level, reboot (empty); Temperature (3303) value and unit.
 */
export function seedSampleResources(resources: { set(path: string, value: string | number): unknown }): void {
  resources.set('/3/0/0', 'ACME');
  resources.set('/3/0/9', 87);
  resources.set('/3/0/4', '');
  resources.set('/3303/0/5700', 21.5);
  resources.set('/3303/0/5701', 'Cel');
}

export interface ReceivedRequest {
  method: number;
  path: string;
  query: string[];
  payload: Buffer;
  contentFormat?: number;
  /** The Accept option: the format the server asked for. */
  accept?: number;
  observe?: number;
}

/** Observe sequence numbers start here (RFC 7641 §4.4 lets them start anywhere), so tests can tell them apart. */
const OBSERVE_SEQ_START = 40;

export class Lwm2mTestClient {
  private socket?: Socket;
  private mid = 1;
  private tokenSeq = 1;
  private readonly waiting = new Map<string, (m: CoapMessage) => void>();
  private readonly observers = new Map<string, { token: Buffer; seq: number }>();
  readonly requests: ReceivedRequest[] = [];
  private readonly requestWaiters: Array<{
    pred: (r: ReceivedRequest) => boolean;
    resolve: (r: ReceivedRequest) => void;
  }> = [];
  /** "/3303/0/5700" → value. */
  readonly resources = new Map<string, Lwm2mValue>();
  /** Raw answers by path (a lying payload, an unknown format), used instead of the resource table. */
  readonly raw = new Map<string, { format: number; payload: Buffer }>();
  /** When true, requests from the server are ignored (no ACK, no response). */
  silent = false;
  location?: string;

  constructor(private readonly serverPort: number) {}

  async open(): Promise<void> {
    const s = createSocket('udp4');
    this.socket = s;
    s.on('message', (buf) => this.onMessage(buf));
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private sendRaw(m: CoapMessage): void {
    this.socket?.send(encodeCoap(m), this.serverPort, '127.0.0.1');
  }

  /** A CON request to the server; resolves with the (piggybacked) response. */
  request(
    code: number,
    path: string[],
    query: string[] = [],
    payload = Buffer.alloc(0),
    timeoutMs = 10_000,
  ): Promise<CoapMessage> {
    const token = Buffer.alloc(4);
    token.writeUInt32BE(this.tokenSeq++, 0);
    const options: CoapOption[] = [
      ...path.map((p) => ({ number: Opt.UriPath, value: Buffer.from(p) })),
      ...(payload.length > 0 ? [{ number: Opt.ContentFormat, value: encodeUint(40) }] : []),
      ...query.map((q) => ({ number: Opt.UriQuery, value: Buffer.from(q) })),
    ].sort((a, b) => a.number - b.number);
    const p = new Promise<CoapMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${path.join('/')}`)), timeoutMs);
      this.waiting.set(token.toString('hex'), (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    this.sendRaw({ type: 'CON', code, messageId: this.mid++ & 0xffff, token, options, payload });
    return p;
  }

  async register(
    ep: string | undefined,
    query: string[] = [],
    links = '</>;rt="oma.lwm2m",</1/0>,</3/0>,</3303/0>',
  ): Promise<CoapMessage> {
    const q = [...(ep === undefined ? [] : [`ep=${ep}`]), ...query];
    const r = await this.request(Method.POST, ['rd'], q, Buffer.from(links));
    const loc = optionValues(r, Opt.LocationPath).map((v) => v.toString());
    if (loc.length > 0) this.location = loc[1];
    return r;
  }

  update(query: string[] = [], links?: string): Promise<CoapMessage> {
    return this.request(Method.POST, ['rd', this.location!], query, links ? Buffer.from(links) : Buffer.alloc(0));
  }

  deregister(): Promise<CoapMessage> {
    return this.request(Method.DELETE, ['rd', this.location!]);
  }

  /** Resolves with the next (or an already received) server request matching `pred`. */
  nextRequest(pred: (r: ReceivedRequest) => boolean, timeoutMs = 10_000): Promise<ReceivedRequest> {
    const seen = this.requests.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('expected server request did not arrive')), timeoutMs);
      this.requestWaiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Sends a notification for an observed path with the current values (CON, RFC 7641 §4.2). */
  notify(path: string): boolean {
    const o = this.observers.get(path);
    if (!o) return false;
    o.seq++;
    const { format, payload } = this.content(path);
    this.sendRaw({
      type: 'CON',
      code: Rsp.Content,
      messageId: this.mid++ & 0xffff,
      token: o.token,
      options: [
        { number: Opt.Observe, value: encodeUint(o.seq) },
        { number: Opt.ContentFormat, value: encodeUint(format) },
      ],
      payload,
    });
    return true;
  }

  private content(path: string): { format: number; payload: Buffer } {
    const raw = this.raw.get(path);
    if (raw) return raw;
    const p = parsePath(path);
    if (p.resourceId !== undefined) return { format: 0, payload: Buffer.from(String(this.resources.get(path))) };
    const records = [...this.resources]
      .filter(([k]) => k.startsWith(path + '/'))
      .map(([k, value]) => ({ path: k, value }));
    return { format: 11542, payload: encodeTlv(records, p, registry.typeOf) };
  }

  private onMessage(buf: Buffer): void {
    const m = decodeCoap(buf);
    if (m.code >> 5 >= 2) {
      this.waiting.get(m.token.toString('hex'))?.(m);
      this.waiting.delete(m.token.toString('hex'));
      return;
    }
    if (m.code === 0) return; // ACK / RST of our notifications
    if (this.silent) return;
    const path =
      '/' +
      optionValues(m, Opt.UriPath)
        .map((v) => v.toString())
        .join('/');
    const req: ReceivedRequest = {
      method: m.code,
      path,
      query: optionValues(m, Opt.UriQuery).map((v) => v.toString()),
      payload: m.payload,
      contentFormat: uintOption(m, Opt.ContentFormat),
      accept: uintOption(m, Opt.Accept),
      observe: uintOption(m, Opt.Observe),
    };
    this.requests.push(req);
    const answer = (code: number, options: CoapOption[] = [], payload: Buffer = Buffer.alloc(0)): void =>
      this.sendRaw({ type: 'ACK', code, messageId: m.messageId, token: m.token, options, payload });
    const known = this.raw.has(path) || [...this.resources.keys()].some((k) => k === path || k.startsWith(path + '/'));
    if (!known) answer(Rsp.NotFound);
    else if (m.code === Method.GET) {
      if (req.observe === 0) this.observers.set(path, { token: m.token, seq: OBSERVE_SEQ_START });
      if (req.observe === 1) this.observers.delete(path);
      if (uintOption(m, Opt.Accept) === 40) {
        // Discover (TS 1.1 Core §6.3.2): the path and the resources under it as link format
        const links = [path, ...[...this.resources.keys()].filter((k) => k.startsWith(path + '/'))].map(
          (k) => `<${k}>`,
        );
        answer(Rsp.Content, [{ number: Opt.ContentFormat, value: encodeUint(40) }], Buffer.from(links.join(',')));
        return;
      }
      const { format, payload } = this.content(path);
      const obs = req.observe === 0 ? [{ number: Opt.Observe, value: encodeUint(0) }] : [];
      answer(Rsp.Content, [...obs, { number: Opt.ContentFormat, value: encodeUint(format) }], payload);
    } else if (m.code === Method.PUT) {
      if (req.contentFormat === 0) this.resources.set(path, m.payload.toString());
      answer(Rsp.Changed);
    } else answer(m.code === Method.DELETE ? Rsp.Deleted : Rsp.Changed);
    for (const w of [...this.requestWaiters]) {
      if (w.pred(req)) {
        this.requestWaiters.splice(this.requestWaiters.indexOf(w), 1);
        w.resolve(req);
      }
    }
  }
}
