/**
 * Shared pieces of the bridge e2e tests: a bridge config, an upstream collector with a persistent session on
 * mosquitto (so nothing the bridge delivers is missed, whenever it connects), bulk local publishing and an
 * order/duplicate report of what arrived.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { HubConfigInput } from '../../src/config/schema.js';
import { startMosquitto, type MosquittoInstance, type MosquittoOptions } from '../support/mosquitto.js';
import { connectClient, withTimeout } from '../support/clients.js';

type Obj = Record<string, unknown>;

/** `bridges.mqtt.cloud` as in config/examples/bridge.conf, with fast reconnects for tests. */
export function bridgeInput(servers: string[], over: Obj = {}): HubConfigInput {
  return {
    node: { name: 'edge1' },
    bridges: {
      mqtt: {
        cloud: {
          servers,
          proto_ver: 'v5',
          clientid: 'protohub-edge1',
          reconnect: { initial: '50ms', max: '300ms' },
          connect_timeout: '2s',
          forwards: [{ local: 'sensors/#', remote: 'edge/edge1/{topic}', qos: 1 }],
          subscriptions: [{ remote: 'cloud/edge1/cmd/{rest*}', local: 'cmd/{rest*}', qos: 1 }],
          ...over,
        },
      },
    },
  } as HubConfigInput;
}

/**
 * Mosquitto with persistence, and a collector session (clean start off, never expires) subscribed to `filter`
 * before the bridge can reach it: the broker queues everything for the collector even while it is offline.
 */
export async function upstreamWithCollector(
  filter: string,
  opts: MosquittoOptions = {},
): Promise<{ mosq: MosquittoInstance; collector: Collector }> {
  const mosq = await startMosquitto({ persistence: true, ...opts });
  const collector = await Collector.connect(mosq.url, filter);
  return { mosq, collector };
}

export class Collector {
  readonly messages: Array<{ topic: string; payload: string; properties?: Obj; retain: boolean }> = [];
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  client?: MqttClient;

  static async connect(url: string, filter: string): Promise<Collector> {
    const c = new Collector();
    await c.reconnect(url);
    await c.client!.subscribeAsync(filter, { qos: 1 });
    return c;
  }

  async reconnect(url: string): Promise<void> {
    this.client?.end(true);
    this.client = await connectClient(
      url,
      { clientId: 'collector', clean: false, properties: { sessionExpiryInterval: 0xffffffff } },
      (client) => {
        client.on('message', (topic, payload, packet) => {
          this.messages.push({
            topic,
            payload: payload.toString(),
            properties: packet.properties as Obj | undefined,
            retain: packet.retain,
          });
          this.#waiters = this.#waiters.filter((w) => (this.messages.length >= w.n ? (w.resolve(), false) : true));
        });
      },
    );
  }

  /** Resolves once `n` messages arrived in total (event-driven; the timeout only turns a hang into a failure). */
  waitCount(n: number, timeoutMs = 60_000): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => this.#waiters.push({ n, resolve })),
      timeoutMs,
      `collector expected ${n} messages, has ${this.messages.length}`,
    );
  }

  /** Resolves once `n` different payloads arrived (duplicates do not count). */
  waitDistinct(n: number, timeoutMs = 60_000): Promise<void> {
    const distinct = () => new Set(this.messages.map((m) => m.payload)).size;
    return withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (distinct() >= n) {
            this.client?.off('message', check);
            resolve();
          }
        };
        this.client?.on('message', check);
        check();
      }),
      timeoutMs,
      `collector expected ${n} distinct messages, has ${distinct()}`,
    );
  }

  close(): void {
    this.client?.end(true);
  }
}

/** Publish `count` QoS 1 messages `sensors/s/<i>` with payload `<i>` to the hub and await every PUBACK. */
export async function publishMany(
  url: string,
  from: number,
  count: number,
  topic = (i: number) => `sensors/s/${i % 10}`,
): Promise<void> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    clientId: `pub-${from}-${Date.now()}`,
  });
  try {
    // MQTT.js does not honour the server's Receive Maximum ([MQTT-3.3.4-9]); keep at most 32 unacknowledged
    const window = Math.min(32, client.options.properties?.receiveMaximum ?? 32);
    let next = from;
    const worker = async () => {
      while (next < from + count) {
        const i = next++;
        await client.publishAsync(topic(i), String(i), { qos: 1 });
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
  } finally {
    await client.endAsync();
  }
}

export interface ArrivalReport {
  distinct: number;
  missing: number[];
  duplicates: number;
  /** First arrivals are in increasing order. */
  firstArrivalsInOrder: boolean;
  /**
   * Fewest increasing runs the first arrivals split into: 1 = strict order; 2 = backlog and live traffic
   * interleaved, each in order (what a drain while publishing produces).
   */
  interleavedStreams: number;
}

export function arrivalReport(payloads: string[], expected: number[]): ArrivalReport {
  const seen = new Set<number>();
  const firsts: number[] = [];
  let duplicates = 0;
  for (const p of payloads) {
    const n = Number(p);
    if (seen.has(n)) duplicates++;
    else {
      seen.add(n);
      firsts.push(n);
    }
  }
  return {
    distinct: seen.size,
    missing: expected.filter((n) => !seen.has(n)),
    duplicates,
    firstArrivalsInOrder: firsts.every((n, i) => i === 0 || n > firsts[i - 1]),
    interleavedStreams: increasingChains(firsts),
  };
}

/** Greedy (optimal) cover by increasing chains: each value extends the chain with the largest smaller tail. */
function increasingChains(values: number[]): number {
  const tails: number[] = [];
  for (const v of values) {
    let best = -1;
    for (let i = 0; i < tails.length; i++) if (tails[i] < v && (best < 0 || tails[i] > tails[best])) best = i;
    if (best < 0) tails.push(v);
    else tails[best] = v;
  }
  return tails.length;
}

export const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
