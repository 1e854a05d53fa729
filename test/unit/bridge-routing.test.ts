import { describe, expect, it } from 'vitest';
import { envelope } from '../../src/envelope.js';
import { clientOptions } from '../../src/bridge/client-options.js';
import { ForwardRouter } from '../../src/bridge/forward-router.js';
import { hasHop, HOP_PROPERTY, withHop } from '../../src/bridge/hop-marker.js';
import { bridgeSchema } from '../../src/bridge/schema.js';

const cfg = (over: Record<string, unknown> = {}) => bridgeSchema.parse({ servers: ['mqtt://127.0.0.1:1883'], ...over });

describe('ForwardRouter', () => {
  const router = new ForwardRouter(
    cfg({
      forwards: [
        {
          local: 'sensors/{site}/{rest*}',
          remote: 'edge/${node.name}/{site}/{rest*}',
          qos: 1,
          retain: false,
          user_properties: { hub: 'edge1' },
        },
        { local: 'alarms/#', remote: 'a/{topic}' },
      ],
    }),
    'cloud',
    'edge1',
  );

  it('renders the remote topic, overrides QoS/retain and keeps v5 properties with user properties added', () => {
    const env = envelope('sensors/p7/line/3', 'x', {
      qos: 2,
      retain: true,
      properties: { contentType: 'text/plain', userProperties: { k: 'v' } },
    });
    const out = router.route(env, 2)!;
    expect(out.topic).toBe('edge/edge1/p7/line/3');
    expect(out.qos).toBe(1);
    expect(out.retain).toBe(false);
    expect(out.properties).toEqual({
      contentType: 'text/plain',
      userProperties: { k: 'v', hub: 'edge1', [HOP_PROPERTY]: ['edge1/cloud'] },
    });
  });

  it('keep = as delivered; no matching forward → undefined', () => {
    const out = router.route(envelope('alarms/fire', 'x', { qos: 1, retain: true }), 1)!;
    expect([out.topic, out.qos, out.retain]).toEqual(['a/alarms/fire', 1, true]);
    expect(router.route(envelope('other/x', 'x'), 0)).toBeUndefined();
  });

  it('subscribes its session with QoS 2 where QoS is kept, so the published QoS is visible', () => {
    expect(router.filters).toEqual(['sensors/+/#', 'alarms/#']);
    expect(router.subscriptionQos('alarms/#')).toBe(2);
    expect(router.subscriptionQos('sensors/+/#')).toBe(1);
  });

  it('v3.1.1 forwards carry no properties', () => {
    const v4 = new ForwardRouter(cfg({ proto_ver: 'v4', forwards: [{ local: 'a/#' }] }), 'cloud', 'edge1');
    expect(v4.route(envelope('a/b', 'x', { properties: { contentType: 'x' } }), 0)!.properties).toBeUndefined();
  });
});

describe('hop marker', () => {
  it('accumulates hops once each and recognises our own', () => {
    const once = withHop({ a: 'b' }, 'edge1/cloud');
    const twice = withHop(withHop(once, 'edge2/up'), 'edge1/cloud');
    expect(twice[HOP_PROPERTY]).toEqual(['edge1/cloud', 'edge2/up']);
    expect(hasHop(twice, 'edge2/up')).toBe(true);
    expect(hasHop({ [HOP_PROPERTY]: 'edge1/cloud' }, 'edge1/cloud')).toBe(true);
    expect(hasHop(undefined, 'edge1/cloud')).toBe(false);
  });
});

describe('clientOptions', () => {
  it('turns MQTT.js reconnect, resubscribe and QoS 0 queueing off and sets session expiry and will', () => {
    const o = clientOptions(cfg({ clientid: 'protohub-edge1' }), 'cloud', 'edge1', 'mqtt://127.0.0.1:1883', {});
    expect(o).toMatchObject({
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      clean: false,
      protocolVersion: 5,
      clientId: 'protohub-edge1',
      keepalive: 60,
    });
    expect(o.properties?.sessionExpiryInterval).toBe(7200);
    expect(o.will).toMatchObject({ topic: 'protohub/edge1/status', retain: true, qos: 1 });
    expect(JSON.parse(String(o.will!.payload))).toEqual({ node: 'edge1', bridge: 'cloud', online: false });
  });

  it('TLS: mqtt:// with ssl.enable becomes mqtts, verification and SNI follow the config', () => {
    const o = clientOptions(
      cfg({ ssl: { enable: true, verify: 'verify_none', server_name_indication: 'cloud.example' } }),
      'cloud',
      'e',
      'mqtt://10.0.0.1:8883',
      { ca: Buffer.from('x') },
    );
    expect(o).toMatchObject({ protocol: 'mqtts', rejectUnauthorized: false, servername: 'cloud.example' });
    expect(clientOptions(cfg(), 'cloud', 'e', 'mqtt://h:1', {}).rejectUnauthorized).toBeUndefined();
  });
});
