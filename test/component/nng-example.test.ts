import { afterEach, expect, it } from 'vitest';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import { describeWithPeers } from '../support/peers.js';
import { startExample, type ExampleHub } from './gateway-contract-example.js';
import { nanocat, nngPeer, type LinePeer } from './nng-peer-helper.js';

const peers: LinePeer[] = [];
let example: ExampleHub | undefined;
afterEach(async () => {
  closeAllClients();
  await Promise.all(peers.splice(0).map((p) => p.kill()));
  await example?.stop();
  example = undefined;
});

describeWithPeers(['nanocat', 'libnng'], 'config/examples/nng.conf as shipped', () => {
  it('sub :5570 → nng/<topic>; nng/cmd/{rest*} → pub :5571; rep :5572 → MQTT 5 request on nng/req/<topic>', async () => {
    example = await startExample('nng.conf');
    const app = await connectV5(example.url);
    await subscribe(app, ['nng/sensors/#', 'nng/req/#'], { qos: 1 });

    const up = collect(app, 1, { filter: (m) => m.topic === 'nng/sensors/a' });
    peers.push(nanocat(['--pub', '--bind', 'tcp://127.0.0.1:5570', '--data', 'sensors/a 21.5', '-i', '0.05']));
    const [m] = await up;
    expect(m.payload.toString()).toBe('21.5');

    const sub = nanocat(['--sub', '--connect', 'tcp://127.0.0.1:5571']);
    peers.push(sub);
    await eventually(() => {
      if (sub.lines.includes('line1/valve open')) return true;
      app.publish('nng/cmd/line1/valve', 'open');
      return false;
    }, 'command at the nanocat sub');

    app.on('message', (topic, payload, packet) => {
      const rt = packet.properties?.responseTopic;
      if (topic.startsWith('nng/req/') && rt) {
        app.publish(rt, `answer to ${topic}: ${payload.toString()}`, {
          properties: { correlationData: packet.properties?.correlationData },
        });
      }
    });
    const req = nngPeer(['req', 'tcp://127.0.0.1:5572', 'calc/add 1 2']);
    peers.push(req);
    await req.waitFor((l) => l.length > 0);
    expect(req.lines[0]).toBe('answer to nng/req/calc/add: 1 2');
  });
});
