import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/mapping/compile.js';
import { mapIngressItem } from '../../src/pipeline/map-uplink.js';

const mapping = compileMapping(
  { uplink: [{ name: 'all', address: '{a*}', topic: 'up/{a*}', qos: 0, user_properties: { src: 'rule' } }] },
  { source: 'test' },
);

describe('ingress QoS, retain, content type and user properties', () => {
  it('without them the mapping rule decides', () => {
    const r = mapIngressItem({ kind: 'message', address: 'x', payload: Buffer.from('1') }, mapping, 'g.a');
    expect(r.ok && r.envelope).toMatchObject({ topic: 'up/x', qos: 0, retain: false });
    expect(r.ok && r.envelope.properties).toEqual({ userProperties: { src: 'rule' } });
  });

  it('what the protocol carried wins for QoS and retain; content type and user properties are added (the rule wins a clash)', () => {
    const r = mapIngressItem(
      {
        kind: 'message',
        address: 'x',
        payload: Buffer.from('1'),
        qos: 1,
        retain: true,
        contentType: 'application/senml+json',
        userProperties: { src: 'peer', unit: 'C' },
      },
      mapping,
      'g.a',
    );
    expect(r.ok && r.envelope).toMatchObject({ qos: 1, retain: true });
    expect(r.ok && r.envelope.properties).toEqual({
      contentType: 'application/senml+json',
      userProperties: { src: 'rule', unit: 'C' }, // the rule wins a clash
    });
  });
});
