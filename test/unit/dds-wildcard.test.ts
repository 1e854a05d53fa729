import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectorPlan } from '../../gateways/dds/connector-xml.js';
import { ddsConfigSchema } from '../../gateways/dds/schema.js';
import { isWildcard, wildcardFor, wildcardRegExp } from '../../gateways/dds/wildcard.js';

const entry = (pattern: string, type: string) => ({ pattern, type, regexp: wildcardRegExp(pattern) });

describe('wildcard DDS topic names', () => {
  it('* matches any run of characters, / included; everything else is literal', () => {
    const ros = wildcardRegExp('rt/*');
    expect(ros.test('rt/chatter')).toBe(true);
    expect(ros.test('rt/robot1/cmd_vel')).toBe(true);
    expect(ros.test('rq/chatter')).toBe(false);
    const dots = wildcardRegExp('a.b*(c)');
    expect(dots.test('a.bX(c)')).toBe(true);
    expect(dots.test('aXbX(c)')).toBe(false);
    expect(wildcardRegExp('Sq*re').test('Square')).toBe(true);
    expect(wildcardRegExp('*').test('')).toBe(true);
    expect(isWildcard('rt/*')).toBe(true);
    expect(isWildcard('rt/chatter')).toBe(false);
  });

  it('a pattern without * matches exactly itself; prefix* matches every extension (property)', () => {
    const name = fc.string({ maxLength: 12 }).filter((s) => !s.includes('*'));
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(wildcardRegExp(a).test(b)).toBe(a === b);
        expect(wildcardRegExp(`${a}*`).test(a + b)).toBe(true);
      }),
    );
  });

  it('the entry is the first matching pattern with the same type; named topics are never wildcard-read', () => {
    const entries = [entry('rt/*', 'std_msgs::msg::dds_::String_'), entry('*', 'ShapeType')];
    const named = new Set(['Square']);
    expect(wildcardFor(entries, named, 'rt/chatter', 'std_msgs::msg::dds_::String_')).toBe(entries[0]);
    expect(wildcardFor(entries, named, 'rt/shape', 'ShapeType')).toBe(entries[1]);
    expect(wildcardFor(entries, named, 'rt/chatter', 'Other')).toBeUndefined();
    expect(wildcardFor(entries, named, 'Square', 'ShapeType')).toBeUndefined();
  });

  it('config: a wildcard topic is uplink only', () => {
    const base = { types: { idl: ['x.idl'] } };
    expect(ddsConfigSchema.safeParse({ ...base, topics: { 'rt/*': { type: 'T' } } }).success).toBe(true);
    const bad = ddsConfigSchema.safeParse({ ...base, topics: { 'rt/*': { type: 'T', direction: 'both' } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['topics', 'rt/*', 'direction'],
      message: expect.stringMatching(/wildcard topic.*uplink/) as unknown,
    });
  });

  it('the Connector XML: no topic named with *, a subscriber, a reader profile and a never-enabled type holder', () => {
    const config = ddsConfigSchema.parse({
      types: { idl: ['x.idl'] },
      topics: { Square: { type: 'ShapeType' }, 'Wild*': { type: 'ShapeType', partitions: ['p1'], history_depth: 5 } },
    });
    const plan = connectorPlan(config, '<types/>', undefined, 'protohub dds.t 1.1');
    expect(plan.readers.map((r) => r.topic)).toEqual(['Square']);
    expect(plan.wildcards).toMatchObject([
      { pattern: 'Wild*', type: 'ShapeType', subscriber: 'wsub_1', readerProfile: 'ProtohubWildcards::reader_1' },
    ]);
    expect(plan.xml).not.toContain('<topic name="Wild*"');
    expect(plan.xml).toContain('<subscriber name="wsub_1"><subscriber_qos><partition><name><element>p1</element>');
    expect(plan.xml).toMatch(/<qos_profile name="reader_1" base_name="ProtohubDds::Loopback">.*<depth>5<\/depth>/);
    expect(plan.xml).toContain('<autoenable_created_entities>false</autoenable_created_entities>');
    expect(plan.xml).toContain('<data_reader name="type_1" topic_ref="protohub.type.1"/>');
    expect(plan.xml).toContain('<participant_name><name>protohub dds.t 1.1</name></participant_name>');
  });
});
