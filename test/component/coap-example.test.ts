import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.js';
import { Hub } from '../../src/hub.js';
import { silentLogger } from '../../src/logger.js';
import { closeAllClients, eventually } from '../support/clients.js';
import { mosquittoPub, mosquittoSub } from '../support/cli-clients.js';
import { coapClient, coapObserve, type CoapObserver } from '../support/coap-client.js';
import { freeUdpPort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { tempDir } from '../support/tmp.js';

let hub: Hub | undefined;
const observers: CoapObserver[] = [];
afterEach(async () => {
  closeAllClients();
  await Promise.all(observers.splice(0).map((o) => o.stop()));
  await hub?.stop();
  hub = undefined;
});

describeWithPeers(
  ['coap_client', 'mosquitto_sub', 'mosquitto_pub'],
  'config/examples/coap.conf as shipped (ports moved to free ones)',
  () => {
    it('POST ps/sensors/c1 → coap/sensors/c1 "21.5"; an observer of ps/cmd/dev1 gets what MQTT publishes on coap/cmd/dev1', async () => {
      const port = await freeUdpPort();
      const file = fileURLToPath(new URL('../../config/examples/coap.conf', import.meta.url));
      const { config } = loadConfig(file, {
        env: {},
        overrides: {
          'listeners.tcp.default.bind': '127.0.0.1:0',
          'http.enable': false,
          'gateways.coap.edge.bind': `127.0.0.1:${port}`,
        },
      });
      hub = new Hub(config, { logger: silentLogger() });
      await hub.start();
      const mqttPort = hub.address('tcp').port;
      const sub = mosquittoSub({ port: mqttPort, topics: ['coap/sensors/#'], count: 1, qos: 1 });
      await sub.subscribed;
      const r = await coapClient(['-m', 'post', '-e', '21.5', `coap://127.0.0.1:${port}/ps/sensors/c1`]);
      expect(r.exitCode, r.stderr).toBe(0);
      const { messages } = await sub.done;
      expect(messages.map((m) => [m.topic, m.payload.toString()])).toEqual([['coap/sensors/c1', '21.5']]);

      // a 3 KB POST sent in 512-byte blocks (RFC 7959 Block1) arrives whole, as one MQTT message
      const body = Array.from({ length: 3072 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      const bodyFile = join(tempDir(), '3k.txt');
      writeFileSync(bodyFile, body);
      const logs = mosquittoSub({ port: mqttPort, topics: ['coap/logs/#'], count: 1, qos: 1 });
      await logs.subscribed;
      const big = await coapClient([
        '-m',
        'post',
        '-b',
        '512',
        '-v',
        '7',
        '-f',
        bodyFile,
        `coap://127.0.0.1:${port}/ps/logs/dev1`,
      ]);
      expect(big.exitCode, big.stderr).toBe(0);
      expect(big.stdout + big.stderr).toMatch(/Block1|block/i);
      const logged = (await logs.done).messages;
      expect(logged.map((m) => [m.topic, m.payload.toString()])).toEqual([['coap/logs/dev1', body]]);

      const subscriptions = () => hub!.metrics.value('protohub_subscriptions');
      await eventually(async () => (await subscriptions()) === 0, 'mosquitto_sub gone');
      const obs = coapObserve(`coap://127.0.0.1:${port}/ps/cmd/dev1`, 30);
      observers.push(obs);
      await eventually(async () => (await subscriptions()) === 1, 'observation');
      const pub = await mosquittoPub({ port: mqttPort, topic: 'coap/cmd/dev1', message: 'open', qos: 1 });
      expect(pub.code, pub.stderr).toBe(0);
      await eventually(() => obs.lines().includes('open'), 'notification at coap-client');
    });
  },
);
