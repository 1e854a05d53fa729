import { afterEach, expect, it } from 'vitest';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import { describeWithPeers } from '../support/peers.js';
import { startExample, type ExampleHub } from './gateway-contract-example.js';
import { PyZmqPeer } from './zeromq-peer-helper.js';

const peers: PyZmqPeer[] = [];
let example: ExampleHub | undefined;
afterEach(async () => {
  closeAllClients();
  await Promise.all(peers.splice(0).map((p) => p.kill()));
  await example?.stop();
  example = undefined;
});

describeWithPeers(['pyzmq'], 'config/examples/zeromq.conf as shipped', () => {
  it('SUB on :5560 → zmq/<topic> QoS 1 bytes unchanged; zmq/cmd/{rest*} → PUB on :5561 as [{rest}, bytes]', async () => {
    const pub = await PyZmqPeer.start('pub', 'bind', 'tcp://127.0.0.1:5560');
    peers.push(pub);
    example = await startExample('zeromq.conf');
    expect(example.health()[0].mapping).toMatch(/mappings\/zeromq\.conf$/);
    const app = await connectV5(example.url);
    await subscribe(app, 'zmq/sensors/#', { qos: 1 });
    const bytes = Buffer.from([0x00, 0x10, 0xff, 0x80]);
    const got = collect(app, 1);
    // PUB/SUB: no event says the gateway's subscription arrived; resend until the first copy is through.
    let arrived = false;
    void got.then(
      () => {
        arrived = true;
      },
      () => undefined,
    );
    await eventually(() => {
      if (!arrived) pub.send(['sensors/line1/temp', bytes]);
      return arrived;
    }, 'first uplink message');
    const [m] = await got;
    expect(m.topic).toBe('zmq/sensors/line1/temp');
    expect(m.payload.equals(bytes)).toBe(true);
    expect(m.packet.qos).toBe(1);

    const sub = await PyZmqPeer.start('sub', 'connect', 'tcp://127.0.0.1:5561');
    peers.push(sub);
    await eventually(() => {
      if (sub.received.length > 0) return true;
      app.publish('zmq/cmd/line1/valve', Buffer.from([1, 2, 3]), { qos: 1 });
      return false;
    }, 'downlink message at the python SUB');
    expect(sub.received[0][0].toString()).toBe('line1/valve');
    expect(sub.received[0][1].equals(Buffer.from([1, 2, 3]))).toBe(true);
  });
});
