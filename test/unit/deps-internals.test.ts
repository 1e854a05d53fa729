/**
 * One fast check per dependency whose internals the hub touches (issue 9). These packages are pinned exactly in
 * package.json; before raising a pin, run this file: a failure names the package and version that changed the
 * shape, and the hub file whose hack must be re-checked or dropped. Why each hack exists, with its measured
 * gain: docs/performance.md ("What was kept") and the comment where it sits.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const versionOf = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;

/** expect(...) with a message that names the upgrade and the code that relies on the shape. */
function relied(name: string, where: string): (what: string) => string {
  const v = versionOf(name);
  return (what) =>
    `${name}@${v} no longer has ${what}, which ${where} relies on: the upgrade to ${v} broke it; ` +
    `re-check that code (or keep the exact pin in package.json)`;
}

describe('mqtt-packet parser internals (src/broker/connection.ts shared parsers)', () => {
  const why = relied('mqtt-packet', 'src/broker/connection.ts (one parser per protocol version, shared)');

  it('exposes settings, _list and error, and a CONNECT rewrites settings.protocolVersion', async () => {
    const mqttPacket = (await import('mqtt-packet')).default;
    const parser = mqttPacket.parser({ protocolVersion: 4 }) as unknown as {
      settings?: { protocolVersion?: number };
      _list?: { length: number };
      error?: unknown;
      parse(b: Buffer): number;
      on(e: string, f: (...a: unknown[]) => void): void;
    };
    parser.on('error', () => undefined);
    parser.on('packet', () => undefined);
    expect(parser.settings?.protocolVersion, why('Parser#settings.protocolVersion')).toBe(4);
    const connect = mqttPacket.generate({ cmd: 'connect', protocolVersion: 5, clientId: 'x', keepalive: 0 } as never);
    parser.parse(connect);
    // the hub resets settings after every frame because of exactly this adoption
    expect(parser.settings?.protocolVersion, why('CONNECT adopting the client version into Parser#settings')).toBe(5);
    expect(typeof parser._list?.length, why('Parser#_list (a BufferList with length)')).toBe('number');
    parser.parse(connect.subarray(0, 3));
    expect(parser._list?.length, why('Parser#_list keeping an incomplete frame')).toBeGreaterThan(0);
    const broken = mqttPacket.parser({ protocolVersion: 4 }) as unknown as typeof parser;
    broken.on('error', () => undefined);
    broken.parse(Buffer.from([0x00, 0x00])); // packet type 0 is reserved
    expect(broken.error, why('Parser#error set after a malformed frame')).toBeInstanceOf(Error);
  });
});

describe('MQTT.js client internals (src/bridge/fast-publish.ts, src/bridge/bridge.ts)', () => {
  const why = relied('mqtt', 'src/bridge/fast-publish.ts (drain PUBLISH under MQTT.js ids and ack handling)');

  it('has outgoing, outgoingStore.put/del, messageIdProvider.allocate, _storeProcessing(Queue) and stream', async () => {
    const mqtt = (await import('mqtt')).default;
    const c = mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true, reconnectPeriod: 0 }) as unknown as Record<
      string,
      unknown
    > & { connect(): void; end(force: boolean): void; on(e: string, f: () => void): void };
    c.on('error', () => undefined);
    try {
      expect(c.outgoing, why('client.outgoing (id → { volatile, cmd, cb })')).toEqual({});
      const store = c.outgoingStore as { put?: unknown; del?: unknown };
      expect(typeof store.put, why('client.outgoingStore.put')).toBe('function');
      expect(typeof store.del, why('client.outgoingStore.del')).toBe('function');
      const ids = c.messageIdProvider as { allocate?: () => number | null };
      expect(typeof ids.allocate, why('client.messageIdProvider.allocate')).toBe('function');
      expect(c._storeProcessing, why('client._storeProcessing (replay in progress)')).toBe(false);
      expect(c._storeProcessingQueue, why('client._storeProcessingQueue')).toEqual([]);
      c.connect(); // to port 1 on loopback: refused, but the stream object exists at once
      const stream = c.stream as { write?: unknown; writableNeedDrain?: unknown } | undefined;
      expect(typeof stream?.write, why('client.stream (the socket the drain writes to)')).toBe('function');
      expect(typeof stream?.writableNeedDrain, why('client.stream.writableNeedDrain')).toBe('boolean');
    } finally {
      c.end(true);
    }
  });
});

describe('nanomsg internals (gateways/nng/nanomsg.ts DrainingReceiver)', () => {
  const why = relied('nanomsg', 'gateways/nng/nanomsg.ts (batched receive straight from the binding)');

  it('has _bindings.Recv/NN_DONTWAIT and per-socket binding, _receive, _startPollReceive, _stopPollReceive', () => {
    const nanomsg = require('nanomsg') as {
      _bindings?: { Recv?: unknown; NN_DONTWAIT?: unknown };
      socket(type: string): Record<string, unknown> & { close(): void };
    };
    expect(typeof nanomsg._bindings?.Recv, why('_bindings.Recv')).toBe('function');
    expect(typeof nanomsg._bindings?.NN_DONTWAIT, why('_bindings.NN_DONTWAIT')).toBe('number');
    const s = nanomsg.socket('pull');
    try {
      expect(typeof s.binding, why('socket.binding (the native socket number)')).toBe('number');
      for (const m of ['_receive', '_startPollReceive', '_stopPollReceive']) {
        expect(typeof s[m], why(`socket.${m}()`)).toBe('function');
      }
      // the poll callback must look _receive up on the instance at each wake-up for the override to take effect
      const source = String(s._startPollReceive);
      expect(source, why('_startPollReceive calling this._receive()')).toMatch(/_receive\(\)/);
    } finally {
      s.close();
    }
  });
});

describe('rxjs deep import (src/broker/internal-session.ts)', () => {
  const why = relied('rxjs', 'src/broker/internal-session.ts (Observable without the operator index at start-up)');

  it("rxjs/internal/Observable is the same class as the 'rxjs' index exports", async () => {
    const deep = (await import('rxjs/internal/Observable')) as { Observable?: unknown };
    const index = await import('rxjs');
    expect(deep.Observable, why("'rxjs/internal/Observable' exporting the index's Observable")).toBe(index.Observable);
  });
});

describe('zod schema definitions (src/config/schema-walk.ts)', () => {
  const why = relied('zod', 'src/config/schema-walk.ts (config errors and generated docs)');

  it('schema.def carries type, shape, options, innerType, defaultValue, literal values and enum entries', async () => {
    const { z } = await import('zod');
    const def = (s: unknown) => (s as { def: Record<string, unknown> }).def;
    const obj = z.object({ a: z.string() });
    expect(def(obj).type, why('def.type')).toBe('object');
    expect(Object.keys(def(obj).shape as object), why('def.shape')).toEqual(['a']);
    expect((def(z.union([z.string(), z.number()])).options as unknown[]).length, why('def.options')).toBe(2);
    const withDefault = z.number().default(3);
    expect(def(withDefault).type, why("def.type 'default'")).toBe('default');
    expect(def(withDefault).defaultValue, why('def.defaultValue')).toBe(3);
    expect(def(withDefault).innerType, why('def.innerType')).toBeDefined();
    expect(def(z.literal('x')).values, why('literal def.values')).toEqual(['x']);
    expect(def(z.enum(['a', 'b'])).entries, why('enum def.entries')).toEqual({ a: 'a', b: 'b' });
    expect(def(z.string().transform(Number)).type, why("def.type 'pipe'")).toBe('pipe');
  });
});

describe('werift-dtls public API through its deep entry (gateways/coap/dtls-listener.ts)', () => {
  const why = relied(
    'werift-dtls',
    'gateways/coap/dtls-listener.ts (one DtlsServer per CoAP client over a shared UDP socket)',
  );

  it('lib/dtls/src/index.js exports DtlsServer; one handshake and data both ways over in-memory transports', async () => {
    const { readFileSync } = await import('node:fs');
    const { makeEcPki } = await import('../support/coaps-client.js');
    const { dtlsCredentials } = await import('../../gateways/coap/dtls-credentials.js');
    // the package's own "main" (lib/index.js) is not in the published 0.5.8 tarball: the listener imports this path
    const dtls = await import('werift-dtls/lib/dtls/src/index.js');
    expect(typeof dtls.DtlsServer, why("DtlsServer exported from 'werift-dtls/lib/dtls/src/index.js'")).toBe(
      'function',
    );
    const pki = makeEcPki();
    const cred = dtlsCredentials(readFileSync(pki.serverCert, 'utf8'), readFileSync(pki.serverKey, 'utf8'));
    type End = { closed: boolean; onData: (d: Buffer, a: readonly [string, number]) => void };
    const pipe = (to: () => End) => ({
      type: 'udp',
      closed: false,
      address: { address: '127.0.0.1', family: 'IPv4', port: 1 },
      onData: (_d: Buffer, _a: readonly [string, number]): void => undefined,
      send: (d: Buffer) => (setImmediate(() => to().onData(d, ['127.0.0.1', 1])), Promise.resolve()),
      close: () => Promise.resolve(),
    });
    const serverT: ReturnType<typeof pipe> = pipe(() => clientT);
    const clientT: ReturnType<typeof pipe> = pipe(() => serverT);
    const noop = serverT.onData;
    const server = new dtls.DtlsServer({
      cert: cred.certPem,
      key: cred.keyPem,
      signatureHash: cred.signatureHash,
      transport: serverT,
    });
    expect(serverT.onData, why('the DtlsServer taking over transport.onData')).not.toBe(noop);
    for (const e of ['onConnect', 'onData', 'onError', 'onClose'] as const) {
      expect(typeof server[e].subscribe, why(`DtlsServer.${e}.subscribe`)).toBe('function');
      expect(typeof server[e].allUnsubscribe, why(`DtlsServer.${e}.allUnsubscribe`)).toBe('function');
    }
    const client = new dtls.DtlsClient({ transport: clientT });
    const connected = new Promise<void>((r) => server.onConnect.subscribe(() => r()));
    const atServer = new Promise<Buffer>((r) => server.onData.subscribe((b) => r(b)));
    const atClient = new Promise<Buffer>((r) => client.onData.subscribe((b) => r(b)));
    client.onConnect.subscribe(() => void client.send(Buffer.from('ping')));
    client.connect();
    await connected;
    expect(server.cipher.cipherSuite, why('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 with a P-256 key')).toBe(0xc02b);
    expect((await atServer).toString(), why('DtlsServer.onData with the decrypted record')).toBe('ping');
    await server.send(Buffer.from('pong'));
    expect((await atClient).toString(), why('DtlsServer.send encrypting to the client')).toBe('pong');
    serverT.closed = clientT.closed = true;
  });
});
