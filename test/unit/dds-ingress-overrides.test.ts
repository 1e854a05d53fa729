import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/mapping/compile.js';
import { mapIngressItem } from '../../src/pipeline/map-uplink.js';

const mapping = compileMapping(
  {
    uplink: [{ address: '{topic}/{color}', topic: 'dds/{topic}/{color}', qos: 0, user_properties: { source: 'rule' } }],
  },
  { source: 'test' },
);

describe('per-message QoS, retain and user properties on IngressMessage (added for DDS)', () => {
  it('override the rule and add to its user properties; the rule wins a clash', () => {
    const out = mapIngressItem(
      {
        kind: 'message',
        address: 'Square/RED',
        payload: Buffer.from('{}'),
        qos: 1,
        retain: true,
        userProperties: { 'dds-instance-state': 'ALIVE', source: 'gateway' },
      },
      mapping,
      'dds.t',
    );
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.envelope.topic).toBe('dds/Square/RED');
    expect(out.envelope.qos).toBe(1);
    expect(out.envelope.retain).toBe(true);
    expect(out.envelope.properties?.userProperties).toEqual({ 'dds-instance-state': 'ALIVE', source: 'rule' });
  });

  it('without overrides the rule decides, as before', () => {
    const out = mapIngressItem({ kind: 'message', address: 'Square/RED', payload: Buffer.alloc(0) }, mapping, 'dds.t');
    expect(out.ok && out.envelope.qos === 0 && !out.envelope.retain).toBe(true);
    expect(out.ok && out.envelope.properties?.userProperties).toEqual({ source: 'rule' });
  });
});
