/** The Example with mosquitto_pub/sub as the MQTT application and the test device over real UDP. */
import { afterEach, expect, it } from 'vitest';
import { mosquittoPub, mosquittoSub } from '../support/cli-clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { Lwm2mTestClient } from '../support/lwm2m-client.js';
import { freeUdpPort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';

const devices: Lwm2mTestClient[] = [];
afterEach(async () => {
  devices.splice(0).forEach((d) => d.close());
  await stopAllHubs();
});

describeWithPeers(['mosquitto_pub', 'mosquitto_sub'], 'LwM2M gateway with mosquitto_pub/sub', () => {
  it('dev1 registers → up/register; a read on dn → 2.05 with the value on up/resp', async () => {
    const udp = await freeUdpPort();
    const hub = await startHub({ gateways: { lwm2m: { edge: { bind: `127.0.0.1:${udp}` } } } } as never);
    const port = hub.port;
    const sub = mosquittoSub({ port, topics: ['lwm2m/dev1/up/#'], count: 2, version: 'mqttv5' });
    await sub.subscribed;
    const d = new Lwm2mTestClient(udp);
    devices.push(d);
    await d.open();
    d.resources.set('/3303/0/5700', 21.5);
    await d.register('dev1', ['lt=300', 'lwm2m=1.1', 'b=U']);
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
      data: { ep: 'dev1', lwm2m: '1.1' },
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
});
