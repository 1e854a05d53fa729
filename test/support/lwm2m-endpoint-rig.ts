/**
 * A sans-IO Lwm2mEndpoint on a fake clock, with fake device sessions that record what they publish and hand the
 * test each endpoint's command delivery function. Datagrams the endpoint sends are decoded and kept, so a test
 * plays the device by answering them with `receive`. No sockets, no broker: for unit and property tests.
 */
import { Method, Opt, decodeCoap, encodeCoap, type CoapMessage, type CoapOption } from '../../gateways/coap/index.js';
import { Lwm2mEndpoint } from '../../gateways/lwm2m/endpoint.js';
import { ObjectRegistry } from '../../gateways/lwm2m/objects.js';
import { lwm2mConfigSchema } from '../../gateways/lwm2m/schema.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { Metrics } from '../../src/metrics.js';

export interface Peer {
  key: string;
  address: string;
  port: number;
}

export const peerAt = (port: number): Peer => ({ key: `127.0.0.1:${port}`, address: '127.0.0.1', port });

export interface Published {
  ep: string;
  topic: string;
  payload: string;
}

let objects: ObjectRegistry | undefined;

export class EndpointRig {
  readonly sent: { peer: string; message: CoapMessage; bytes: Buffer }[] = [];
  readonly published: Published[] = [];
  readonly delivers = new Map<string, (payload: string) => void>();
  readonly acked: string[] = [];
  readonly logs: { level: string; obj: unknown; msg: string }[] = [];
  readonly ep: Lwm2mEndpoint;
  private readonly metrics = new Metrics();
  now = 1_000_000;
  private mid = 1000;

  constructor(config: Record<string, unknown> = {}) {
    objects ??= ObjectRegistry.load([]);
    const log =
      (level: string) =>
      (obj: unknown, msg: string): void => {
        this.logs.push({ level, obj, msg });
      };
    this.ep = new Lwm2mEndpoint(lwm2mConfigSchema.parse({ bind: '127.0.0.1:0', ...config }), objects, {
      devices: {
        connect: async (req: { clientId: string; handler: { onDelivery: (d: unknown) => void } }) => {
          this.delivers.set(req.clientId, (payload) =>
            req.handler.onDelivery({ payload: Buffer.from(payload), ack: () => this.acked.push(payload) }),
          );
          const published = this.published;
          return {
            ok: true,
            session: {
              closed: false,
              subscribe() {},
              startDelivery() {},
              close() {
                this.closed = true;
              },
              publish: async (m: { topic: string; payload: Buffer }) => {
                published.push({ ep: req.clientId, topic: m.topic, payload: m.payload.toString() });
              },
            },
          };
        },
      } as never,
      send: (peer, bytes) => this.sent.push({ peer: peer.key, message: decodeCoap(bytes), bytes }),
      metrics: new GatewayMetrics(this.metrics, 'lwm2m.t'),
      logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') } as never,
      now: () => this.now,
    });
  }

  dropped(reason: string): Promise<number> {
    return this.metrics.value('protohub_gateway_dropped_total', { gateway: 'lwm2m.t', reason });
  }

  /** Registers `ep` from `peer`; resolves with the registration location id. */
  async register(ep: string, peer: Peer, query: string[] = ['lt=300'], links = '</3/0>,</5/0>'): Promise<string> {
    const m = this.request(peer, Method.POST, ['rd'], [`ep=${ep}`, ...query], links);
    await this.settle();
    const reply = this.sent.find((s) => s.peer === peer.key && s.message.messageId === m.messageId)!.message;
    return reply.options
      .filter((o) => o.number === Opt.LocationPath)
      .map((o) => o.value.toString())
      .join('/');
  }

  request(peer: Peer, code: number, path: string[], query: string[] = [], payload = ''): CoapMessage {
    const options: CoapOption[] = [
      ...path.map((s) => ({ number: Opt.UriPath, value: Buffer.from(s) })),
      ...query.map((s) => ({ number: Opt.UriQuery, value: Buffer.from(s) })),
    ];
    const m: CoapMessage = {
      type: 'CON',
      code,
      messageId: this.mid++ & 0xffff,
      token: Buffer.from([this.mid & 0xff]),
      options,
      payload: Buffer.from(payload),
    };
    this.ep.receive(peer, encodeCoap(m));
    return m;
  }

  /** Lets the endpoint's promise chains (registration, publishes) run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }

  /** Requests (CON with a method code) the server sent to `peer`. */
  requestsTo(peer: Peer): CoapMessage[] {
    return this.sent.filter((s) => s.peer === peer.key && s.message.type === 'CON').map((s) => s.message);
  }

  /** Piggybacked answer to `req` (ACK with its message id and token). */
  answer(peer: Peer, req: CoapMessage, code: number, payload = '', options: CoapOption[] = []): void {
    this.ep.receive(
      peer,
      encodeCoap({
        type: 'ACK',
        code,
        messageId: req.messageId,
        token: req.token,
        options,
        payload: Buffer.from(payload),
      }),
    );
  }

  results(ep: string, topic = 'up/resp'): Record<string, unknown>[] {
    return this.published
      .filter((p) => p.ep === ep && p.topic === topic)
      .map((p) => JSON.parse(p.payload) as Record<string, unknown>);
  }

  tick(advanceMs = 0): void {
    this.now += advanceMs;
    this.ep.tick();
  }
}
