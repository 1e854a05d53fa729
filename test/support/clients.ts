/**
 * MQTT clients for broker tests: MQTT.js (v5 and v3.1.1) wrapped in promises, and a raw TCP/TLS client built
 * on mqtt-packet for what MQTT.js will not do (malformed frames, DUP, exact reason codes, aliases, flow control).
 * Every client made here is tracked so `closeAllClients()` tears them down after each test.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient, type IPublishPacket, type Packet } from 'mqtt';
import mqttPacket from 'mqtt-packet';

export const DEFAULT_WAIT_MS = 10_000;

const open = new Set<{ close(): void }>();
const connacks = new WeakMap<MqttClient, mqtt.IConnackPacket>();

/** The CONNACK an MQTT.js client made by connectClient() received (properties, sessionPresent). */
export function connackOf(client: MqttClient): mqtt.IConnackPacket {
  const c = connacks.get(client);
  if (!c) throw new Error('client has no recorded CONNACK');
  return c;
}

export type Version = 4 | 5;

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Reject with `message` if `p` has not settled within `ms`: turns a hang into a clear failure. A function
 * message is evaluated at timeout, so it can report what had arrived by then.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${typeof message === 'function' ? message() : message} within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Poll `probe` until it returns true. Only for state that raises no event (metrics, /proc); the deadline
 * turns a hang into a clear failure, it never decides pass/fail on speed.
 */
export async function eventually(
  probe: () => boolean | Promise<boolean>,
  message: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${message}`);
    await delay(20);
  }
}

/**
 * Connect MQTT.js; rejects with the CONNACK error. Auto-reconnect is off unless `reconnectPeriod` is given.
 * `beforeConnect` runs before the CONNECT is sent, to attach listeners (e.g. `collect`) that must not miss
 * messages a resumed session delivers right after CONNACK.
 */
export async function connectClient(
  url: string,
  opts: IClientOptions = {},
  beforeConnect?: (c: MqttClient) => void,
): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, protocolVersion: 5, ...opts });
  beforeConnect?.(client);
  const handle = { close: () => client.end(true) };
  open.add(handle);
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        client.once('connect', (connack) => {
          connacks.set(client, connack);
          resolve();
        });
        client.once('error', reject);
        client.once('close', () => reject(new Error('connection closed before CONNACK')));
      }),
      DEFAULT_WAIT_MS,
      `connect to ${url}`,
    );
  } catch (err) {
    client.end(true);
    open.delete(handle);
    throw err;
  }
  // A later protocol error must not become an unhandled 'error' event that kills the worker.
  client.on('error', () => {});
  return client;
}

export const connectV5 = (url: string, opts: IClientOptions = {}, beforeConnect?: (c: MqttClient) => void) =>
  connectClient(url, { ...opts, protocolVersion: 5 }, beforeConnect);
export const connectV3 = (url: string, opts: IClientOptions = {}, beforeConnect?: (c: MqttClient) => void) =>
  connectClient(url, { ...opts, protocolVersion: 4 }, beforeConnect);

/** The error a refused MQTT.js connect fails with (has `.code` = CONNACK return/reason code). */
export async function connectError(url: string, opts: IClientOptions = {}): Promise<Error & { code?: number }> {
  try {
    const c = await connectClient(url, opts);
    c.end(true);
  } catch (err) {
    return err as Error & { code?: number };
  }
  throw new Error(`connect to ${url} was expected to fail`);
}

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/** Start collecting now; resolves with the first `n` messages (optionally only those matching `filter`). */
export function collect(
  client: MqttClient,
  n: number,
  opts: { timeoutMs?: number; filter?: (m: Received) => boolean } = {},
): Promise<Received[]> {
  const got: Received[] = [];
  let listener: (topic: string, payload: Buffer, packet: IPublishPacket) => void = () => {};
  const done = new Promise<Received[]>((resolve) => {
    listener = (topic, payload, packet) => {
      const m = { topic, payload, packet };
      if (opts.filter && !opts.filter(m)) return;
      got.push(m);
      if (got.length === n) resolve(got);
    };
    client.on('message', listener);
  });
  return withTimeout(
    done,
    opts.timeoutMs ?? DEFAULT_WAIT_MS,
    () => `expected ${n} messages, got ${got.length}`,
  ).finally(() => client.off('message', listener));
}

/**
 * Collect every message until the sentinel arrives (a topic, or a predicate); returns those before it. Used to prove a
 * message was NOT delivered without sleeping: the sentinel is published after it by the same publisher.
 */
export function collectUntil(
  client: MqttClient,
  sentinel: string | ((m: Received) => boolean),
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<Received[]> {
  const isSentinel = typeof sentinel === 'string' ? (m: Received) => m.topic === sentinel : sentinel;
  const got: Received[] = [];
  let listener: (topic: string, payload: Buffer, packet: IPublishPacket) => void = () => {};
  const done = new Promise<Received[]>((resolve) => {
    listener = (topic, payload, packet) => {
      const m = { topic, payload, packet };
      if (isSentinel(m)) resolve(got);
      else got.push(m);
    };
    client.on('message', listener);
  });
  return withTimeout(done, timeoutMs, () => `sentinel not received (got ${got.length} before)`).finally(() =>
    client.off('message', listener),
  );
}

/** Sentinel predicate: a message whose payload is exactly `text`. */
export const payloadIs = (text: string) => (m: Received) => m.payload.toString() === text;

/** Next packet of type `cmd` the client receives (from now on). */
export function nextPacket<T extends Packet = Packet>(
  client: MqttClient,
  cmd: Packet['cmd'],
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<T> {
  let listener: (p: Packet) => void = () => {};
  const got = new Promise<T>((resolve) => {
    listener = (p) => {
      if (p.cmd === cmd) resolve(p as T);
    };
    client.on('packetreceive', listener);
  });
  return withTimeout(got, timeoutMs, `no ${cmd} packet`).finally(() => client.off('packetreceive', listener));
}

/** Resolves when the client's connection closes. */
export function closed(client: MqttClient, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
  if (!client.connected && client.disconnected) return Promise.resolve();
  return withTimeout(new Promise<void>((r) => client.once('close', () => r())), timeoutMs, 'connection not closed');
}

/**
 * Publish many messages keeping at most `window` QoS>0 publishes in flight: MQTT.js 5 ignores the server's
 * Receive Maximum, and the hub (rightly, [MQTT-3.3.4-7]) disconnects a client that exceeds it.
 */
export async function publishMany(
  client: MqttClient,
  topic: string,
  payloads: Array<string | Buffer>,
  opts: mqtt.IClientPublishOptions = { qos: 1 },
  window = 16,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < payloads.length) await client.publishAsync(topic, payloads[next++], opts);
  };
  await Promise.all(Array.from({ length: Math.min(window, payloads.length) }, worker));
}

export async function subscribe(
  client: MqttClient,
  filter: string | string[],
  opts: mqtt.IClientSubscribeOptions = { qos: 1 },
): Promise<mqtt.ISubscriptionGrant[]> {
  return client.subscribeAsync(filter, opts);
}

/** Close the TCP connection without DISCONNECT (an abnormal close, [MQTT-3.1.2-8] will trigger). */
export function dropConnection(client: MqttClient): void {
  client.stream.destroy();
}

/**
 * A bare v3.1.1 socket past its CONNACK (clean session, no keep alive), for tests that read and write raw bytes
 * at volume. Not tracked by closeAllClients.
 */
export function connectBareSocket(port: number, clientId: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () =>
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          keepalive: 0,
          clientId,
        }),
      ),
    );
    s.once('data', (d) =>
      d[0] === 0x20 && d[3] === 0 ? resolve(s) : reject(new Error(`CONNACK ${d.toString('hex')}`)),
    );
    s.once('error', reject);
  });
}

export interface RawOptions {
  version?: Version;
  host?: string;
  tls?: ConnectionOptions;
}

type AnyPacket = Packet & { cmd: string; [k: string]: unknown };

/** A raw MQTT client over one socket: send any packet or bytes, await exact packets, observe the close. */
export class RawClient {
  readonly received: AnyPacket[] = [];
  readonly parseErrors: Error[] = [];
  readonly version: Version;
  readonly closed: Promise<void>;
  #waiters: Array<{ cmd?: string; resolve: (p: AnyPacket) => void }> = [];
  #isClosed = false;
  #raw: Buffer[] = [];

  private constructor(
    readonly socket: Socket,
    version: Version,
  ) {
    this.version = version;
    const parser = mqttPacket.parser({ protocolVersion: version });
    parser.on('packet', (p) => this.#deliver(p as AnyPacket));
    parser.on('error', (e: Error) => this.parseErrors.push(e));
    socket.on('data', (d: Buffer) => {
      this.#raw.push(d);
      parser.parse(d);
    });
    socket.on('error', () => {});
    this.closed = new Promise((r) =>
      socket.once('close', () => {
        this.#isClosed = true;
        r();
      }),
    );
  }

  static async open(port: number, opts: RawOptions = {}): Promise<RawClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = opts.tls ? tlsConnect({ host, port, ...opts.tls }) : netConnect({ host, port });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
        socket.once('error', reject);
      }),
      DEFAULT_WAIT_MS,
      `raw connect to ${port}`,
    );
    const c = new RawClient(socket, opts.version ?? 5);
    open.add(c);
    return c;
  }

  /** Open, send CONNECT (clean start, keep alive 0 by default) and return the CONNACK. */
  static async connect(
    port: number,
    connect: Partial<mqttPacket.IConnectPacket> = {},
    opts: RawOptions = {},
  ): Promise<{ client: RawClient; connack: mqttPacket.IConnackPacket }> {
    const client = await RawClient.open(port, opts);
    const version = opts.version ?? 5;
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: version,
      clean: true,
      keepalive: 0,
      clientId: '',
      ...connect,
    } as mqttPacket.IConnectPacket);
    const connack = await client.next<mqttPacket.IConnackPacket>('connack');
    return { client, connack };
  }

  /** Every byte received so far, for frames mqtt-packet refuses to parse (e.g. DISCONNECT 0x8C). */
  bytes(): Buffer {
    return Buffer.concat(this.#raw);
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(packet: Partial<mqttPacket.Packet> & { cmd: string }): void {
    this.socket.write(mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: this.version }));
  }

  sendBytes(bytes: Buffer | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next received packet (of type `cmd` if given; earlier packets of other types stay queued). */
  next<T = AnyPacket>(cmd?: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    const i = this.received.findIndex((p) => !cmd || p.cmd === cmd);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0] as T);
    if (this.#isClosed)
      return Promise.reject(new Error(`connection closed, no ${cmd ?? 'packet'} (got ${this.#summary()})`));
    const got = new Promise<AnyPacket>((resolve, reject) => {
      this.#waiters.push({ cmd, resolve });
      void this.closed.then(() =>
        reject(new Error(`connection closed while waiting for ${cmd ?? 'a packet'} (got ${this.#summary()})`)),
      );
    });
    return withTimeout(got, timeoutMs, () => `no ${cmd ?? 'packet'} (got ${this.#summary()})`) as Promise<T>;
  }

  /** Wait until the server closes; returns the packets it sent that nobody consumed yet. */
  async waitClose(timeoutMs = DEFAULT_WAIT_MS): Promise<AnyPacket[]> {
    await withTimeout(this.closed, timeoutMs, () => `server did not close the connection (got ${this.#summary()})`);
    return this.received.splice(0);
  }

  end(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
    open.delete(this);
  }

  #deliver(p: AnyPacket): void {
    const i = this.#waiters.findIndex((w) => !w.cmd || w.cmd === p.cmd);
    if (i >= 0) this.#waiters.splice(i, 1)[0].resolve(p);
    else this.received.push(p);
  }

  #summary(): string {
    return this.received.map((p) => p.cmd).join(',') || 'nothing';
  }
}

/** Encode a packet with mqtt-packet (for hand-made corruption). */
export function encode(packet: Partial<mqttPacket.Packet> & { cmd: string }, version: Version = 5): Buffer {
  return mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: version });
}

/** End every client opened through these helpers (afterEach). */
export function closeAllClients(): void {
  for (const c of [...open]) c.close();
  open.clear();
}

export type { MqttClient, IPublishPacket };
