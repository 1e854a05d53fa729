import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeLevel,
  fieldValue,
  InstanceAddresses,
  MISSING_LEVEL,
  parseDownlinkAddress,
  uplinkAddress,
} from '../../gateways/dds/address.js';
import { ddsTopicSchema } from '../../gateways/dds/schema.js';
import { compileMapping } from '../../src/mapping/compile.js';
import { mapIngressItem } from '../../src/pipeline/map-uplink.js';

const sample = { color: 'RED', x: 7, site: { line: 'L/2', cell: null }, tags: ['a'] };

describe('DDS uplink address with extra sample fields (address_fields)', () => {
  it('appends the fields after the keys, one level each, nested paths by dots', () => {
    expect(uplinkAddress('Square', ['color'], sample)).toBe('Square/RED');
    expect(uplinkAddress('Square', ['color'], sample, ['x', 'site.line'])).toBe('Square/RED/7/L%2F2');
    expect(uplinkAddress('T', [], sample, ['site'])).toBe('T/' + '{"line":"L%2F2","cell":null}');
  });

  it('a missing or unset field renders as the placeholder "_"', () => {
    expect(MISSING_LEVEL).toBe('_');
    expect(uplinkAddress('S', ['color'], sample, ['nope', 'site.cell', 'x.y', 'site.line.z'])).toBe('S/RED/_/_/_/_');
    expect(fieldValue(sample, 'site.line')).toBe('L/2');
    expect(fieldValue(sample, 'tags.0')).toBe('a');
    expect(fieldValue(sample, 'toString')).toBeUndefined(); // own members only, never the prototype's
  });

  it('escapes % / + # and NUL in field values as in keys', () => {
    expect(uplinkAddress('S', [], { f: 'a%b/c+d#e\0' }, ['f'])).toBe('S/a%25b%2Fc%2Bd%23e%00');
  });

  it('property: a rendered field level never contains / + # or NUL and decodes back', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), (v) => {
        const address = uplinkAddress('T', [], { nested: { v } }, ['nested.v']);
        expect(address.startsWith('T/')).toBe(true);
        const level = address.slice(2);
        expect(level).not.toMatch(/[/+#\0]/);
        if (v === null) expect(level).toBe(MISSING_LEVEL);
        else expect(decodeLevel(level)).toBe(typeof v === 'string' ? v : JSON.stringify(v));
      }),
    );
  });

  it('a mapping template takes placeholders from the topic, a key and a non-key field', () => {
    const mapping = compileMapping(
      { uplink: [{ address: '{topic}/{color}/{line}', topic: 'plant/{line}/{topic}/{color}', qos: 1 }] },
      { source: 'test' },
    );
    const address = uplinkAddress('Square', ['color'], { color: 'RED', site: { line: 'L2' } }, ['site.line']);
    const out = mapIngressItem({ kind: 'message', address, payload: Buffer.from('{}') }, mapping, 'dds.t');
    expect(out.ok && out.envelope.topic).toBe('plant/L2/Square/RED');
  });

  it('extra levels are uplink only: the downlink sees them as key levels', () => {
    // a downlink address must name keys only; the writer rejects surplus levels (more levels than keys)
    expect(parseDownlinkAddress('Square/RED/7', ['Square'])).toEqual({ topic: 'Square', keyValues: ['RED', '7'] });
  });

  it('the schema takes member paths and refuses anything else', () => {
    expect(ddsTopicSchema.parse({ type: 'S', address_fields: ['x', 'site.line'] }).address_fields).toEqual([
      'x',
      'site.line',
    ]);
    expect(ddsTopicSchema.parse({ type: 'S' }).address_fields).toEqual([]);
    for (const bad of ['', 'a..b', '.a', 'a/b', 'a.', '1x']) {
      expect(ddsTopicSchema.safeParse({ type: 'S', address_fields: [bad] }).success, bad).toBe(false);
    }
  });
});

describe('InstanceAddresses: where a disposed instance is announced', () => {
  it('remembers the last full address per instance and forgets it on take', () => {
    const a = new InstanceAddresses();
    a.remember('Sq/RED', 'Sq/RED/1');
    a.remember('Sq/RED', 'Sq/RED/2');
    expect(a.take('Sq/RED')).toBe('Sq/RED/2');
    expect(a.take('Sq/RED')).toBeUndefined();
  });

  it('is bounded: the least recently written instance is forgotten first', () => {
    const a = new InstanceAddresses(2);
    a.remember('A', 'A/1');
    a.remember('B', 'B/1');
    a.remember('A', 'A/2'); // A is now the most recent
    a.remember('C', 'C/1');
    expect(a.size).toBe(2);
    expect(a.take('B')).toBeUndefined();
    expect(a.take('A')).toBe('A/2');
    expect(a.take('C')).toBe('C/1');
  });
});
