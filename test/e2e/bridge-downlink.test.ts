/**
 * Issue 4, subscriptions and loop prevention: commands from the upstream reach a local subscriber (also through
 * a `$share` subscription); a message that came down a bridge never goes back up it, with forwards and
 * subscriptions on the same topics — by v5 no-local, and by the hop marker alone when no-local is off.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { eventually, startHub, stopAllHubs } from '../support/hub.js';
import { closeAllClients, collect, collectUntil, connectV5, subscribe } from '../support/clients.js';
import { removeTempDirs } from '../support/tmp.js';
import { bridgeInput } from './bridge-harness.js';

const mosquittos: MosquittoInstance[] = [];
afterEach(async () => {
  closeAllClients(); // first: a hub stop waits (bounded) for connected clients to go
  await stopAllHubs();
  await Promise.all(mosquittos.splice(0).map((m) => m.stop()));
});
afterAll(removeTempDirs);

async function setup(over: Record<string, unknown> = {}) {
  const mosq = await startMosquitto();
  mosquittos.push(mosq);
  const started = await startHub(
    bridgeInput([mosq.url], {
      forwards: [
        { local: 'sensors/#', remote: 'edge/edge1/{topic}', qos: 1 },
        { local: 'cmd/#', remote: 'edge/edge1/{topic}', qos: 1 }, // would send commands straight back up
        { local: 'loop/{rest*}', remote: 'loop/{rest*}', qos: 1 },
      ],
      subscriptions: [
        { remote: 'cloud/edge1/cmd/{rest*}', local: 'cmd/{rest*}', qos: 1 },
        { remote: '$share/hubs/cloud/all/{rest*}', local: 'shared/{rest*}', qos: 1 },
        { remote: 'loop/{rest*}', local: 'loop/{rest*}', qos: 1 },
      ],
      ...over,
    }),
  );
  const status = () => (started.hub.status().components as { bridges: Array<{ state: string }> }).bridges[0];
  await eventually(() => status().state === 'connected', 'bridge connected');
  const cloud = await connectV5(mosq.url, { clientId: 'cloud-app' });
  const local = await connectV5(started.url, { clientId: 'local-app' });
  return { ...started, mosq, cloud, local };
}

describeWithPeers(['mosquitto'], 'bridge subscriptions and loop prevention', () => {
  it('commands from upstream reach a local subscriber with captures, properties and through $share', async () => {
    const { cloud, local, hub } = await setup();
    await subscribe(local, ['cmd/#', 'shared/#']);
    // the SUBSCRIBE upstream races the CONNACK-time state: wait until a probe makes it down
    await eventually(async () => {
      await cloud.publishAsync('cloud/edge1/cmd/probe', 'p', { qos: 1 });
      return (await hub.metrics.value('protohub_bridge_received_total', { bridge: 'cloud' })) > 0;
    }, 'upstream subscription active');
    const got = collect(local, 2, { filter: (m) => m.topic !== 'cmd/probe' });
    await cloud.publishAsync('cloud/edge1/cmd/valve/7/open', '{"on":true}', {
      qos: 1,
      properties: { contentType: 'application/json', userProperties: { req: '42' } },
    });
    await cloud.publishAsync('cloud/all/reboot', 'now', { qos: 1 });
    const msgs = await got;
    expect(msgs.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['cmd/valve/7/open', '{"on":true}'],
      ['shared/reboot', 'now'],
    ]);
    expect(msgs[0].packet.properties?.contentType).toBe('application/json');
    expect(msgs[0].packet.properties?.userProperties).toMatchObject({ req: '42' });
  });

  it.each([
    ['no-local and hop marker', {}, 0],
    ['hop marker alone (no_local = false)', { noLocalOff: true }, 1],
  ])('a message never goes back up the bridge it came down: %s', async (_name, opt, loopDrops) => {
    const subs = [
      { remote: 'cloud/edge1/cmd/{rest*}', local: 'cmd/{rest*}', qos: 1 },
      { remote: 'loop/{rest*}', local: 'loop/{rest*}', qos: 1, no_local: !('noLocalOff' in opt) },
    ];
    const { cloud, local, hub } = await setup({ subscriptions: subs });
    await subscribe(local, ['loop/#', 'cmd/#']);
    await subscribe(cloud, ['edge/edge1/#', 'loop/#']);
    await eventually(async () => {
      await cloud.publishAsync('cloud/edge1/cmd/probe', 'p', { qos: 1 });
      return (await hub.metrics.value('protohub_bridge_received_total', { bridge: 'cloud' })) > 0;
    }, 'upstream subscription active');

    // up: a local publish on loop/a reaches the cloud once and does not come back down as a second copy
    const cloudSees = collect(cloud, 1, { filter: (m) => m.topic === 'loop/a' });
    const localSees = collectUntil(local, 'loop/sentinel');
    await local.publishAsync('loop/a', 'from-edge', { qos: 1 });
    expect((await cloudSees)[0].packet.properties?.userProperties).toMatchObject({ 'protohub-hop': 'edge1/cloud' });
    await cloud.publishAsync('loop/sentinel', 's', { qos: 1 }); // after any echo on the same upstream connection
    expect((await localSees).map((m) => m.topic).filter((t) => t.startsWith('loop/'))).toEqual(['loop/a']);
    expect(await hub.metrics.value('protohub_bridge_dropped_total', { bridge: 'cloud', reason: 'loop' })).toBe(
      loopDrops,
    );

    // down: a command published locally by the bridge is not forwarded back up by the `cmd/#` forward
    const upstreamSees = collectUntil(cloud, 'edge/edge1/sensors/sentinel');
    await cloud.publishAsync('cloud/edge1/cmd/x', 'go', { qos: 1 });
    await collect(local, 1, { filter: (m) => m.topic === 'cmd/x' });
    await local.publishAsync('sensors/sentinel', 's', { qos: 1 });
    const up = (await upstreamSees).map((m) => m.topic);
    expect(up).not.toContain('edge/edge1/cmd/x');
    expect(up).not.toContain('edge/edge1/cmd/probe');
  });
});
