/**
 * The client-gateway SPI with the real broker: a minimal client gateway (test-only definition) connects its
 * devices through ctx.devices; the instance's mountpoint and allow_anonymous apply, each device has its own
 * lane (one that never acks does not hold up another), metrics carry the protocol, and devices a stopped
 * instance left open are lost (their wills published).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InstanceDeviceSessions } from '../../src/gateway/device-sessions.js';
import { GatewayManager } from '../../src/gateway/manager.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import {
  clientGatewayShape,
  type ClientGatewayContext,
  type ClientGatewayDefinition,
  type DeviceSession,
} from '../../src/gateway/index.js';
import { closeAllClients, collect, connectV5 } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';

const schema = z.object({ ...clientGatewayShape, devices: z.array(z.string()).default([]) }).strict();
type EchoConfig = z.output<typeof schema>;

/** Each configured device subscribes to in/#, acks (unless its id starts with "slow") and echoes to out/<topic>. */
const echoGateway: ClientGatewayDefinition<EchoConfig> = {
  kind: 'client',
  protocol: 'echo',
  configSchema: schema,
  create: (config: EchoConfig, ctx: ClientGatewayContext) => {
    const sessions: DeviceSession[] = [];
    return {
      async start() {
        for (const clientId of config.devices) {
          const own: { session?: DeviceSession } = {};
          const r = await ctx.devices.connect({
            clientId,
            peerAddress: '127.0.0.1',
            cleanStart: true,
            sessionExpiry: 0,
            will: { topic: `wills/${clientId}`, payload: Buffer.from('lost'), qos: 0, retain: false },
            handler: {
              onDelivery: (d) => {
                if (clientId.startsWith('slow')) return; // a sleeping/slow device: never acks
                void own.session
                  ?.publish({ topic: `out/${d.topic}`, payload: d.payload, qos: 1, retain: false })
                  .then(() => d.ack());
              },
              onClose: () => undefined,
            },
          });
          if (!r.ok) throw new Error(`${clientId}: ${r.reason}`);
          own.session = r.session;
          r.session.subscribe([{ filter: 'in/#', qos: 1 }]);
          r.session.startDelivery();
          sessions.push(r.session);
        }
      },
      async stop() {
        // leaves its sessions open on purpose: the runner must lose them
      },
      health: () => ({ connection: 'listening', peers: ctx.devices.connected }),
    };
  },
};

afterEach(() => closeAllClients());
afterAll(() => stopAllHubs());

describe('client gateway SPI', () => {
  it('mountpoint per instance, per-device lanes, protocol metrics, devices lost on stop', async () => {
    const h = await startHub({ mqtt: { max_mqueue_len: 100 } });
    const config = schema.parse({ mountpoint: 'echo/${clientid}/', devices: ['fast', 'slow'], inflight_window: 2 });
    const manager = new GatewayManager({
      config: { echo: { a: config } } as never,
      broker: h.hub.broker,
      logger: h.hub.logger,
      metrics: h.hub.metrics,
      baseDir: '.',
      definitions: [echoGateway],
    });
    const mqtt = await connectV5(h.url, { clientId: 'echo-watch' });
    await mqtt.subscribeAsync(['echo/+/out/#', 'echo/+/wills/#'], { qos: 1 });
    await manager.start();
    expect(manager.health()[0]).toMatchObject({ id: 'echo.a', state: 'running', peers: 2 });
    expect(await h.hub.metrics.value('protohub_connections', { protocol: 'echo', listener: 'echo.a' })).toBe(2);

    // the slow device's window (2) fills and stays full; the fast one still gets and echoes all 10
    const echoes = collect(mqtt, 10, { filter: (m) => m.topic.startsWith('echo/fast/out/') });
    for (let i = 0; i < 10; i++) {
      await mqtt.publishAsync(`echo/slow/in/${i}`, `s${i}`, { qos: 1 });
      await mqtt.publishAsync(`echo/fast/in/${i}`, `f${i}`, { qos: 1 });
    }
    const got = await echoes;
    expect(got.map((m) => m.topic)).toEqual(Array.from({ length: 10 }, (_, i) => `echo/fast/out/in/${i}`));

    // the will topic is under the mountpoint too
    const wills = collect(mqtt, 2, { filter: (m) => m.topic.includes('/wills/') });
    await manager.stop();
    expect((await wills).map((m) => m.topic).sort()).toEqual(['echo/fast/wills/fast', 'echo/slow/wills/slow']);
    expect(await h.hub.metrics.value('protohub_connections', { protocol: 'echo' })).toBe(0);
  });

  it('publishUnconnected (MQTT-SN QoS -1): under the mountpoint, authorized as anonymous, refused when anonymous is off', async () => {
    const h = await startHub({
      authorization: {
        no_match: 'allow',
        rules: [{ permission: 'deny', who: { ipaddress: '127.0.0.2' }, action: 'publish', topics: ['#'] }],
      },
    });
    const watch = await connectV5(h.url, { clientId: 'q-1-watch' });
    await watch.subscribeAsync('sn/#', { qos: 0 });
    const open = new InstanceDeviceSessions(
      h.hub.broker,
      'echo',
      'echo.q',
      schema.parse({ mountpoint: 'sn/' }),
      new GatewayMetrics(h.hub.metrics, 'echo.q'),
    );
    const got = collect(watch, 1);
    const msg = { topic: 't', payload: Buffer.from('-1'), qos: 0 as const, retain: false };
    await open.publishUnconnected({ ...msg, peerAddress: '127.0.0.1' });
    expect((await got)[0].topic).toBe('sn/t');
    await expect(open.publishUnconnected({ ...msg, peerAddress: '127.0.0.2' })).rejects.toMatchObject({
      code: 'PH_AUTH_NOT_AUTHORIZED',
    });
    const closed = new InstanceDeviceSessions(
      h.hub.broker,
      'echo',
      'echo.r',
      schema.parse({ allow_anonymous: false }),
      new GatewayMetrics(h.hub.metrics, 'echo.r'),
    );
    await expect(closed.publishUnconnected({ ...msg, peerAddress: '127.0.0.1' })).rejects.toMatchObject({
      code: 'PH_AUTH_NOT_AUTHORIZED',
    });
  });
});
