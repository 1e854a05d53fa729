/**
 * LwM2M gateway end to end: a test device over real UDP (test/support/lwm2m-client.ts) and MQTT.js applications
 * on the EMQX-compatible interface (lwm2m/{ep}/dn → up/resp, up/notify, up/register, up/update).
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Method, codeText } from '../../gateways/coap/index.js';
import { closeAllClients, collect, connectV5, subscribe, type Received } from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { Lwm2mTestClient } from '../support/lwm2m-client.js';
import { freeUdpPort } from '../support/net.js';

const devices: Lwm2mTestClient[] = [];
afterEach(async () => {
  closeAllClients();
  devices.splice(0).forEach((d) => d.close());
  await stopAllHubs();
});

async function setup(extra: Record<string, unknown> = {}): Promise<{ hub: StartedHub; app: MqttClient; port: number }> {
  const port = await freeUdpPort();
  const hub = await startHub({
    gateways: {
      lwm2m: {
        edge: {
          bind: `127.0.0.1:${port}`,
          request_timeout: '3s',
          transmission: { ack_timeout: '300ms', max_retransmit: 1 },
          ...extra,
        },
      },
    },
  } as never);
  const app = await connectV5(hub.url);
  await subscribe(app, 'lwm2m/+/up/#', { qos: 1 });
  return { hub, app, port };
}

async function device(port: number): Promise<Lwm2mTestClient> {
  const d = new Lwm2mTestClient(port);
  devices.push(d);
  await d.open();
  d.resources.set('/3303/0/5700', 21.5);
  d.resources.set('/3303/0/5701', 'Cel');
  d.resources.set('/3/0/0', 'ACME');
  d.resources.set('/3/0/9', 87);
  d.resources.set('/3/0/4', '');
  return d;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary JSON
type Json = any;
const json = (m: Received): Record<string, Json> => JSON.parse(m.payload.toString()) as Record<string, Json>;
const on = (topic: string) => ({ filter: (m: Received) => m.topic === topic });

function command(app: MqttClient, ep: string, cmd: unknown): void {
  app.publish(`lwm2m/${ep}/dn`, JSON.stringify(cmd), { qos: 1 });
}

describe('LwM2M gateway', () => {
  it('announces a registration and answers read, write, execute, discover over MQTT', async () => {
    const { app, port } = await setup();
    const d = await device(port);
    const reg = collect(app, 1, on('lwm2m/dev1/up/register'));
    const r = await d.register('dev1', ['lt=300', 'lwm2m=1.0', 'b=U']);
    expect(codeText(r.code)).toBe('2.01');
    expect(d.location).toBeTruthy();
    const [ev] = await reg;
    expect(json(ev!)).toEqual({
      msgType: 'register',
      data: { ep: 'dev1', lt: 300, lwm2m: '1.0', b: 'U', alternatePath: '/', objectList: ['/1/0', '/3/0', '/3303/0'] },
    });

    let resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', { reqID: 1, msgType: 'read', data: { path: '/3303/0/5700' } });
    expect(json((await resp)[0]!)).toEqual({
      reqID: 1,
      msgType: 'read',
      data: {
        reqPath: '/3303/0/5700',
        code: '2.05',
        codeMsg: 'content',
        content: [{ path: '/3303/0/5700', value: 21.5 }],
      },
    });

    resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', { reqID: 2, msgType: 'read', data: { path: '/3/0' } });
    const inst = json((await resp)[0]!);
    expect(inst.data.code).toBe('2.05');
    expect(inst.data.content).toEqual(
      expect.arrayContaining([
        { path: '/3/0/0', value: 'ACME' },
        { path: '/3/0/9', value: 87 },
      ]),
    );
    // an instance read from a 1.0 client asks for TLV (TS 1.0 §6.4: the format every 1.0 client supports)
    const tlvRead = await d.nextRequest((q) => q.path === '/3/0');
    expect([tlvRead.method, tlvRead.accept]).toEqual([Method.GET, 11542]);

    resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', { reqID: 3, msgType: 'write', data: { path: '/3303/0/5701', type: 'String', value: 'K' } });
    expect(json((await resp)[0]!).data).toMatchObject({ reqPath: '/3303/0/5701', code: '2.04', codeMsg: 'changed' });
    expect(d.resources.get('/3303/0/5701')).toBe('K');

    resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', {
      reqID: 4,
      msgType: 'write',
      data: { basePath: '/3303/0', content: [{ path: '/5701', type: 'String', value: 'F' }] },
    });
    expect(json((await resp)[0]!).data.code).toBe('2.04');
    const batch = await d.nextRequest((q) => q.path === '/3303/0' && q.method === Method.POST);
    expect(batch.contentFormat).toBe(11542); // 1.0 client: TLV partial update

    resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', { reqID: 5, msgType: 'execute', data: { path: '/3/0/4', args: '' } });
    expect(json((await resp)[0]!).data).toMatchObject({ code: '2.04' });
    expect((await d.nextRequest((q) => q.path === '/3/0/4')).method).toBe(Method.POST);

    resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', { reqID: 6, msgType: 'write-attr', data: { path: '/3303/0/5700', pmin: 5, pmax: '60' } });
    expect(json((await resp)[0]!).data.code).toBe('2.04');
    expect((await d.nextRequest((q) => q.method === Method.PUT && q.query.length > 0)).query).toEqual([
      'pmin=5',
      'pmax=60',
    ]);

    resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', { reqID: 'd', msgType: 'discover', data: { path: '/3303/0' } });
    expect(json((await resp)[0]!).data).toEqual({
      reqPath: '/3303/0',
      code: '2.05',
      codeMsg: 'content',
      content: ['</3303/0>', '</3303/0/5700>', '</3303/0/5701>'],
    });

    resp = collect(app, 1, on('lwm2m/dev1/up/resp'));
    command(app, 'dev1', { reqID: 7, msgType: 'read', data: { path: '/9999/0/1' } });
    expect(json((await resp)[0]!).data).toMatchObject({ reqPath: '/9999/0/1', code: '4.04', codeMsg: 'not_found' });
  });

  it('observe → notifications on up/notify with seqNum; cancel-observe; max_observations', async () => {
    const { app, port } = await setup({ max_observations: 1 });
    const d = await device(port);
    await d.register('dev2', ['lt=300']);
    let resp = collect(app, 1, on('lwm2m/dev2/up/resp'));
    command(app, 'dev2', { reqID: 'o1', msgType: 'observe', data: { path: '/3303/0/5700' } });
    expect(json((await resp)[0]!).data).toMatchObject({
      code: '2.05',
      content: [{ path: '/3303/0/5700', value: 21.5 }],
    });
    const notes = collect(app, 2, on('lwm2m/dev2/up/notify'));
    d.resources.set('/3303/0/5700', 22);
    d.notify('/3303/0/5700');
    d.resources.set('/3303/0/5700', 23.25);
    d.notify('/3303/0/5700');
    const got = (await notes).map(json);
    // seqNum is the Observe option of each notification (as in EMQX); the test device counts from 40
    expect(got.map((n) => [n.msgType, n.seqNum, n.data.content[0].value])).toEqual([
      ['notify', 41, 22],
      ['notify', 42, 23.25],
    ]);
    resp = collect(app, 1, on('lwm2m/dev2/up/resp'));
    command(app, 'dev2', { reqID: 'o3', msgType: 'observe', data: { path: '/3/0/9' } }); // max_observations = 1
    expect(json((await resp)[0]!).data).toMatchObject({ code: '5.03', reason: 'too many observations' });
    resp = collect(app, 1, on('lwm2m/dev2/up/resp'));
    command(app, 'dev2', { reqID: 'o2', msgType: 'cancel-observe', data: { path: '/3303/0/5700' } });
    expect(json((await resp)[0]!).data.code).toBe('2.05');
    expect((await d.nextRequest((q) => q.observe === 1)).path).toBe('/3303/0/5700');
  });

  it('update events follow update_msg_publish_condition; deregister and lifetime expiry are announced', async () => {
    const { app, port } = await setup({ update_msg_publish_condition: 'contains_object_list' });
    const d = await device(port);
    await d.register('dev3', ['lt=300']);
    // contains_object_list: only the Updates carrying object links are published (in order, so had the link-less
    // ones been published they would be among the first two)
    const upd = collect(app, 2, on('lwm2m/dev3/up/update'));
    expect(codeText((await d.update(['lt=400'])).code)).toBe('2.04');
    expect(codeText((await d.update([], '</3/0>,</3303/0>,</3303/1>')).code)).toBe('2.04');
    expect(codeText((await d.update(['lt=500'])).code)).toBe('2.04');
    expect(codeText((await d.update([], '</3/0>')).code)).toBe('2.04');
    expect((await upd).map((m) => [json(m).data.lt, json(m).data.objectList])).toEqual([
      [400, ['/3/0', '/3303/0', '/3303/1']],
      [500, ['/3/0']],
    ]);
    const bye = collect(app, 1, on('lwm2m/dev3/up/register'));
    expect(codeText((await d.deregister()).code)).toBe('2.02');
    expect(json((await bye)[0]!)).toEqual({ msgType: 'deregister', data: { ep: 'dev3', reason: 'deregistered' } });
    expect(codeText((await d.update()).code)).toBe('4.04');

    const e = await device(port);
    const expired = collect(app, 2, { filter: (m) => m.topic === 'lwm2m/dev4/up/register', timeoutMs: 15_000 });
    await e.register('dev4', ['lt=1']);
    const events = (await expired).map(json);
    expect(events[1]).toEqual({ msgType: 'deregister', data: { ep: 'dev4', reason: 'lifetime_expired' } });
  });

  it('refuses bad registrations with 4.00 and bad commands with an up/resp error; a silent device gets 5.04', async () => {
    const { hub, app, port } = await setup({ lifetime_max: '1000s' });
    const dropped = (reason: string) =>
      hub.hub.metrics.value('protohub_gateway_dropped_total', { gateway: 'lwm2m.edge', reason });
    const d = await device(port);
    const noEp = await d.register(undefined, ['lt=60']);
    expect(codeText(noEp.code)).toBe('4.00');
    expect(noEp.payload.toString()).toMatch(/endpoint name/);
    expect(await dropped('bad_registration')).toBe(1);
    const badLinks = await d.register('bad', [], '</1/0>;rt="x');
    expect(codeText(badLinks.code)).toBe('4.00');
    expect(badLinks.payload.toString()).toMatch(/unterminated quoted string/);
    expect(await dropped('bad_link_format')).toBe(1);
    expect(codeText((await d.register('long', ['lt=5000'])).code)).toBe('4.00');
    expect(await dropped('bad_registration')).toBe(2);
    expect(codeText((await d.request(Method.POST, ['rd', 'nope'])).code)).toBe('4.04');
    expect(codeText((await d.register('dev5', ['lt=300'])).code)).toBe('2.01');
    expect([await dropped('bad_registration'), await dropped('bad_link_format')]).toEqual([2, 1]);

    const bad = collect(app, 4, on('lwm2m/dev5/up/resp'));
    app.publish('lwm2m/dev5/dn', 'not json', { qos: 1 });
    command(app, 'dev5', { reqID: 8, msgType: 'reboot', data: {} });
    command(app, 'dev5', { reqID: 9, msgType: 'read', data: { path: '/a/b' } });
    command(app, 'dev5', { reqID: 10, msgType: 'write', data: { path: '/3303/0/5700', value: 'warm' } });
    const errs = (await bad).map(json);
    expect(errs.map((x) => [x.reqID, x.data.code, x.data.codeMsg])).toEqual([
      [undefined, '4.00', 'bad_request'],
      [8, '4.00', 'bad_request'],
      [9, '4.00', 'bad_request'],
      [10, '4.00', 'bad_request'],
    ]);
    expect(errs[1]!.data.reason).toMatch(/unknown msgType/);
    expect(errs[2]!.data.reason).toMatch(/\/a\/b/);
    expect(errs[3]!.data.reason).toMatch(/Float/);
    expect(await dropped('bad_command')).toBe(4);

    // an object nobody defined and the device did not list: still asked (the device answers 4.04), and counted
    const unknown = collect(app, 1, on('lwm2m/dev5/up/resp'));
    command(app, 'dev5', { reqID: 'u', msgType: 'read', data: { path: '/9999/0/1' } });
    expect(json((await unknown)[0]!).data).toMatchObject({ reqPath: '/9999/0/1', code: '4.04', codeMsg: 'not_found' });
    expect(
      await hub.hub.metrics.value('protohub_gateway_socket_events_total', {
        gateway: 'lwm2m.edge',
        event: 'unknown_object_command',
      }),
    ).toBe(1);

    d.silent = true;
    const timeout = collect(app, 1, { ...on('lwm2m/dev5/up/resp'), timeoutMs: 15_000 });
    command(app, 'dev5', { reqID: 11, msgType: 'read', data: { path: '/3/0/0' } });
    expect(json((await timeout)[0]!).data).toMatchObject({
      reqPath: '/3/0/0',
      code: '5.04',
      codeMsg: 'gateway_timeout',
      reason: 'no acknowledgement after 2 transmissions',
    });
    expect(await dropped('request_timeout')).toBe(1);
  });

  it('auto_observe observes the registered instances; a lying TLV answer is a reason on up/resp, not a crash', async () => {
    const { hub, app, port } = await setup({ auto_observe: true, update_msg_publish_condition: 'always' });
    const d = await device(port);
    const autos = collect(app, 2, on('lwm2m/dev7/up/resp'));
    await d.register('dev7', ['lt=300'], '</>;rt="oma.lwm2m",</0/0>,</3/0>,</3303/0>');
    const got = (await autos).map(json);
    expect(got.map((x) => [x.reqID, x.msgType, x.data.reqPath, x.data.code]).sort()).toEqual([
      ['auto', 'observe', '/3/0', '2.05'],
      ['auto', 'observe', '/3303/0', '2.05'],
    ]);
    expect(
      d.requests
        .filter((q) => q.observe === 0)
        .map((q) => q.path)
        .sort(),
    ).toEqual(['/3/0', '/3303/0']);
    const upd = collect(app, 1, on('lwm2m/dev7/up/update'));
    await d.update(['lt=200']); // 'always': published without object links too
    expect(json((await upd)[0]!).data.lt).toBe(200);

    d.raw.set('/3/0/9', { format: 11542, payload: Buffer.from('c80964', 'hex') }); // claims 100 bytes, has 0
    const resp = collect(app, 1, on('lwm2m/dev7/up/resp'));
    command(app, 'dev7', { reqID: 'lie', msgType: 'read', data: { path: '/3/0/9' } });
    const r = json((await resp)[0]!);
    expect(r.data).toMatchObject({ reqPath: '/3/0/9', code: '2.05' });
    expect(r.data.content).toBeUndefined();
    expect(r.data.reason).toMatch(/claims 100 bytes/);
    expect(
      await hub.hub.metrics.value('protohub_gateway_dropped_total', { gateway: 'lwm2m.edge', reason: 'bad_content' }),
    ).toBe(1);
  });
});
