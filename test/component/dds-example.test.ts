import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.js';
import { GatewayManager } from '../../src/gateway/manager.js';
import { Hub } from '../../src/hub.js';
import { silentLogger } from '../../src/logger.js';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import { describeWithPeers } from '../support/peers.js';
import { compileDdsPeer, DdsPeer, randomDomain } from './dds-peer-helper.js';

const peers: DdsPeer[] = [];
let hub: Hub | undefined;
let manager: GatewayManager | undefined;
let url = '';
const domain = randomDomain(2);

async function startExample(): Promise<void> {
  const file = fileURLToPath(new URL('../../config/examples/dds.conf', import.meta.url));
  const { config, sources } = loadConfig(file, {
    env: {},
    overrides: {
      'listeners.tcp.default.bind': '127.0.0.1:0',
      'http.enable': false,
      'gateways.dds.shapes.domain_id': domain,
    },
  });
  hub = new Hub({ ...config, gateways: { dds: {} } as typeof config.gateways });
  await hub.start();
  manager = new GatewayManager({
    config: config.gateways,
    broker: hub.broker,
    logger: silentLogger(),
    metrics: hub.metrics,
    baseDir: dirname(file),
    resolveFile: (path, n) => sources.resolveFile(path, n),
  });
  await manager.start();
  url = `mqtt://127.0.0.1:${hub.address('tcp').port}`;
  await eventually(() => manager?.health()[0]?.state === 'running', 'dds gateway running', 30_000);
}

afterEach(() => {
  closeAllClients();
  for (const p of peers.splice(0)) p.kill();
});
afterAll(async () => {
  await manager?.stop();
  await hub?.stop();
});

describeWithPeers(['cyclonedds', 'cc'], 'config/examples/dds.conf with Cyclone DDS C peers', () => {
  beforeAll(async () => {
    compileDdsPeer();
    await startExample();
  }, 60_000);

  it('Cyclone writer of Square → MQTT dds/Square/ORANGE, JSON at QoS 1 with sample info; dispose → empty retained', async () => {
    const app = await connectV5(url);
    await subscribe(app, 'dds/Square/#', { qos: 1 });
    // 3 samples, then dds_writedispose: one more valid sample and the dispose
    const got = collect(app, 5, { timeoutMs: 30_000 });
    const writer = DdsPeer.start(domain, ['shape-write', 'Square', 'ORANGE', '3', '1']);
    peers.push(writer);
    const msgs = await got;
    expect(msgs.map((m) => m.topic)).toEqual(Array(5).fill('dds/Square/ORANGE'));
    expect(msgs.slice(0, 3).map((m) => JSON.parse(m.payload.toString()) as unknown)).toEqual([
      { color: 'ORANGE', x: 0, y: 0, shapesize: 30 },
      { color: 'ORANGE', x: 1, y: 2, shapesize: 30 },
      { color: 'ORANGE', x: 2, y: 4, shapesize: 30 },
    ]);
    expect(msgs[0].packet.qos).toBe(1);
    const props = msgs[0].packet.properties?.userProperties as Record<string, string>;
    expect(props['dds-source-timestamp']).toMatch(/^\d+$/);
    expect(props['dds-writer-guid']).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(msgs[3].payload.toString())).toEqual({ color: 'ORANGE', x: 0, y: 0, shapesize: 0 });
    // the dispose: an empty message, retained so it clears the instance's retained value
    expect(msgs[4].payload.length).toBe(0);
    expect((msgs[4].packet.properties?.userProperties as Record<string, string>)['dds-instance-state']).toBe(
      'NOT_ALIVE_DISPOSED',
    );
  });

  it('MQTT JSON on dds/cmd/Triangle → DDS Triangle read by a Cyclone reader; empty payload on …/BLUE disposes', async () => {
    // room for duplicates: the resend loop below may deliver the first sample more than once before it stops
    const reader = DdsPeer.start(domain, ['shape-read', 'Triangle', '20']);
    peers.push(reader);
    await reader.waitLines((l) => l === 'ready');
    const app = await connectV5(url);
    const dead: string[] = [];
    await subscribe(app, '$hub/dlq/#', { qos: 1 });
    app.on('message', (_t, _p, pk) => dead.push(JSON.stringify(pk.properties?.userProperties)));
    // discovery takes a moment and a volatile writer drops what it wrote before matching: resend until it arrives
    await reader
      .resendUntil(
        (l) => l.startsWith('sample'),
        () => app.publish('dds/cmd/Triangle', JSON.stringify({ color: 'BLUE', x: 7, y: 8 }), { qos: 1 }),
        'sample at the Cyclone reader',
        30_000,
      )
      .catch((err: Error) => {
        throw new Error(`${err.message}; dead letters: ${dead.slice(0, 2).join(' ')}; peer: ${reader.stderr}`);
      });
    expect(reader.lines.find((l) => l.startsWith('sample'))).toBe('sample BLUE 7 8 0');
    app.publish('dds/cmd/Triangle/BLUE', Buffer.alloc(0), { qos: 1 });
    // Pins a Cyclone DDS 0.10 bug (docs/gateways/dds.md, "Disposes from the hub to Cyclone DDS 0.10"): the dispose
    // arrives, but Cyclone reads the key-only XCDR2 payload of an @appendable type without its DHEADER, so the
    // DHEADER (9) becomes the string length and the key "\x05\0\0\0BLUE". If this now says "disposed BLUE", the
    // peer's Cyclone decodes the DHEADER (fixed in 11.0): update the docs and expect BLUE here.
    const [disposed] = await reader.waitLines((l) => l.startsWith('disposed '));
    expect(disposed).toBe('disposed \\x05');
  });

  it('a JSON sample that does not fit ShapeType goes to $hub/dlq/dds.shapes with the reason', async () => {
    const app = await connectV5(url);
    await subscribe(app, '$hub/dlq/#', { qos: 1 });
    const got = collect(app, 3, { timeoutMs: 30_000 });
    app.publish('dds/cmd/Triangle', JSON.stringify({ color: 'RED', x: 'left' }), { qos: 1 });
    app.publish('dds/cmd/Triangle', JSON.stringify({ color: 'RED', x: 2 ** 31 }), { qos: 1 });
    app.publish('dds/cmd/Triangle', JSON.stringify({ color: 'R'.repeat(129) }), { qos: 1 });
    const dead = await got;
    const errors = dead.map((m) => (m.packet.properties?.userProperties as Record<string, string>).error);
    expect(dead.every((m) => m.topic === '$hub/dlq/dds.shapes')).toBe(true);
    expect(errors[0]).toMatch(/x: expected a number, got "left"/);
    expect(errors[1]).toMatch(/2147483648 is out of range for int32/);
    expect(errors[2]).toMatch(/color: string longer than its bound 128/);
  });
});
