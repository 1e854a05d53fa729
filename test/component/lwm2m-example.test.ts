/**
 * config/examples/lwm2m.conf as shipped (ports moved to free ones): the Example with mosquitto_pub/sub as
 * the application and the node-coap LwM2M device (test/support/lwm2m-coap-client.ts) as dev1.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.js';
import { Hub } from '../../src/hub.js';
import { silentLogger } from '../../src/logger.js';
import { mosquittoPub, mosquittoSub } from '../support/cli-clients.js';
import { CoapLwm2mDevice } from '../support/lwm2m-coap-client.js';
import { freeUdpPort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';

let hub: Hub | undefined;
const devices: CoapLwm2mDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.close()));
  await hub?.stop();
  hub = undefined;
});

describeWithPeers(
  ['mosquitto_pub', 'mosquitto_sub'],
  'config/examples/lwm2m.conf as shipped (ports moved to free ones)',
  () => {
    it('dev1 registers → lwm2m/dev1/up/register; the read on lwm2m/dev1/dn → 2.05 with 21.5 on up/resp', async () => {
      const udp = await freeUdpPort();
      const file = fileURLToPath(new URL('../../config/examples/lwm2m.conf', import.meta.url));
      const { config } = loadConfig(file, {
        env: {},
        overrides: {
          'listeners.tcp.default.bind': '127.0.0.1:0',
          'http.enable': false,
          'gateways.lwm2m.edge.bind': `127.0.0.1:${udp}`,
        },
      });
      hub = new Hub(config, { logger: silentLogger() });
      await hub.start();
      const port = hub.address('tcp').port;
      const sub = mosquittoSub({ port, topics: ['lwm2m/dev1/up/#'], count: 2, version: 'mqttv5' });
      await sub.subscribed;
      const d = new CoapLwm2mDevice(udp, { lwm2m: '1.1', ct: [110] });
      devices.push(d);
      await d.open();
      d.resources.set('/3303/0/5700', 21.5);
      expect(await d.register('dev1', ['lt=300', 'b=U'])).toBe('2.01');
      const pub = await mosquittoPub({
        port,
        topic: 'lwm2m/dev1/dn',
        message: '{"reqID":1,"msgType":"read","data":{"path":"/3303/0/5700"}}',
      });
      expect(pub.code, pub.stderr).toBe(0);
      const { messages } = await sub.done;
      expect(messages.map((m) => m.topic)).toEqual(['lwm2m/dev1/up/register', 'lwm2m/dev1/up/resp']);
      expect(JSON.parse(messages[0]!.payload.toString())).toMatchObject({
        msgType: 'register',
        data: { ep: 'dev1', lwm2m: '1.1', b: 'U', objectList: ['/1/0', '/3/0', '/3303/0'] },
      });
      expect(JSON.parse(messages[1]!.payload.toString())).toEqual({
        reqID: 1,
        msgType: 'read',
        data: {
          reqPath: '/3303/0/5700',
          code: '2.05',
          codeMsg: 'content',
          content: [{ path: '/3303/0/5700', value: 21.5 }],
        },
      });
    });
  },
);
