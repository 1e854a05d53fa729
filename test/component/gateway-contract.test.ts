/**
 * The contract every gateway passes: lifecycle (start/stop idempotent, stop completes ingress, send after stop
 * rejects), a malformed message goes to the DLQ and the stream lives on, a dead peer shows in health, and a
 * failed start is retried by the supervisor. One case per gateway, each with its real peer.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, expect, it } from 'vitest';
import { gatewayDefinitions } from '../../gateways/registry.js';
import { envelope } from '../../src/envelope.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { closeAllClients, collect, eventually, subscribe } from '../support/clients.js';
import { stopAllHubs } from '../support/hub.js';
import { freePort } from '../support/net.js';
import { describeWithPeers, type PeerName } from '../support/peers.js';
import { removeTempDirs } from '../support/tmp.js';
import { startGatewayHub, type GatewayHub } from './gateway-contract-fixture.js';
import { nanocat, nngPeer } from './nng-peer-helper.js';
import { PyZmqPeer } from './zeromq-peer-helper.js';

interface Killable {
  kill(): Promise<void>;
}

interface ContractCase {
  protocol: string;
  peers: PeerName[];
  /** `in` receives on inPort (listening); `out` dials a peer on outPort. */
  config(inPort: number, outPort: number): Record<string, unknown>;
  /** A listening peer the `out` socket dials, to kill for the dead-peer check. */
  deadPeer(outPort: number): Promise<Killable>;
  sendMalformed(inPort: number): Promise<Killable>;
  sendGood(inPort: number, topic: string): Promise<Killable>;
  /** MQTT topic the gateway publishes `topic` on with the default convention. */
  uplinkTopic(topic: string): string;
  /** Config whose `in` socket listens on a port someone else holds. */
  bindConflict(port: number): Record<string, unknown>;
}

const CASES: ContractCase[] = [
  {
    protocol: 'zeromq',
    peers: ['pyzmq'],
    config: (i, o) => ({
      sockets: {
        in: { type: 'pull', bind: [`tcp://127.0.0.1:${i}`] },
        out: { type: 'push', connect: [`tcp://127.0.0.1:${o}`], reconnect_interval: '50ms' },
      },
    }),
    deadPeer: (o) => PyZmqPeer.start('pull', 'bind', `tcp://127.0.0.1:${o}`),
    sendMalformed: async (i) => {
      const p = await PyZmqPeer.start('push', 'connect', `tcp://127.0.0.1:${i}`);
      p.send(['one frame only']);
      return p;
    },
    sendGood: async (i, topic) => {
      const p = await PyZmqPeer.start('push', 'connect', `tcp://127.0.0.1:${i}`);
      p.send([topic, 'good']);
      return p;
    },
    uplinkTopic: (t) => `zmq/c/up/${t}`,
    bindConflict: (port) => ({ sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${port}`] } } }),
  },
  {
    protocol: 'nng',
    peers: ['nanocat', 'libnng'],
    config: (i, o) => ({
      dial_probe_interval: '100ms',
      sockets: {
        in: { type: 'pull', listen: [`tcp://127.0.0.1:${i}`] },
        out: { type: 'push', dial: [`tcp://127.0.0.1:${o}`] },
      },
    }),
    deadPeer: async (o) => {
      const p = nngPeer(['pull', `tcp://127.0.0.1:${o}`]);
      await p.waitFor((l) => l.includes('ready'));
      return p;
    },
    sendMalformed: async (i) => nanocat(['--push', '--connect', `tcp://127.0.0.1:${i}`, '--data', 'no-delimiter']),
    sendGood: async (i, topic) => nngPeer(['push', `tcp://127.0.0.1:${i}`, `${topic} good`]),
    uplinkTopic: (t) => `nng/c/up/${t}`,
    bindConflict: (port) => ({ sockets: { in: { type: 'pull', listen: [`tcp://127.0.0.1:${port}`] } } }),
  },
];

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  closeAllClients();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await stopAllHubs();
});
afterAll(() => removeTempDirs());

const keep = <T extends Killable>(k: T): T => (cleanups.push(() => k.kill()), k);

for (const c of CASES) {
  const def = gatewayDefinitions.find((d) => d.protocol === c.protocol)!;

  const hubWith = async (raw: Record<string, unknown>): Promise<GatewayHub> => {
    const h = await startGatewayHub(c.protocol, 'c', raw);
    cleanups.push(() => h.stop());
    return h;
  };

  describeWithPeers(c.peers, `gateway contract: ${c.protocol}`, () => {
    it('start/stop are idempotent, stop completes ingress$, send and start after stop reject', async () => {
      const raw = c.config(await freePort(), await freePort());
      const metrics = new Metrics();
      const inst = await def.create(def.configSchema.parse(raw), {
        name: 'c',
        id: `${c.protocol}.c`,
        logger: silentLogger(),
        metrics: new GatewayMetrics(metrics, `${c.protocol}.c`),
      });
      let completed = false;
      inst.ingress$.subscribe({
        complete: () => {
          completed = true;
        },
      });
      await Promise.all([inst.start(), inst.start()]);
      await inst.start();
      expect(inst.health().connection).not.toBe('closed');
      await Promise.all([inst.stop(), inst.stop()]);
      expect(completed).toBe(true);
      await inst.stop();
      expect(inst.health().connection).toBe('closed');
      await expect(
        inst.send({ address: 'a', payload: Buffer.from('x'), envelope: envelope('t', 'x') }),
      ).rejects.toMatchObject({ code: 'PH_STATE_STOPPED' });
      await expect(inst.start()).rejects.toMatchObject({ code: 'PH_STATE_STOPPED' });
    });

    it('a malformed message goes to the DLQ and the stream lives on', async () => {
      const inPort = await freePort();
      const h = await hubWith(c.config(inPort, await freePort()));
      const client = await h.client();
      await subscribe(client, [`$hub/dlq/${c.protocol}.c`, c.uplinkTopic('#')]);
      const dlq = collect(client, 1, { filter: (m) => m.topic.startsWith('$hub/dlq/') });
      keep(await c.sendMalformed(inPort));
      const [d] = await dlq;
      expect((d.packet.properties?.userProperties as Record<string, string>).reason).toBe('malformed');
      const good = collect(client, 1, { filter: (m) => m.topic === c.uplinkTopic('after/fault') });
      keep(await c.sendGood(inPort, 'after/fault'));
      expect((await good)[0].payload.toString()).toBe('good');
      expect(h.manager.health()[0]).toMatchObject({ state: 'running', restarts: 0 });
    });

    it('a dead peer shows in health', async () => {
      const outPort = await freePort();
      const peer = keep(await c.deadPeer(outPort));
      const h = await hubWith(c.config(await freePort(), outPort));
      await eventually(() => h.manager.health()[0].connection === 'connected', 'connected to the peer');
      await peer.kill();
      await eventually(() => h.manager.health()[0].connection !== 'connected', 'dead peer visible');
      const health = h.manager.health()[0];
      expect(health.state).toBe('running');
      expect(health.peers).toBe(0);
      expect(health.lastError).toBeTruthy();
    });

    it('the supervisor restarts an instance whose start failed, with backoff, and reports it', async () => {
      const port = await freePort();
      const holder: Server = createServer();
      await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
      cleanups.push(() => new Promise((r) => holder.close(r)));
      const h = await hubWith({ ...c.bindConflict(port), restart: { initial_backoff: '20ms', max_backoff: '200ms' } });
      await eventually(() => h.manager.health()[0].restarts >= 1, 'restarted at least once');
      expect(h.manager.health()[0].state).not.toBe('running');
      expect(h.manager.health()[0].lastError).toBeTruthy();
      await new Promise((r) => holder.close(r));
      await eventually(() => h.manager.health()[0].state === 'running', 'running once the port is free');
      expect(await h.metric('protohub_gateway_restarts_total')).toBeGreaterThanOrEqual(1);
      expect(await h.metric('protohub_gateway_up')).toBe(1);
      const client = await h.client();
      const status = collect(client, 1);
      await subscribe(client, `$hub/gateways/${c.protocol}.c/status`);
      const [retained] = await status;
      expect(retained.packet.retain).toBe(true);
      expect(JSON.parse(retained.payload.toString())).toMatchObject({ id: `${c.protocol}.c`, state: 'running' });
    });
  });
}
