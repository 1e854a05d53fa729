/**
 * The functions the HTTP API will call (list endpoints, run a command), on a Lwm2mGateway instance wired to a real
 * broker's device sessions, with the test device over real UDP.
 */
import { afterEach, expect, it } from 'vitest';
import { Lwm2mGateway } from '../../gateways/lwm2m/instance.js';
import { lwm2mConfigSchema } from '../../gateways/lwm2m/schema.js';
import { InstanceDeviceSessions } from '../../src/gateway/device-sessions.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { Lwm2mTestClient } from '../support/lwm2m-client.js';
import { freeUdpPort } from '../support/net.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await stopAllHubs();
});

it('lists registered endpoints and runs commands, answering with the up/resp document', async () => {
  const hub = await startHub();
  const udp = await freeUdpPort();
  const config = lwm2mConfigSchema.parse({ bind: `127.0.0.1:${udp}`, request_timeout: '5s' });
  const metrics = new GatewayMetrics(new Metrics(), 'lwm2m.api');
  const gw = new Lwm2mGateway(config, {
    name: 'api',
    id: 'lwm2m.api',
    logger: silentLogger(),
    metrics,
    devices: new InstanceDeviceSessions(hub.hub.broker, 'lwm2m', 'lwm2m.api', config, metrics),
  });
  await gw.start();
  cleanups.push(() => gw.stop());
  expect(gw.list()).toEqual([]);
  const d = new Lwm2mTestClient(udp);
  await d.open();
  cleanups.push(() => d.close());
  d.resources.set('/3/0/9', 64);
  await d.register('api1', ['lt=120', 'b=U', 'lwm2m=1.1']);
  expect(gw.list()).toMatchObject([
    { ep: 'api1', lt: 120, b: 'U', lwm2m: '1.1', queueMode: false, objectList: ['/1/0', '/3/0', '/3303/0'] },
  ]);
  expect(gw.command('nobody', {})).toBeUndefined();
  await expect(gw.command('api1', { reqID: 'h1', msgType: 'read', data: { path: '/3/0/9' } })).resolves.toEqual({
    reqID: 'h1',
    msgType: 'read',
    data: { reqPath: '/3/0/9', code: '2.05', codeMsg: 'content', content: [{ path: '/3/0/9', value: 64 }] },
  });
  await expect(gw.command('api1', { reqID: 'h2', msgType: 'nope', data: {} })).resolves.toMatchObject({
    data: { code: '4.00', codeMsg: 'bad_request' },
  });
  expect(gw.health()).toMatchObject({ connection: 'listening', peers: 1 });
});
