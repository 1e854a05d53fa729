/**
 * LwM2M device management over the HTTP API: a hub with an LwM2M instance on real UDP, the test device of
 * test/support/lwm2m-client.ts, and HTTP calls validated against src/http/openapi.json (test/support/api.ts);
 * observe notifications are checked on MQTT. The last test checks every LwM2M route was exercised here
 * (http-api.test.ts leaves them to this file).
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Method } from '../../gateways/coap/index.js';
import { ApiKeyStore } from '../../src/http/api-keys.js';
import { apiRoutes } from '../../src/http/routes/index.js';
import { apiCaller, basic } from '../support/api.js';
import { closeAllClients, collect, connectV5, subscribe } from '../support/clients.js';
import { eventually, startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { Lwm2mTestClient, seedSampleResources } from '../support/lwm2m-client.js';
import { freeUdpPort } from '../support/net.js';
import { exercised } from '../support/openapi.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk arbitrary JSON
type Json = any;
const C = '/api/v5/gateways/lwm2m/clients';

describe('LwM2M over the HTTP API', () => {
  let hub: StartedHub;
  let api: ReturnType<typeof apiCaller>;
  let base: string;
  let app: MqttClient;
  let d: Lwm2mTestClient;
  let udp: number;

  beforeAll(async () => {
    const dir = tempDir();
    udp = await freeUdpPort();
    hub = await startHub({
      store: { type: 'memory', dir },
      http: { enable: true, bind: '127.0.0.1:0' },
      gateways: {
        lwm2m: {
          edge: { bind: `127.0.0.1:${udp}`, request_timeout: '5s', transmission: { ack_timeout: '500ms' } },
        },
      },
    } as never);
    const key = new ApiKeyStore(join(dir, 'api-keys.json')).create('lwm2m-tests');
    base = `http://127.0.0.1:${hub.hub.address('http').port}`;
    api = apiCaller(base, basic(key.key, key.secret));
    app = await connectV5(hub.url);
    await subscribe(app, 'lwm2m/+/up/#', { qos: 1 });
    d = new Lwm2mTestClient(udp);
    await d.open();
    seedSampleResources(d.resources);
    const registered = collect(app, 1, { filter: (m) => m.topic === 'lwm2m/dev1/up/register' });
    await d.register('dev1', ['lt=300', 'lwm2m=1.1', 'b=U']);
    await registered;
  }, 30_000);

  afterAll(async () => {
    closeAllClients();
    d?.close();
    await stopAllHubs();
    removeTempDirs();
  });

  it('lists registered endpoints with their objects, and one by name', async () => {
    const list = await api<Json>('GET', C);
    expect(list.status).toBe(200);
    expect(list.body.meta).toMatchObject({ count: 1, hasnext: false });
    expect(list.body.data[0]).toMatchObject({
      clientid: 'dev1',
      gateway: 'lwm2m.edge',
      lwm2m: '1.1',
      lt: 300,
      b: 'U',
      objectList: ['/1/0', '/3/0', '/3303/0'],
    });
    expect((await api<Json>('GET', `${C}?like_clientid=nobody`)).body.data).toEqual([]);
    expect((await api<Json>('GET', `${C}?gateway=other`)).body.meta.count).toBe(0);
    expect((await api<Json>('GET', `${C}/dev1`)).body).toMatchObject({ ep: 'dev1', address: '127.0.0.1' });
    expect((await api<Json>('GET', `${C}/nobody`)).status).toBe(404);
  });

  it('looks a path up with read and discover, waiting for the device (EMQX lookup)', async () => {
    const read = await api<Json>('GET', `${C}/dev1/lookup?path=/3303/0/5700&action=read`);
    expect(read).toMatchObject({ status: 200 });
    expect(read.body).toEqual({
      clientid: 'dev1',
      path: '/3303/0/5700',
      action: 'read',
      code: '2.05',
      codeMsg: 'content',
      content: [{ path: '/3303/0/5700', value: 21.5 }],
    });
    // discover: the resources as the object definitions describe them (EMQX's shape), the links as sent
    const disc = await api<Json>('GET', `${C}/dev1/lookup?path=/3303/0&action=discover`);
    expect(disc.body).toMatchObject({ action: 'discover', code: '2.05' });
    expect(disc.body.links).toEqual(['</3303/0>', '</3303/0/5700>', '</3303/0/5701>']);
    expect(disc.body.content).toEqual([
      { path: '/3303/0/5700', name: 'Sensor Value', operations: 'R', dataType: 'Float' },
      { path: '/3303/0/5701', name: 'Sensor Units', operations: 'R', dataType: 'String' },
    ]);
    const device = await api<Json>('GET', `${C}/dev1/lookup?path=/3/0&action=discover`);
    expect(device.body.content).toContainEqual({ path: '/3/0/4', name: 'Reboot', operations: 'E' });
    expect((await api<Json>('GET', `${C}/dev1/lookup?path=/3/0&action=write`)).status).toBe(400);
    expect((await api<Json>('GET', `${C}/dev1/lookup?action=read`)).body).toMatchObject({
      code: 'PH_HTTP_BAD_REQUEST',
    });
    expect((await api<Json>('GET', `${C}/nobody/lookup?path=/3/0&action=read`)).status).toBe(404);
  });

  it('reads, writes (PUT and POST) and executes, answering with the up/resp document', async () => {
    const read = await api<Json>('POST', `${C}/dev1/read?path=/3/0/9`);
    expect(read.body).toMatchObject({
      msgType: 'read',
      data: { reqPath: '/3/0/9', code: '2.05', content: [{ path: '/3/0/9', value: 87 }] },
    });
    const put = await api<Json>('PUT', `${C}/dev1/write?path=/3303/0/5701&type=String&value=Far`);
    expect(put.body).toMatchObject({ msgType: 'write', data: { code: '2.04', codeMsg: 'changed' } });
    expect(d.resources.get('/3303/0/5701')).toBe('Far');
    const post = await api<Json>('POST', `${C}/dev1/write?path=/3303/0/5701&value=Cel`);
    expect(post.body.data.code).toBe('2.04');
    expect(d.resources.get('/3303/0/5701')).toBe('Cel');
    // a value that is not of the declared type never reaches the device
    const bad = await api<Json>('POST', `${C}/dev1/write?path=/3/0/9&type=Integer&value=lots`);
    expect(bad.body.data).toMatchObject({
      code: '4.00',
      codeMsg: 'bad_request',
      reason: expect.stringMatching(/Integer/),
    });
    expect((await api<Json>('PUT', `${C}/dev1/write?path=/3/0/9&type=Number&value=1`)).status).toBe(400);
    expect((await api<Json>('PUT', `${C}/dev1/write?path=/3/0/9`)).status).toBe(400);
    const exec = await api<Json>('POST', `${C}/dev1/execute?path=/3/0/4&args=now`);
    expect(exec.body).toMatchObject({ msgType: 'execute', data: { code: '2.04' } });
    const got = await d.nextRequest((r) => r.method === Method.POST && r.path === '/3/0/4');
    expect(got.payload.toString()).toBe('now');
  });

  it('observes and cancels over HTTP; notifications arrive on up/notify', async () => {
    const obs = await api<Json>('POST', `${C}/dev1/observe?path=/3303/0/5700&enable=true`);
    expect(obs.body).toMatchObject({ msgType: 'observe', data: { code: '2.05', content: [{ value: 21.5 }] } });
    const notified = collect(app, 1, { filter: (m) => m.topic === 'lwm2m/dev1/up/notify' });
    d.resources.set('/3303/0/5700', 22.25);
    expect(d.notify('/3303/0/5700')).toBe(true);
    const [n] = await notified;
    expect(JSON.parse(n!.payload.toString())).toMatchObject({
      msgType: 'notify',
      data: { reqPath: '/3303/0/5700', content: [{ path: '/3303/0/5700', value: 22.25 }] },
    });
    const cancel = await api<Json>('POST', `${C}/dev1/observe?path=/3303/0/5700&enable=false`);
    expect(cancel.body).toMatchObject({ msgType: 'cancel-observe', data: { code: '2.05' } });
    expect(d.notify('/3303/0/5700')).toBe(false); // the device forgot the observer on the cancel
    expect((await api<Json>('POST', `${C}/dev1/observe?path=/3303/0/5700&enable=maybe`)).status).toBe(400);
  });

  it('runs any MQTT-interface command from a JSON body; the device answer code comes back', async () => {
    const attrs = await api<Json>('POST', `${C}/dev1/command`, {
      body: { reqID: 42, msgType: 'write-attr', data: { path: '/3303/0/5700', pmin: 5, pmax: 60 } },
    });
    expect(attrs.body).toMatchObject({ reqID: 42, msgType: 'write-attr', data: { code: '2.04' } });
    const q = await d.nextRequest((r) => r.method === Method.PUT && r.query.includes('pmin=5'));
    expect(q.query).toEqual(['pmin=5', 'pmax=60']);
    const gone = await api<Json>('POST', `${C}/dev1/command`, {
      body: { msgType: 'delete', data: { path: '/3303/9' } },
    });
    expect(gone.body.data).toMatchObject({ code: '4.04', codeMsg: 'not_found' });
    expect((await api<Json>('POST', `${C}/dev1/command`, { body: { msgType: 'read' } })).status).toBe(400);
    expect(
      (await api<Json>('POST', `${C}/dev1/command`, { raw: 'x', headers: { 'content-type': 'text/plain' } })).status,
    ).toBe(415);
  });

  it('answers 6.01 reply_not_received when the device says nothing within ?wait= seconds', async () => {
    const mute = new Lwm2mTestClient(udp);
    await mute.open();
    try {
      mute.resources.set('/3/0/9', 5);
      await mute.register('mute', ['lt=300', 'b=U']);
      mute.silent = true;
      const r = await api<Json>('POST', `${C}/mute/read?path=/3/0/9&wait=0.5`);
      expect(r).toMatchObject({ status: 200 });
      expect(r.body).toMatchObject({
        msgType: 'read',
        data: {
          reqPath: '/3/0/9',
          code: '6.01',
          codeMsg: 'reply_not_received',
          reason: expect.stringMatching(/0.5 s/),
        },
      });
      expect((await api<Json>('POST', `${C}/mute/read?path=/3/0/9&wait=601`)).status).toBe(400);
      expect((await api<Json>('POST', `${C}/mute/read?path=/3/0/9&wait=soon`)).status).toBe(400);
    } finally {
      mute.close();
    }
  });

  it('needs credentials like every other route, and forgets a deregistered endpoint', async () => {
    expect((await api('GET', C, { auth: '' })).status).toBe(401);
    expect((await api('POST', `${C}/dev1/read?path=/3/0/9`, { auth: '' })).status).toBe(401);
    await d.deregister();
    await eventually(async () => (await api('GET', `${C}/dev1`)).status === 404, 'dev1 deregistered');
    expect((await api('POST', `${C}/dev1/read?path=/3/0/9`)).status).toBe(404);
  });

  it('exercised every LwM2M route', () => {
    const routes = apiRoutes.map((r) => `${r.method} ${r.path}`).filter((r) => r.includes('/gateways/lwm2m/'));
    expect(routes.length).toBeGreaterThanOrEqual(9);
    expect(routes.filter((r) => !exercised.has(r))).toEqual([]);
  });
});
