/**
 * A CoapEndpoint (the sans-IO message layer of one CoAP gateway instance) wired to a stub broker, a fake clock and
 * an outbox, for tests that drive exact datagram sequences and timer ticks without sockets. The stub broker keeps
 * what the endpoint does to it (publishes, subscriptions, acks) so a test can check that no message is lost.
 */
import { CoapEndpoint } from '../../gateways/coap/endpoint.js';
import { peerAddress } from '../../gateways/coap/channel.js';
import { decodeCoap, encodeCoap } from '../../gateways/coap/codec.js';
import { coapConfigSchema } from '../../gateways/coap/schema.js';
import type { CoapMessage, CoapOption } from '../../gateways/coap/message.js';
import type { EndpointPorts } from '../../gateways/coap/core.js';

export interface StubDelivery {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  acked: boolean;
}

export interface Sent {
  to: string;
  msg: CoapMessage;
  bytes: Buffer;
}

type Handler = { onDelivery(d: unknown): void; onClose(reason: string): void };

export function stubEndpoint(
  cfg: Record<string, unknown> = {},
  /** publishFails: every publish rejects with this error code; holdPublishes: publishes wait for `st.accept`. */
  broker: { publishFails?: string; holdPublishes?: boolean } = {},
) {
  const config = coapConfigSchema.parse({ bind: '127.0.0.1:0', ...cfg });
  const st = {
    now: 1_000_000,
    sent: [] as Sent[],
    dropped: {} as Record<string, number>,
    events: {} as Record<string, number>,
    published: [] as { clientId: string; topic: string; payload: Buffer; qos: number }[],
    subscribed: [] as string[],
    unsubscribed: [] as string[],
    deliveries: [] as StubDelivery[],
    handlers: [] as Handler[],
    /** Whether each session (in connect order) is closed: like the broker's, an ack after that is a no-op. */
    sessionClosed: [] as (() => boolean)[],
    clientIds: [] as string[],
    logs: 0,
    /** Sessions closed normally (close) and lost (lose: will published), by client id. */
    closed: [] as string[],
    lost: [] as string[],
    /** Held publishes (holdPublishes): resolve = the broker accepted (durably), reject = the store write failed. */
    accept: [] as { resolve: () => void; reject: (code: string) => void }[],
  };
  const metrics = {
    dropped: (reason: string, n = 1) => void (st.dropped[reason] = (st.dropped[reason] ?? 0) + n),
    socketEvent: (event: string) => void (st.events[event] = (st.events[event] ?? 0) + 1),
    message() {},
    tableSize() {},
    peers() {},
  };
  const logger = {
    debug: () => void st.logs++,
    info() {},
    warn: () => void st.logs++,
    error: () => void st.logs++,
    trace() {},
    child: () => logger,
  };
  const devices = {
    connect: (req: { clientId: string; handler: Handler }) => {
      st.handlers.push(req.handler);
      st.clientIds.push(req.clientId);
      const session = {
        closed: false,
        info: {},
        readRetained: () => ({ ok: true, message: { payload: Buffer.alloc(3000, 'r') } }),
        startDelivery() {},
        publish: (p: { topic: string; payload: Buffer; qos: number }) => {
          if (broker.publishFails) {
            const err = Object.assign(new Error('store write failed'), { code: broker.publishFails });
            return Promise.reject(err);
          }
          if (broker.holdPublishes)
            return new Promise<{ matched: number }>((resolve, reject) =>
              st.accept.push({
                resolve: () => (st.published.push({ clientId: req.clientId, ...p }), resolve({ matched: 1 })),
                reject: (code) => reject(Object.assign(new Error('store write failed'), { code })),
              }),
            );
          st.published.push({ clientId: req.clientId, ...p });
          return Promise.resolve({ matched: 1 });
        },
        subscribe: (subs: { filter: string }[]) =>
          subs.map((s) => (st.subscribed.push(s.filter), { ok: true as const, qos: 1 })),
        unsubscribe: (filters: string[]) => filters.map((f) => (st.unsubscribed.push(f), true)),
        setWill: () => ({ ok: true as const }),
        touch() {},
        setKeepAlive() {},
        sleep() {},
        wake() {},
        close() {
          session.closed = true;
          st.closed.push(req.clientId);
        },
        lose() {
          session.closed = true;
          st.lost.push(req.clientId);
        },
      };
      st.sessionClosed.push(() => session.closed);
      return Promise.resolve({ ok: true, sessionPresent: false, session });
    },
  };
  const ports = {
    devices,
    send: (peer: { key: string }, bytes: Buffer) => st.sent.push({ to: peer.key, msg: decodeCoap(bytes), bytes }),
    metrics,
    logger,
    now: () => st.now,
  } as unknown as EndpointPorts;
  const ep = new CoapEndpoint(config, ports);
  let mid = 100;

  /** A request from 127.0.0.1:`port`; options are sorted for the codec. */
  function request(
    port: number,
    code: number,
    path: string[],
    opts: {
      query?: string[];
      extra?: CoapOption[];
      payload?: Buffer;
      type?: 'CON' | 'NON';
      token?: Buffer;
      messageId?: number;
      address?: string;
    } = {},
  ): CoapMessage {
    const options = [
      ...path.map((p) => ({ number: 11, value: Buffer.from(p, 'latin1') })),
      ...(opts.query ?? []).map((q) => ({ number: 15, value: Buffer.from(q) })),
      ...(opts.extra ?? []),
    ].sort((a, b) => a.number - b.number);
    const msg: CoapMessage = {
      type: opts.type ?? 'CON',
      code,
      messageId: opts.messageId ?? (mid = (mid + 1) & 0xffff),
      token: opts.token ?? Buffer.from([port & 0xff, mid & 0xff]),
      options,
      payload: opts.payload ?? Buffer.alloc(0),
    };
    ep.receive(peerAddress(opts.address ?? '127.0.0.1', port), encodeCoap(msg));
    return msg;
  }

  function empty(port: number, type: 'ACK' | 'RST', messageId: number): void {
    const bytes = encodeCoap({
      type,
      code: 0,
      messageId,
      token: Buffer.alloc(0),
      options: [],
      payload: Buffer.alloc(0),
    });
    ep.receive(peerAddress('127.0.0.1', port), bytes);
  }

  /** The broker delivers a message to the i-th device session that connected. */
  function deliver(i: number, topic: string, payload: string, qos: 0 | 1 | 2 = 1): StubDelivery {
    const d: StubDelivery = { topic, payload, qos, acked: false };
    st.deliveries.push(d);
    st.handlers[i]!.onDelivery({
      topic,
      payload: Buffer.from(payload),
      qos,
      retain: false,
      dup: false,
      ack: () => void (st.sessionClosed[i]!() || (d.acked = true)),
    });
    return d;
  }

  /** Let the stub broker's promises settle. */
  const flush = () => new Promise((r) => setTimeout(r, 0));

  /** Advance the clock in steps, ticking the endpoint's timers. */
  function advance(ms: number, step = 100): void {
    for (let t = 0; t < ms; t += step) {
      st.now += step;
      ep.tick();
    }
  }

  return { ep, st, request, empty, deliver, flush, advance };
}

export const observeOpt = (v: number): CoapOption => ({ number: 6, value: v ? Buffer.from([v]) : Buffer.alloc(0) });
export const codeText = (c: number) => `${c >> 5}.${String(c & 31).padStart(2, '0')}`;
