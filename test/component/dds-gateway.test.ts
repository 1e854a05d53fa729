import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ddsConfigSchema } from '../../gateways/dds/schema.js';
import { cborCodec } from '../../src/codecs/cbor.js';
import { DdsGateway } from '../../gateways/dds/instance.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import { REPO_ROOT, startHub, sumMetric, type StartedHub } from '../support/hub.js';
import { describeWithPeers } from '../support/peers.js';
import { tempDir } from '../support/tmp.js';
import { compileDdsPeer, DdsPeer, randomDomain, RtiPeer } from './dds-peer-helper.js';

const peers: DdsPeer[] = [];
let hub: StartedHub | undefined;
const domain = randomDomain(1);
const PEER_IDL = join(REPO_ROOT, 'test/support/dds-peer-types.idl');

// RTI XML types as a user would ship them (the form of ../shared/dds/loopback-xcdr2-profile.xml)
const XML_TYPES = `<dds><types>
  <struct name="ShapeType" extensibility="appendable">
    <member name="color" type="string" stringMaxLength="128" key="true"/>
    <member name="x" type="int32"/><member name="y" type="int32"/><member name="shapesize" type="int32"/>
  </struct>
</types></dds>`;

const MAPPING = `
uplink = [
  { name = "ros", address = "rt/{name*}", topic = "ros/{name*}", qos = 1 }
  { name = "cbor-up", address = "Nonagon/{color}", topic = "cbor/Nonagon/{color}", qos = 1, payload { in = "json", out = "cbor" } }
  { name = "shapes", address = "{topic}/{color}", topic = "dds/{topic}/{color}", qos = 1 }
  { name = "shapes-by-y", address = "{topic}/{color}/{y}", topic = "plant/{y}/{topic}/{color}", qos = 1 }
]
downlink = [
  { name = "ros-cmd", filter = "ros/cmd/{name*}", address = "rt/{name*}", qos = 1 }
  { name = "final-cmd", filter = "shapes/cmd/Heptagon/{color}", address = "Heptagon/{color}", qos = 1 }
  { name = "cbor-down", filter = "cbor/cmd/Nonagon/{color}", address = "Nonagon/{color}", qos = 1, payload { in = "cbor", out = "json" } }
]
`;

const rtiPeers: RtiPeer[] = [];
afterEach(() => {
  closeAllClients();
  for (const p of peers.splice(0)) p.kill();
  for (const p of rtiPeers.splice(0)) p.kill();
});
afterAll(async () => hub?.stop());

describeWithPeers(['cyclonedds', 'cc'], 'DDS gateway against Cyclone DDS C peers', () => {
  beforeAll(async () => {
    compileDdsPeer();
    const dir = tempDir('protohub-dds-');
    writeFileSync(join(dir, 'types.xml'), XML_TYPES);
    writeFileSync(join(dir, 'mapping.conf'), MAPPING);
    hub = await startHub({
      gateways: {
        dds: {
          ros: {
            mapping: join(dir, 'mapping.conf'),
            domain_id: domain,
            dispose: 'event',
            types: { idl: [PEER_IDL] },
            topics: {
              'rt/chatter': { type: 'std_msgs::msg::dds_::String_', direction: 'uplink' },
              'rt/echo': { type: 'std_msgs::msg::dds_::String_', direction: 'downlink' },
              Square: { type: 'ShapeType', durability: 'transient_local', partitions: ['plant1', 'plant2'] },
              Triangle: { type: 'ShapeType', address_fields: ['y'] },
              Heptagon: { type: 'FinalShape', direction: 'downlink' },
              Nonagon: { type: 'ShapeType', direction: 'both' },
              'rt/wild/*': { type: 'std_msgs::msg::dds_::String_' },
              'Wild*': { type: 'ShapeType' },
            },
          },
          xml: {
            domain_id: domain,
            types: { xml: [join(dir, 'types.xml')] },
            topics: {
              Circle: { type: 'ShapeType', reliability: 'best_effort' },
              Pentagon: { type: 'ShapeType' },
              Hexagon: { type: 'ShapeType', direction: 'downlink' },
              Octagon: { type: 'ShapeType', direction: 'both' },
              Decagon: { type: 'ShapeType', direction: 'downlink', reliability: 'best_effort' },
            },
          },
        },
      },
    } as never);
  }, 60_000);

  it('ROS 2 naming: a Cyclone std_msgs::msg::dds_::String_ writer on rt/chatter → MQTT ros/chatter', async () => {
    const app = await connectV5(hub!.url);
    await subscribe(app, 'ros/#', { qos: 1 });
    const got = collect(app, 1, { timeoutMs: 30_000 });
    const writer = DdsPeer.start(domain, ['string-write', 'rt/chatter', 'hello ros']);
    peers.push(writer);
    const [m] = await got.catch((err: Error) => {
      throw new Error(`${err.message}; peer: ${writer.lines.join('|')} ${writer.stderr}`);
    });
    expect(m.topic).toBe('ros/chatter');
    expect(JSON.parse(m.payload.toString())).toEqual({ data: 'hello ros' });
  });

  it('ROS 2 naming downlink: MQTT ros/cmd/echo → DDS rt/echo read by a Cyclone reader', async () => {
    const reader = DdsPeer.start(domain, ['string-read', 'rt/echo', '1']);
    peers.push(reader);
    await reader.waitLines((l) => l === 'ready');
    const app = await connectV5(hub!.url);
    await reader.resendUntil(
      (l) => l.startsWith('string '),
      () => app.publish('ros/cmd/echo', JSON.stringify({ data: 'to ros' }), { qos: 1 }),
      'string at the Cyclone reader',
      30_000,
    );
    expect(reader.lines).toContain('string to ros');
  });

  it('partitions (plant1, plant2) + transient-local: a writer in plant2 is heard, its sample retained; no writers → event', async () => {
    const app = await connectV5(hub!.url);
    await subscribe(app, 'dds/Square/#', { qos: 1 });
    const got = collect(app, 2, { timeoutMs: 30_000 });
    peers.push(DdsPeer.start(domain, ['shape-write', 'Square', 'PURPLE', '1', '0', 'plant2']));
    const [m, event] = await got;
    expect(m.topic).toBe('dds/Square/PURPLE');
    expect(m.packet.retain).toBe(false); // live delivery of a retained publish ([MQTT-3.3.1-9])
    // the writer exits: its instance has no writers left, announced as an event (dispose = "event"), not retained
    expect(event.topic).toBe('dds/Square/PURPLE');
    expect(event.packet.retain).toBe(false);
    expect(JSON.parse(event.payload.toString())).toEqual({
      dds_event: 'unregistered',
      topic: 'Square',
      key: { color: 'PURPLE' },
    });
    // a late subscriber gets the last value: transient-local ↔ retained
    const late = await connectV5(hub!.url);
    const retained = collect(late, 1, { timeoutMs: 10_000 });
    await subscribe(late, 'dds/Square/PURPLE', { qos: 1 });
    const [r] = await retained;
    expect(r.packet.retain).toBe(true);
    expect(JSON.parse(r.payload.toString())).toMatchObject({ color: 'PURPLE', x: 0 });
  });

  it('address_fields: the non-key field y of a Cyclone writer names the MQTT topic; the dispose goes where y last went', async () => {
    const app = await connectV5(hub!.url);
    await subscribe(app, 'plant/#', { qos: 1 });
    const got = collect(app, 5, { timeoutMs: 30_000 });
    const writer = DdsPeer.start(domain, ['shape-write', 'Triangle', 'ORANGE', '3', '1']);
    peers.push(writer);
    const msgs = await got.catch((err: Error) => {
      throw new Error(`${err.message}; peer: ${writer.lines.join('|')} ${writer.stderr}`);
    });
    // samples x = i, y = 2i: the non-key y is a level of the address, so the template puts it first; then the
    // peer's dds_writedispose sends a last sample (y = 0) and the dispose, announced where that sample went (a
    // forgotten instance would be announced on plant/_/Triangle/ORANGE)
    expect(msgs.map((m) => m.topic)).toEqual([
      'plant/0/Triangle/ORANGE',
      'plant/2/Triangle/ORANGE',
      'plant/4/Triangle/ORANGE',
      'plant/0/Triangle/ORANGE',
      'plant/0/Triangle/ORANGE',
    ]);
    expect(JSON.parse(msgs[2].payload.toString())).toEqual({ color: 'ORANGE', x: 2, y: 4, shapesize: 30 });
    expect(JSON.parse(msgs[4].payload.toString())).toEqual({
      dds_event: 'disposed',
      topic: 'Triangle',
      key: { color: 'ORANGE' },
    });
  });

  it('dispose from MQTT (empty payload) reaches a Cyclone reader of a @final keyed type with the right key', async () => {
    // @final: the key-only payload has no DHEADER, so Cyclone 0.10 decodes it (an @appendable one it does not:
    // docs/gateways/dds.md, "Disposes from the hub to Cyclone DDS 0.10"; pinned in dds-example.test.ts)
    const reader = DdsPeer.start(domain, ['final-read', 'Heptagon', '20']);
    peers.push(reader);
    await reader.waitLines((l) => l === 'ready');
    const app = await connectV5(hub!.url);
    await reader.resendUntil(
      (l) => l.startsWith('sample '),
      () => app.publish('shapes/cmd/Heptagon/BLUE', JSON.stringify({ x: 7 }), { qos: 1 }),
      'sample at the Cyclone reader',
      30_000,
    );
    expect(reader.lines.find((l) => l.startsWith('sample '))).toBe('sample BLUE 7 0 0');
    app.publish('shapes/cmd/Heptagon/BLUE', Buffer.alloc(0), { qos: 1 });
    const [disposed] = await reader.waitLines((l) => l.startsWith('disposed '));
    expect(disposed).toBe('disposed BLUE');
    // the other way to dispose: user property dds-action (the payload's key field names the instance)
    app.publish('shapes/cmd/Heptagon/RED', JSON.stringify({ color: 'RED', x: 1 }), { qos: 1 });
    await reader.waitLines((l) => l.startsWith('sample RED'));
    app.publish('shapes/cmd/Heptagon/RED', JSON.stringify({ color: 'RED' }), {
      qos: 1,
      properties: { userProperties: { 'dds-action': 'dispose' } },
    });
    await reader.waitLines((l) => l === 'disposed RED');
  });

  it('CBOR both ways by mapping rules: CBOR from MQTT → a Cyclone reader; a Cyclone writer → CBOR on MQTT', async () => {
    const reader = DdsPeer.start(domain, ['shape-read', 'Nonagon', '20']);
    peers.push(reader);
    await reader.waitLines((l) => l === 'ready');
    const app = await connectV5(hub!.url);
    await reader.resendUntil(
      (l) => l.startsWith('sample '),
      () => app.publish('cbor/cmd/Nonagon/RED', cborCodec.encode({ x: 3, y: 4 }), { qos: 1 }),
      'sample at the Cyclone reader',
      30_000,
    );
    expect(reader.lines.find((l) => l.startsWith('sample '))).toBe('sample RED 3 4 0');
    await subscribe(app, 'cbor/Nonagon/#', { qos: 1 });
    const got = collect(app, 1, { timeoutMs: 30_000 });
    peers.push(DdsPeer.start(domain, ['shape-write', 'Nonagon', 'GREEN', '1', '0']));
    const [m] = await got;
    expect(m.topic).toBe('cbor/Nonagon/GREEN');
    expect(cborCodec.decode(m.payload)).toEqual({ color: 'GREEN', x: 0, y: 0, shapesize: 30 });
  });

  it('direction = "both": MQTT → DDS reaches a Cyclone reader and does not come back up; a Cyclone writer does', async () => {
    const app = await connectV5(hub!.url);
    const up: string[] = [];
    app.on('message', (topic: string) => {
      if (topic.startsWith('dds/xml/Octagon/')) up.push(topic);
    });
    await subscribe(app, 'dds/xml/Octagon/#', { qos: 1 });
    const reader = DdsPeer.start(domain, ['shape-read', 'Octagon', '20']);
    peers.push(reader);
    await reader.waitLines((l) => l === 'ready');
    await reader.resendUntil(
      (l) => l.startsWith('sample WHITE'),
      () => app.publish('dds/xml/cmd/Octagon/WHITE', JSON.stringify({ x: 1 }), { qos: 1 }),
      'sample at the Cyclone reader',
      30_000,
    );
    // matched endpoints per topic: the Cyclone reader only (our own reader of Octagon is ignored, not a peer)
    const topicPeers = async (kind: string) =>
      sumMetric(await hub!.hub.metrics.registry.metrics(), 'protohub_gateway_topic_peers', {
        gateway: 'dds.xml',
        topic: 'Octagon',
        kind,
      });
    await eventually(async () => (await topicPeers('readers')) === 1, 'one matched reader of Octagon', 30_000);
    // the gateway's own reader of Octagon matched its own writer before: each WHITE sample came back here at once
    const writer = DdsPeer.start(domain, ['shape-write', 'Octagon', 'GREEN', '3', '0']);
    peers.push(writer);
    await eventually(() => up.length >= 3, "the Cyclone writer's samples on MQTT", 30_000);
    expect(up.slice(0, 3)).toEqual(Array(3).fill('dds/xml/Octagon/GREEN'));
    expect(up.filter((t) => t !== 'dds/xml/Octagon/GREEN')).toEqual([]);
    expect(await topicPeers('readers')).toBe(1);
  });

  it('wildcard topics: Cyclone writers on rt/wild/a and WildA are discovered and read; dispose announced', async () => {
    const app = await connectV5(hub!.url);
    const got: { topic: string; payload: string; props: Record<string, string> }[] = [];
    app.on('message', (topic: string, payload: Buffer, packet) => {
      const props = (packet.properties?.userProperties ?? {}) as Record<string, string>;
      got.push({ topic, payload: payload.toString(), props });
    });
    await subscribe(app, 'ros/wild/#', { qos: 1 });
    await subscribe(app, 'dds/WildA/#', { qos: 1 });
    // a writer of another type on a matching name is not read (the entry names the type)
    peers.push(DdsPeer.start(domain, ['shape-write', 'rt/wild/shape', 'RED', '1', '0']));
    const ros = DdsPeer.start(domain, ['string-write', 'rt/wild/a', 'hello wildcard']);
    const shapes = DdsPeer.start(domain, ['shape-write', 'WildA', 'PINK', '2', '1']);
    peers.push(ros, shapes);
    const disposed = JSON.stringify({ dds_event: 'disposed', topic: 'WildA', key: { color: 'PINK' } });
    await eventually(
      () => got.some((m) => m.payload === disposed) && got.some((m) => m.topic === 'ros/wild/a'),
      `wildcard samples (got ${JSON.stringify(got)}; peers ${ros.lines.join('|')} ${shapes.lines.join('|')})`,
      60_000,
    );
    const byTopic = (t: string) => got.filter((m) => m.topic === t).map((m) => m.payload);
    expect(byTopic('ros/wild/a')[0]).toBe(JSON.stringify({ data: 'hello wildcard' }));
    // 2 samples, then dds_writedispose: one more sample and the dispose, whose key Connext looked up
    expect(byTopic('dds/WildA/PINK')).toEqual([
      JSON.stringify({ color: 'PINK', x: 0, y: 0, shapesize: 30 }),
      JSON.stringify({ color: 'PINK', x: 1, y: 2, shapesize: 30 }),
      JSON.stringify({ color: 'PINK', x: 0, y: 0, shapesize: 0 }),
      disposed,
    ]);
    const props = got.find((m) => m.topic === 'ros/wild/a')?.props ?? {};
    expect(props['dds-source-timestamp']).toMatch(/^\d{19}$/);
    expect(props['dds-instance-state']).toMatch(/ALIVE/);
    expect(got.some((m) => m.topic.includes('shape'))).toBe(false);
    // a discovered reader's matched writers are counted per topic like a named one's
    const matched = async () =>
      sumMetric(await hub!.hub.metrics.registry.metrics(), 'protohub_gateway_topic_peers', {
        gateway: 'dds.ros',
        topic: 'WildB',
        kind: 'writers',
      });
    peers.push(DdsPeer.start(domain, ['shape-hold', 'WildB']));
    await eventually(async () => (await matched()) === 1, 'one matched writer of WildB', 30_000);
  }, 90_000);

  it('types from RTI XML, best effort → MQTT QoS 0 on the default convention dds/<name>/<topic>/<key>', async () => {
    const app = await connectV5(hub!.url);
    await subscribe(app, 'dds/xml/#', { qos: 1 });
    const got = collect(app, 1, { timeoutMs: 30_000 });
    // best effort: a sample sent before Connext has discovered the writer is gone, so start writers until one is heard
    let arrived = false;
    void got.then(() => (arrived = true)).catch(() => undefined);
    let started = 0;
    await eventually(
      () => {
        if (arrived) return true;
        if (Date.now() - started > 2000) {
          started = Date.now();
          peers.push(DdsPeer.start(domain, ['shape-write', 'Circle', 'GREEN', '1', '0']));
        }
        return false;
      },
      'best-effort sample',
      30_000,
    );
    const [m] = await got;
    expect(m.topic).toBe('dds/xml/Circle/GREEN');
    expect(m.packet.qos).toBe(0);
    expect(JSON.parse(m.payload.toString())).toEqual({ color: 'GREEN', x: 0, y: 0, shapesize: 30 });
  });

  it('a second RTI Connector process: its Pentagon writer → MQTT; MQTT → its Hexagon reader', async () => {
    const app = await connectV5(hub!.url);
    await subscribe(app, 'dds/xml/Pentagon/#', { qos: 1 });
    const got = collect(app, 3, { timeoutMs: 60_000 });
    const writer = RtiPeer.start(domain, ['write', 'Pentagon', 'CYAN', '3']);
    rtiPeers.push(writer);
    const msgs = await got.catch((err: Error) => {
      throw new Error(`${err.message}; rti peer: ${writer.lines.join('|')} ${writer.stderr}`);
    });
    expect(msgs.map((m) => m.topic)).toEqual(Array(3).fill('dds/xml/Pentagon/CYAN'));
    expect(JSON.parse(msgs[2].payload.toString())).toEqual({ color: 'CYAN', x: 2, y: 4, shapesize: 40 });

    const reader = RtiPeer.start(domain, ['read', 'Hexagon', '1']);
    rtiPeers.push(reader);
    await reader.waitLines((l) => l === 'ready');
    await reader.resendUntil(
      (l) => l.startsWith('{'),
      () => app.publish('dds/xml/cmd/Hexagon/MAGENTA', JSON.stringify({ x: 5 }), { qos: 1 }),
      'sample at the RTI reader',
      60_000,
    );
    // the key came from the address level, the rest from the JSON, the missing field is the type's default
    expect(JSON.parse(reader.lines.find((l) => l.startsWith('{')) ?? '')).toEqual({
      color: 'MAGENTA',
      x: 5,
      y: 0,
      shapesize: 0,
    });
  }, 120_000);

  it('a remote writer with an incompatible type on our topic is a metric and a log line, not silence', async () => {
    const events = async () =>
      sumMetric(await hub!.hub.metrics.registry.metrics(), 'protohub_gateway_socket_events_total', {
        gateway: 'dds.xml',
        event: 'dds_incompatible_type',
      });
    const before = await events();
    // a std_msgs String_ writer on Pentagon (ShapeType here): it never matches, DDS reports an inconsistent topic
    peers.push(DdsPeer.start(domain, ['string-write', 'Pentagon', 'wrong type']));
    let after = before;
    await eventually(
      async () => {
        after = await events();
        return after > before;
      },
      'dds_incompatible_type event',
      30_000,
    );
    expect(after).toBeGreaterThan(before);
  });

  it('a remote reader whose QoS our writer cannot offer is a metric and a log line, not silence', async () => {
    const events = async () =>
      sumMetric(await hub!.hub.metrics.registry.metrics(), 'protohub_gateway_socket_events_total', {
        gateway: 'dds.xml',
        event: 'dds_incompatible_qos',
      });
    const before = await events();
    // the Cyclone reader asks for reliable; our Decagon writer is best effort (DDS 1.4 §2.2.3 RxO)
    peers.push(DdsPeer.start(domain, ['shape-read', 'Decagon', '1']));
    await eventually(async () => (await events()) > before, 'dds_incompatible_qos event', 30_000);
  });
});

it('an IDL error fails start() with file:line and the gateway id, no crash', async () => {
  const dir = tempDir('protohub-dds-bad-');
  writeFileSync(join(dir, 'bad.idl'), 'struct S {\n  long x\n};\n');
  const config = ddsConfigSchema.parse({
    types: { idl: [join(dir, 'bad.idl')] },
    topics: { T: { type: 'S' } },
  });
  const gw = new DdsGateway(config, {
    name: 'bad',
    id: 'dds.bad',
    logger: silentLogger(),
    metrics: new GatewayMetrics(new Metrics(), 'dds.bad'),
  });
  await expect(gw.start()).rejects.toThrow(/bad\.idl:3: expected ";", got "}"/);
  await gw.stop();
});
