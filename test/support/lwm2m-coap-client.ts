/**
 * An LwM2M device for e2e tests that shares no code with the gateway: CoAP is node-coap (the `coap` package, a
 * server and an agent on one UDP socket, as a real client registers from the port it is reached on), and the
 * content formats are written here from the specifications (SenML JSON RFC 8428 §4-5, SenML CBOR RFC 8428 §6 via
 * cborg, LwM2M TLV TS 1.1 Core §7.4.3, link format RFC 6690). It answers Read/Observe in the format the server's
 * Accept asks for and records every request with that Accept, so tests can check what the server asked for.
 */
import { encode as cborEncode } from 'cborg';
import { Agent, createServer, request, type IncomingMessage, type OutgoingMessage, type Server } from 'coap';
import type { AddressInfo } from 'node:net';

export type DeviceValue = number | string | boolean;

/** Content-Format names node-coap uses ↔ numbers (RFC 7252 §12.3, TS 1.1 Core Table 7.4-1). */
const FORMAT_NUMBER: Record<string, number> = {
  'text/plain': 0,
  'application/link-format': 40,
  'application/octet-stream': 42,
  'application/senml+json': 110,
  'application/senml+cbor': 112,
  'application/vnd.oma.lwm2m+tlv': 11542,
  'application/vnd.oma.lwm2m+json': 11543,
  'application/vnd.oma.lwm2m+cbor': 11544,
};
const FORMAT_NAME = Object.fromEntries(Object.entries(FORMAT_NUMBER).map(([k, v]) => [v, k])) as Record<number, string>;

export interface SeenRequest {
  method: string;
  path: string;
  query: string[];
  /** Accept of the request as a number (undefined when the server sent none). */
  accept?: number;
  contentFormat?: number;
  observe?: number;
  payload: Buffer;
}

export interface CoapDeviceOptions {
  /** LwM2M version it registers with. */
  lwm2m: '1.0' | '1.1' | '1.2';
  /** Content formats declared with `ct` on the root link (1.1, TS 1.1 Core §6.2.1). */
  ct?: number[];
  /**
   * An unanswered request gets an empty ACK after this long and its answer later as a separate response
   * (RFC 7252 §5.2.2). Default 60 s: in practice piggybacked, so held answers keep the request unacknowledged.
   */
  emptyAckAfterMs?: number;
  /** SenML answers carry this base time (`bt`, RFC 8428 §4.5.3) on their first record. */
  baseTime?: number;
}

const int = (n: number): boolean => Number.isInteger(n);

/** One TLV entry (TS 1.1 Core §7.4.3): type byte, identifier (8/16 bit), length (in the type or 8/16/24 bit). */
function tlv(kind: 0 | 1 | 2 | 3, id: number, value: Buffer): Buffer {
  const idBytes = id > 0xff ? 2 : 1;
  const len = value.length;
  const lenBytes = len < 8 ? 0 : len <= 0xff ? 1 : len <= 0xffff ? 2 : 3;
  const head = Buffer.alloc(1 + idBytes + lenBytes);
  head[0] = (kind << 6) | ((idBytes - 1) << 5) | (lenBytes << 3) | (lenBytes === 0 ? len : 0);
  head.writeUIntBE(id, 1, idBytes);
  if (lenBytes > 0) head.writeUIntBE(len, 1 + idBytes, lenBytes);
  return Buffer.concat([head, value]);
}

function tlvValue(v: DeviceValue): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'boolean') return Buffer.from([v ? 1 : 0]);
  if (int(v)) {
    // §7.4.3: Integer as 1, 2, 4 or 8 byte two's complement
    for (const size of [1, 2, 4]) {
      const lim = 2 ** (size * 8 - 1);
      if (v >= -lim && v < lim) {
        const b = Buffer.alloc(size);
        b.writeIntBE(v, 0, size);
        return b;
      }
    }
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    return b;
  }
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b;
}

/** SenML JSON records → [full name, value] (RFC 8428 §4.6: a base name applies until the next one). */
export function senmlJsonRecords(payload: Buffer): Array<[string, DeviceValue]> {
  let bn = '';
  return (JSON.parse(payload.toString('utf8')) as Array<Record<string, unknown>>).map((r) => {
    if (typeof r.bn === 'string') bn = r.bn;
    const value = (r.v ?? r.vs ?? r.vb) as DeviceValue;
    return [bn + (typeof r.n === 'string' ? r.n : ''), value];
  });
}

export class CoapLwm2mDevice {
  private server?: Server;
  private agent?: Agent;
  readonly seen: SeenRequest[] = [];
  private readonly waiters: Array<{ pred: (r: SeenRequest) => boolean; resolve: (r: SeenRequest) => void }> = [];
  /** "/3303/0/5700" → value; the type follows the JS value (integer → Integer, other number → Float). */
  readonly resources = new Map<string, DeviceValue>();
  private readonly observers = new Map<string, { res: OutgoingMessage; accept?: number }>();
  /** When set, requests are recorded but their answers wait for `answerHeld()` (no empty ACK meanwhile). */
  hold = false;
  private readonly held: Array<{ mid: string; answer: () => void }> = [];
  /** Requests for these paths are recorded and never answered (no ACK either): a device that lost them. */
  readonly neverAnswer = new Set<string>();
  /** Message ids held or never answered: a retransmission of one is the same request (RFC 7252 §4.5), not recorded again. */
  private readonly unanswered = new Set<string>();
  location?: string;

  constructor(
    private readonly serverPort: number,
    readonly options: CoapDeviceOptions,
  ) {}

  async open(): Promise<void> {
    const piggybackReplyMs = this.options.emptyAckAfterMs ?? 60_000;
    const server = createServer({ piggybackReplyMs }, (req, res) => this.onRequest(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.agent = new Agent({ type: 'udp4', socket: server._sock as never });
  }

  get port(): number {
    return ((this.server?._sock as { address(): AddressInfo } | undefined)?.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const o of this.observers.values()) o.res.end();
    this.observers.clear();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private send(method: 'POST' | 'DELETE', pathname: string, query: string, body?: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({
        hostname: '127.0.0.1',
        port: this.serverPort,
        method,
        pathname,
        query,
        agent: this.agent,
        confirmable: true,
      });
      if (body !== undefined) req.setOption('Content-Format', 'application/link-format');
      req.on('response', (res: IncomingMessage) => resolve(res));
      req.on('error', reject);
      req.end(body === undefined ? undefined : Buffer.from(body));
    });
  }

  /** Register (TS 1.1 Core §6.2.1); resolves with the response code ("2.01"). */
  async register(ep: string, query: string[] = [], objects = '</1/0>,</3/0>,</3303/0>'): Promise<string> {
    const ct = this.options.ct?.length ? `;ct="${this.options.ct.join(' ')}"` : '';
    const links = `</>;rt="oma.lwm2m"${ct},${objects}`;
    const res = await this.send('POST', '/rd', [`ep=${ep}`, `lwm2m=${this.options.lwm2m}`, ...query].join('&'), links);
    const loc = (res._packet.options ?? []).filter((o) => o.name === 'Location-Path').map((o) => String(o.value));
    if (loc.length === 2) this.location = loc[1];
    return res.code;
  }

  async update(query: string[] = [], objects?: string): Promise<string> {
    return (await this.send('POST', `/rd/${this.location}`, query.join('&'), objects)).code;
  }

  /** Resolves with the first recorded (or next) server request matching `pred`. */
  request(pred: (r: SeenRequest) => boolean, timeoutMs = 10_000): Promise<SeenRequest> {
    const got = this.seen.find(pred);
    if (got) return Promise.resolve(got);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('expected server request did not arrive')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Sends the held answers, oldest first. */
  answerHeld(): void {
    for (const h of this.held.splice(0)) {
      this.unanswered.delete(h.mid);
      h.answer();
    }
  }

  /** A notification of an observed path with its current values, in the format of the Observe's Accept. */
  notify(path: string): boolean {
    const o = this.observers.get(path);
    if (!o) return false;
    const body = this.encode(path, o.accept);
    if (!body) return false;
    o.res.setOption('Content-Format', FORMAT_NAME[body.format]!);
    o.res.write(body.payload);
    return true;
  }

  private records(path: string): Array<[string, DeviceValue]> {
    return [...this.resources].filter(([k]) => k === path || k.startsWith(path + '/'));
  }

  /** The values under `path` in `accept` (or the version's default), or undefined for 4.06 Not Acceptable. */
  private encode(path: string, accept?: number): { format: number; payload: Buffer } | undefined {
    const recs = this.records(path);
    const segments = path.split('/').filter((s) => s !== '');
    const single = segments.length === 3 && recs.length === 1 && recs[0]![0] === path;
    const format = accept ?? (single ? 0 : this.options.lwm2m === '1.0' ? 11542 : 110);
    switch (format) {
      case 0:
        return single ? { format, payload: Buffer.from(String(recs[0]![1])) } : undefined;
      case 110:
      case 112: {
        // RFC 8428 §4.5.1: the first record carries the base name; names resolve to the full resource path
        const base = path.endsWith('/') ? path : path + '/';
        const pack = recs.map(([k, v], i) => {
          const name = single ? '' : k.slice(base.length);
          const bn = single ? k : base;
          const value = typeof v === 'string' ? { vs: v } : typeof v === 'boolean' ? { vb: v } : { v };
          const bt = i === 0 && this.options.baseTime !== undefined ? { bt: this.options.baseTime } : {};
          return { ...(i === 0 ? { bn } : {}), ...bt, ...(name ? { n: name } : {}), ...value };
        });
        if (format === 110) return { format, payload: Buffer.from(JSON.stringify(pack)) };
        // RFC 8428 §6 Table 6: bn -2, bt -3, n 0, v 2, vs 3, vb 4
        const labels: Record<string, number> = { bn: -2, bt: -3, n: 0, v: 2, vs: 3, vb: 4 };
        const maps = pack.map((r) => new Map(Object.entries(r).map(([k, v]) => [labels[k]!, v])));
        return { format, payload: Buffer.from(cborEncode(maps)) };
      }
      case 11542: {
        // TS 1.1 Core §7.4.3: an instance is its resources; a resource is one "resource with value" entry
        if (segments.length < 2) return undefined;
        const entries = recs.map(([k, v]) => tlv(3, Number(k.split('/')[3]), tlvValue(v)));
        return { format, payload: Buffer.concat(entries) };
      }
      case 11543: {
        // TS 1.0 §6.4.4 LwM2M JSON: base name plus entries named relative to it
        const base = single ? path.slice(0, path.lastIndexOf('/') + 1) : path.endsWith('/') ? path : path + '/';
        const e = recs.map(([k, v]) => {
          const value = typeof v === 'string' ? { sv: v } : typeof v === 'boolean' ? { bv: v } : { v };
          return { n: k.slice(base.length), ...value };
        });
        return { format, payload: Buffer.from(JSON.stringify({ bn: base, e })) };
      }
      case 11544: {
        // TS 1.2 §7.4.6 LwM2M CBOR: nested maps from the root, one level per path id
        const root = new Map<number, unknown>();
        for (const [k, v] of recs) {
          const ids = k
            .split('/')
            .filter((x) => x !== '')
            .map(Number);
          let m = root;
          for (const id of ids.slice(0, -1)) {
            if (!m.has(id)) m.set(id, new Map<number, unknown>());
            m = m.get(id) as Map<number, unknown>;
          }
          m.set(ids.at(-1)!, v);
        }
        return { format, payload: Buffer.from(cborEncode(root)) };
      }
      default:
        return undefined;
    }
  }

  private onRequest(req: IncomingMessage, res: OutgoingMessage): void {
    // node-coap hands a retransmission to the handler again until the answer is sent
    const mid = `${req.rsinfo.address}:${req.rsinfo.port}#${req._packet.messageId}`;
    if (this.unanswered.has(mid)) return;
    const [pathPart, queryPart] = req.url.split('?');
    const path = pathPart!.replace(/\/+$/, '') || '/';
    const acceptName = req.headers.Accept as string | undefined;
    const cfName = req.headers['Content-Format'] as string | undefined;
    const seen: SeenRequest = {
      method: req.method,
      path,
      query: queryPart ? queryPart.split('&') : [],
      accept: acceptName === undefined ? undefined : (FORMAT_NUMBER[acceptName] ?? -1),
      contentFormat: cfName === undefined ? undefined : (FORMAT_NUMBER[cfName] ?? -1),
      observe: req.headers.Observe as number | undefined,
      payload: req.payload,
    };
    this.seen.push(seen);
    for (const w of [...this.waiters])
      if (w.pred(seen)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(seen);
      }
    const answer = (): void => this.answer(req, res, seen);
    if (this.neverAnswer.has(path)) this.unanswered.add(mid);
    else if (this.hold) {
      this.unanswered.add(mid);
      this.held.push({ mid, answer });
    } else answer();
  }

  private answer(req: IncomingMessage, res: OutgoingMessage, q: SeenRequest): void {
    const reply = (code: string, format?: number, payload?: Buffer): void => {
      res.code = code;
      if (format !== undefined) res.setOption('Content-Format', FORMAT_NAME[format]!);
      res.end(payload);
    };
    const depth = q.path.split('/').filter((s) => s !== '').length;
    const known = this.records(q.path).length > 0;
    if (q.method === 'GET') {
      if (!known) return reply('4.04');
      if (q.accept === 40) {
        // TS 1.1 Core §6.3.2 Discover: the target and the resources under it
        const links = [q.path, ...this.records(q.path).map(([k]) => k)].filter((k, i, a) => a.indexOf(k) === i);
        return reply('2.05', 40, Buffer.from(links.map((k) => `<${k}>`).join(',')));
      }
      const body = this.encode(q.path, q.accept);
      if (!body) return reply('4.06'); // TS 1.1 Core §6.3.1: a format it cannot produce
      if (q.observe === 0) {
        this.observers.set(q.path, { res, accept: q.accept });
        res.setOption('Content-Format', FORMAT_NAME[body.format]!);
        res.write(body.payload); // RFC 7641 §4.2: the first notification is the response
        return;
      }
      if (q.observe === 1) {
        this.observers.get(q.path)?.res.end();
        this.observers.delete(q.path);
      }
      return reply('2.05', body.format, body.payload);
    }
    if (q.method === 'PUT') {
      if (!known) return reply('4.04');
      if (q.query.length === 0 && q.contentFormat === 0 && depth === 3) {
        const old = this.resources.get(q.path);
        const text = q.payload.toString('utf8');
        this.resources.set(q.path, typeof old === 'number' ? Number(text) : text);
      }
      return reply('2.04'); // write, write-attr (TS 1.1 Core §6.3.3, §6.3.4)
    }
    if (q.method === 'POST') {
      if (depth === 1) {
        // TS 1.1 Core §6.3.6 Create: the new instance's resources (SenML JSON read here), Location-Path back
        const created = q.contentFormat === 110 ? senmlJsonRecords(q.payload) : [];
        const used = new Set(this.records(q.path).map(([k]) => k.split('/')[2]));
        let id = created[0]?.[0].split('/')[2];
        if (id === undefined) for (let n = 0; id === undefined; n++) if (!used.has(String(n))) id = String(n);
        for (const [k, v] of created) this.resources.set(k, v);
        res.setOption('Location-Path', [Buffer.from(q.path.slice(1)), Buffer.from(id)] as never);
        return reply('2.01');
      }
      if (!known) return reply('4.04');
      // §6.3.3 Write (partial update) on an instance: apply a SenML JSON body; otherwise Execute (§6.3.5)
      if (depth === 2 && q.contentFormat === 110)
        for (const [k, v] of senmlJsonRecords(q.payload)) this.resources.set(k, v);
      return reply('2.04');
    }
    if (q.method === 'DELETE') {
      if (!known || depth !== 2) return reply(known ? '4.05' : '4.04'); // §6.3.8: only instances
      for (const [k] of this.records(q.path)) this.resources.delete(k);
      return reply('2.02');
    }
    reply('4.05');
  }
}
