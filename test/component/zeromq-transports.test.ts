import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { closeAllClients, collect, subscribe } from '../support/clients.js';
import { stopAllHubs } from '../support/hub.js';
import { freePort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { startGatewayHub, type GatewayHub } from './gateway-contract-fixture.js';
import { PyZmqPeer } from './zeromq-peer-helper.js';

const hubs: GatewayHub[] = [];
const peers: PyZmqPeer[] = [];
afterEach(async () => {
  closeAllClients();
  await Promise.all(peers.splice(0).map((p) => p.kill()));
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
  await stopAllHubs();
});
afterAll(() => removeTempDirs());

/** A zeromq.js PUSH in a separate node process: connects, sends one [topic, payload] and exits. */
function zeromqJsPush(endpoint: string, topic: string, payload: string): Promise<number | null> {
  const script = `import * as zmq from 'zeromq';
const s = new zmq.Push({ linger: 1000 });
s.connect(${JSON.stringify(endpoint)});
await s.send([${JSON.stringify(topic)}, ${JSON.stringify(payload)}]);
s.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.once('exit', resolve));
}

describeWithPeers(['pyzmq'], 'zeromq transports and peers', () => {
  it('PULL over ipc from python and over tcp from zeromq.js in another process, on one socket', async () => {
    const ipc = `ipc://${join(tempDir('zmq-ipc-'), 'gw.ipc')}`;
    const tcp = `tcp://127.0.0.1:${await freePort()}`;
    const h = await startGatewayHub('zeromq', 't', { sockets: { in: { type: 'pull', bind: [ipc, tcp] } } });
    hubs.push(h);
    const c = await h.client();
    await subscribe(c, 'zmq/t/up/#');
    const got = collect(c, 2);
    const py = await PyZmqPeer.start('push', 'connect', ipc);
    peers.push(py);
    py.send(['via/ipc', 'python']);
    expect(await zeromqJsPush(tcp, 'via/tcp', 'zeromq.js')).toBe(0);
    const msgs = (await got).map((m) => `${m.topic}=${m.payload.toString()}`).sort();
    expect(msgs).toEqual(['zmq/t/up/via/ipc=python', 'zmq/t/up/via/tcp=zeromq.js']);
  });

  it('a gateway never receives its own uplink messages back (No Local), even when its rules overlap', async () => {
    const mapping = join(tempDir('zmq-map-'), 'loop.json');
    writeFileSync(
      mapping,
      JSON.stringify({
        uplink: [{ address: '{a*}', topic: 'loop/{a*}' }],
        downlink: [{ filter: 'loop/{a*}', address: '{a*}', qos: 0 }],
      }),
    );
    const inPort = await freePort();
    const outPort = await freePort();
    const pull = await PyZmqPeer.start('pull', 'bind', `tcp://127.0.0.1:${outPort}`);
    peers.push(pull);
    const h = await startGatewayHub('zeromq', 't', {
      mapping,
      sockets: {
        in: { type: 'pull', bind: [`tcp://127.0.0.1:${inPort}`] },
        out: { type: 'push', connect: [`tcp://127.0.0.1:${outPort}`] },
      },
    });
    hubs.push(h);
    const c = await h.client();
    await subscribe(c, 'loop/#');
    const up = collect(c, 1);
    const push = await PyZmqPeer.start('push', 'connect', `tcp://127.0.0.1:${inPort}`);
    peers.push(push);
    push.send(['from/peer', 'x']);
    expect((await up)[0].topic).toBe('loop/from/peer');
    // Published after the broker routed loop/from/peer, so a looped copy would reach the PULL peer first.
    c.publish('loop/from/app', 'y', { qos: 1 });
    await pull.waitFor((r) => r.length >= 1);
    expect(pull.received[0].map((f) => f.toString())).toEqual(['from/app', 'y']);
  });
});
