/**
 * config/examples/mqttsn.conf as shipped, run by the Hub itself (its gateway wiring, device sessions and the
 * MQTT-SN UDP gateway), with only the listener ports moved to free ones: real MQTT-SN clients over UDP on one
 * side, mosquitto_sub / mosquitto_pub on the other.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.js';
import { Hub } from '../../src/hub.js';
import { silentLogger } from '../../src/logger.js';
import { mosquittoPub, mosquittoSub } from '../support/cli-clients.js';
import { eventually } from '../support/clients.js';
import { MqttSnTestClient } from '../support/mqttsn-client.js';
import { freeUdpPort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';

const file = fileURLToPath(new URL('../../config/examples/mqttsn.conf', import.meta.url));
let hub: Hub | undefined;
const clients: MqttSnTestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await hub?.stop();
  hub = undefined;
});

async function startExample(): Promise<{ mqttPort: number; snPort: number }> {
  const snPort = await freeUdpPort();
  const { config } = loadConfig(file, {
    env: {},
    overrides: {
      'listeners.tcp.default.bind': '127.0.0.1:0',
      'http.enable': false,
      'gateways.mqttsn.default.bind': `127.0.0.1:${snPort}`,
    },
  });
  hub = new Hub(config, { configFile: file, logger: silentLogger() });
  await hub.start();
  return { mqttPort: hub.address('tcp').port, snPort };
}

async function snClient(port: number, clientId: string): Promise<MqttSnTestClient> {
  const c = await MqttSnTestClient.open({ port });
  clients.push(c);
  expect(await c.connect(clientId)).toBe(0);
  return c;
}

describeWithPeers(['mosquitto_sub', 'mosquitto_pub'], 'config/examples/mqttsn.conf as shipped', () => {
  it("an MQTT-SN publish on sensors/sn/x is seen by mosquitto_sub -t 'sensors/#'", async () => {
    const { mqttPort, snPort } = await startExample();
    const sub = mosquittoSub({ port: mqttPort, topics: ['sensors/#'], count: 2, qos: 1 });
    await sub.subscribed;
    const sn = await snClient(snPort, 'sn-sensor');
    const id = await sn.register('sensors/sn/x');
    expect(await sn.publish(id, '21.5', { qos: 1 })).toBe(0); // PUBACK accepted, after the broker's durable accept
    await sn.publish(1, 'predef', { qos: 0, idType: 1 }); // predefined topic id 1
    const { messages } = await sub.done;
    expect(messages.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['sensors/sn/x', '21.5'],
      ['sensors/predef/1', 'predef'],
    ]);
    expect(await hub!.metrics.value('protohub_connections', { protocol: 'mqttsn' })).toBe(1);
  });

  it('an MQTT-SN client subscribed to cmd/# gets what mosquitto_pub -t cmd/a/b publishes, after a REGISTER', async () => {
    const { mqttPort, snPort } = await startExample();
    const sn = await snClient(snPort, 'sn-actuator');
    const suback = await sn.subscribe('cmd/#', 1);
    expect(suback.returnCode).toBe(0);
    const pub = await mosquittoPub({ port: mqttPort, topic: 'cmd/a/b', message: 'open', qos: 1 });
    expect(pub.code).toBe(0);
    const register = await sn.next('REGISTER');
    expect(register.topic).toBe('cmd/a/b');
    const [m] = await sn.waitMessages(1);
    expect(m.topic).toBe('cmd/a/b');
    expect(m.payload.toString()).toBe('open');
    await sn.disconnect();
    await eventually(
      async () => (await hub!.metrics.value('protohub_connections', { protocol: 'mqttsn' })) === 0,
      'device session closed after DISCONNECT',
    );
  });
});
