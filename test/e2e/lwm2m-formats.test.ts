/**
 * LwM2M end to end against a device that shares no code with the gateway (test/support/lwm2m-coap-client.ts:
 * node-coap + formats written from the specs): the server asks 1.1 clients for SenML JSON/CBOR and 1.0 clients for
 * TLV (TS 1.1 Core §7.4, §6.3.1), and the values arrive as EMQX JSON on up/resp and up/notify. Also create, delete,
 * write-attr, discover and execute, and translators with custom topics and QoS.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllClients, collect, collectUntil, connectV5, subscribe, type Received } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { CoapLwm2mDevice, type CoapDeviceOptions } from '../support/lwm2m-coap-client.js';
import { seedSampleResources } from '../support/lwm2m-client.js';
import { freeUdpPort } from '../support/net.js';

const devices: CoapLwm2mDevice[] = [];
afterEach(async () => {
  closeAllClients();
  await Promise.all(devices.splice(0).map((d) => d.close()));
  await stopAllHubs();
});

async function device(port: number, options: CoapDeviceOptions): Promise<CoapLwm2mDevice> {
  const d = new CoapLwm2mDevice(port, options);
  devices.push(d);
  await d.open();
  seedSampleResources(d.resources);
  return d;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary JSON
type Json = any;
const json = (m: Received): Json => JSON.parse(m.payload.toString()) as Json;
const on = (topic: string) => ({ filter: (m: Received) => m.topic === topic });
const command = (app: MqttClient, topic: string, cmd: unknown): void =>
  void app.publish(topic, JSON.stringify(cmd), { qos: 1 });

describe('LwM2M content formats with a node-coap device', () => {
  const cases: Array<{ name: string; options: CoapDeviceOptions; accept: number }> = [
    { name: '1.1 declaring SenML JSON', options: { lwm2m: '1.1', ct: [110] }, accept: 110 },
    { name: '1.1 declaring SenML CBOR', options: { lwm2m: '1.1', ct: [110, 112] }, accept: 112 },
    { name: '1.0 (TLV)', options: { lwm2m: '1.0' }, accept: 11542 },
    { name: '1.1 declaring only LwM2M JSON', options: { lwm2m: '1.1', ct: [11543] }, accept: 11543 },
    { name: '1.2 declaring LwM2M CBOR', options: { lwm2m: '1.2', ct: [110, 112, 11544] }, accept: 11544 },
  ];
  it.each(cases)('$name: read and observe ask for $accept, values arrive as EMQX JSON', async ({ options, accept }) => {
    const { app, port } = await setupHub();
    const d = await device(port, options);
    const ep = `fmt${accept}`;
    const reg = collect(app, 1, on(`lwm2m/${ep}/up/register`));
    expect(await d.register(ep, ['lt=300', 'b=U'])).toBe('2.01');
    expect(json((await reg)[0]!).data).toMatchObject({ ep, lwm2m: options.lwm2m });

    let resp = collect(app, 1, on(`lwm2m/${ep}/up/resp`));
    command(app, `lwm2m/${ep}/dn`, { reqID: 1, msgType: 'read', data: { path: '/3/0' } });
    const read = json((await resp)[0]!);
    expect((await d.request((q) => q.method === 'GET' && q.path === '/3/0')).accept).toBe(accept);
    expect(read.data).toMatchObject({ reqPath: '/3/0', code: '2.05', codeMsg: 'content' });
    expect([...read.data.content].sort((a: Json, b: Json) => a.path.localeCompare(b.path))).toEqual([
      { path: '/3/0/0', value: 'ACME' },
      { path: '/3/0/4', value: '' },
      { path: '/3/0/9', value: 87 },
    ]);

    resp = collect(app, 1, on(`lwm2m/${ep}/up/resp`));
    command(app, `lwm2m/${ep}/dn`, { reqID: 2, msgType: 'observe', data: { path: '/3303/0' } });
    const first = json((await resp)[0]!);
    const obs = await d.request((q) => q.observe === 0 && q.path === '/3303/0');
    expect(obs.accept).toBe(accept);
    expect(first.data.content).toEqual(
      expect.arrayContaining([
        { path: '/3303/0/5700', value: 21.5 },
        { path: '/3303/0/5701', value: 'Cel' },
      ]),
    );
    const notes = collect(app, 2, on(`lwm2m/${ep}/up/notify`));
    d.resources.set('/3303/0/5700', -3.25);
    expect(d.notify('/3303/0')).toBe(true);
    d.resources.set('/3303/0/5700', 1e6 + 0.5);
    d.notify('/3303/0');
    const got = (await notes).map(json);
    // seqNum is the notification's Observe option: node-coap numbers its first response 1, then 2, 3…
    expect(got.map((n) => [n.reqID, n.msgType, n.seqNum])).toEqual([
      [2, 'notify', 2],
      [2, 'notify', 3],
    ]);
    expect(got.map((n) => n.data.content.find((c: Json) => c.path === '/3303/0/5700').value)).toEqual([
      -3.25,
      1e6 + 0.5,
    ]);
  });

  it.each([
    { name: 'SenML JSON, absolute base time', ct: [110], bt: 1_700_000_000.5 },
    { name: 'SenML CBOR, time relative to now', ct: [110, 112], bt: -30 },
  ])('$name: the record time is published as ts', async ({ ct, bt }) => {
    const { app, port } = await setupHub();
    const d = new CoapLwm2mDevice(port, { lwm2m: '1.1', ct, baseTime: bt });
    devices.push(d);
    await d.open();
    d.resources.set('/3303/0/5700', 18.5);
    await d.register('timed', ['lt=300']);
    const resp = collect(app, 1, on('lwm2m/timed/up/resp'));
    const before = Date.now() / 1000;
    command(app, 'lwm2m/timed/dn', { reqID: 't', msgType: 'read', data: { path: '/3303/0' } });
    const [item] = json((await resp)[0]!).data.content;
    const after = Date.now() / 1000;
    expect(item).toMatchObject({ path: '/3303/0/5700', value: 18.5 });
    // RFC 8428 §4.5.3: below 2^28 the time is relative to the moment of decoding
    if (bt > 0) expect(item.ts).toBe(bt);
    else {
      expect(item.ts).toBeGreaterThanOrEqual(before + bt);
      expect(item.ts).toBeLessThanOrEqual(after + bt);
    }
  });

  it('create, write-attr, discover, execute, delete reach the device as the right requests', async () => {
    const { app, port } = await setupHub();
    const d = await device(port, { lwm2m: '1.1', ct: [110] });
    await d.register('mgmt', ['lt=300']);
    const dn = 'lwm2m/mgmt/dn';
    const next = async (cmd: unknown): Promise<Json> => {
      const resp = collect(app, 1, on('lwm2m/mgmt/up/resp'));
      command(app, dn, cmd);
      return json((await resp)[0]!);
    };

    // TS 1.1 Core §6.3.6 Create: POST on the object, the new instance in the client's format (SenML JSON)
    const created = await next({
      reqID: 'c',
      msgType: 'create',
      data: {
        basePath: '/3303',
        content: [
          { path: '/1/5700', value: 20 },
          { path: '/1/5701', value: 'K' },
        ],
      },
    });
    expect(created).toMatchObject({
      reqID: 'c',
      msgType: 'create',
      data: { reqPath: '/3303', code: '2.01', codeMsg: 'created' },
    });
    const post = await d.request((q) => q.method === 'POST' && q.path === '/3303');
    expect(post.contentFormat).toBe(110);
    expect(d.resources.get('/3303/1/5700')).toBe(20);
    expect(d.resources.get('/3303/1/5701')).toBe('K');

    // §6.3.3 Write, partial update: POST on the instance, SenML JSON for a 1.1 client that declared it
    const wrote = await next({
      reqID: 'w',
      msgType: 'write',
      data: { basePath: '/3303/1', content: [{ path: '/5700', value: 19.75 }] },
    });
    expect(wrote.data).toMatchObject({ reqPath: '/3303/1', code: '2.04', codeMsg: 'changed' });
    expect((await d.request((q) => q.method === 'POST' && q.path === '/3303/1')).contentFormat).toBe(110);
    expect(d.resources.get('/3303/1/5700')).toBe(19.75);

    // §6.3.4 Write-Attributes: PUT with the attributes as Uri-Query
    const attrs = await next({ reqID: 'a', msgType: 'write-attr', data: { path: '/3303/1/5700', pmin: 10, gt: 25.5 } });
    expect(attrs.data).toMatchObject({ reqPath: '/3303/1/5700', code: '2.04', codeMsg: 'changed' });
    expect((await d.request((q) => q.method === 'PUT' && q.query.length > 0)).query).toEqual(['pmin=10', 'gt=25.5']);

    // §6.3.2 Discover: GET with Accept link-format, links on up/resp
    const disc = await next({ reqID: 'd', msgType: 'discover', data: { path: '/3303/1' } });
    expect((await d.request((q) => q.method === 'GET' && q.path === '/3303/1')).accept).toBe(40);
    expect(disc.data).toEqual({
      reqPath: '/3303/1',
      code: '2.05',
      codeMsg: 'content',
      content: ['</3303/1>', '</3303/1/5700>', '</3303/1/5701>'],
    });

    // §6.3.5 Execute: POST on the resource with the arguments as the payload
    const exec = await next({ reqID: 'x', msgType: 'execute', data: { path: '/3/0/4', args: "0='fast'" } });
    expect(exec.data).toMatchObject({ reqPath: '/3/0/4', code: '2.04' });
    const ex = await d.request((q) => q.method === 'POST' && q.path === '/3/0/4');
    expect(ex.payload.toString()).toBe("0='fast'");

    // §6.3.8 Delete: DELETE on the instance; a second one is the device's 4.04
    const del = await next({ reqID: 'r', msgType: 'delete', data: { path: '/3303/1' } });
    expect(del.data).toMatchObject({ reqPath: '/3303/1', code: '2.02', codeMsg: 'deleted' });
    expect([...d.resources.keys()].filter((k) => k.startsWith('/3303/1/'))).toEqual([]);
    const again = await next({ reqID: 'r2', msgType: 'delete', data: { path: '/3303/1' } });
    expect(again.data).toMatchObject({ code: '4.04', codeMsg: 'not_found' });
  });

  it('translators: custom topics and QoS per event kind under a custom mountpoint', async () => {
    const { app, port } = await setupHub(
      {
        mountpoint: 'dm/{ep}/',
        translators: {
          command: { topic: 'cmd/#', qos: 1 },
          response: { topic: 'out/answer', qos: 1 },
          notify: { topic: 'out/note', qos: 2 },
          register: { topic: 'out/hello', qos: 2 },
          update: { topic: 'out/changed', qos: 1 },
        },
        update_msg_publish_condition: 'always',
      },
      'dm/#',
    );
    const d = await device(port, { lwm2m: '1.1', ct: [110] });
    const reg = collect(app, 1, on('dm/tr/out/hello'));
    await d.register('tr', ['lt=300']);
    expect((await reg)[0]!.packet.qos).toBe(2);

    const upd = collect(app, 1, on('dm/tr/out/changed'));
    expect(await d.update(['lt=301'])).toBe('2.04');
    const u = (await upd)[0]!;
    expect([u.packet.qos, json(u).msgType, json(u).data.lt]).toEqual([1, 'update', 301]);

    // the default command topic is not subscribed any more: with NSTART 1 the commands leave in order, so had
    // the `dn` one been taken, its answer would come first
    const answer = collect(app, 1, on('dm/tr/out/answer'));
    command(app, 'dm/tr/dn', { reqID: 'ignored', msgType: 'read', data: { path: '/3/0/0' } });
    command(app, 'dm/tr/cmd/read', { reqID: 'taken', msgType: 'observe', data: { path: '/3/0/9' } });
    const a = (await answer)[0]!;
    expect([a.packet.qos, json(a).reqID, json(a).data.content]).toEqual([1, 'taken', [{ path: '/3/0/9', value: 87 }]]);
    expect(d.seen.filter((q) => q.path === '/3/0/0')).toEqual([]);

    const note = collect(app, 1, on('dm/tr/out/note'));
    d.resources.set('/3/0/9', 50);
    d.notify('/3/0/9');
    const n = (await note)[0]!;
    expect([n.packet.qos, json(n).seqNum, json(n).data.content]).toEqual([2, 2, [{ path: '/3/0/9', value: 50 }]]);
    // nothing was published on the default EMQX topics of this endpoint
    const before = collectUntil(app, 'dm/tr/out/answer');
    command(app, 'dm/tr/cmd/x', { reqID: 'end', msgType: 'read', data: { path: '/3/0/9' } });
    expect((await before).map((m) => m.topic).filter((t) => t.startsWith('dm/tr/up/'))).toEqual([]);
  });
});

async function setupHub(
  extra: Record<string, unknown> = {},
  filter = 'lwm2m/+/up/#',
): Promise<{ app: MqttClient; port: number }> {
  const port = await freeUdpPort();
  const hub = await startHub({
    gateways: { lwm2m: { edge: { bind: `127.0.0.1:${port}`, request_timeout: '5s', ...extra } } },
  } as never);
  const app = await connectV5(hub.url);
  await subscribe(app, filter, { qos: 2 });
  return { app, port };
}
