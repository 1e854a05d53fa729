import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecRegistry, defaultCodecs } from '../../src/codecs/registry.js';
import { MappingError } from '../../src/errors.js';
import { compileMapping } from '../../src/mapping/compile.js';
import { MappingInvalidError } from '../../src/mapping/errors.js';

/** The issues compileMapping reports for `def`, or [] when it compiles. */
function issuesOf(
  def: unknown,
  positionOf?: (path: (string | number)[]) => { file: string; line: number } | undefined,
): string[] {
  try {
    compileMapping(def, { source: 'test.conf', positionOf });
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(MappingInvalidError);
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingInvalidError).code).toBe('PH_MAPPING_INVALID');
    return [...(err as MappingInvalidError).issues];
  }
}

const up = (address: string, topic: string, extra: Record<string, unknown> = {}) => ({ address, topic, ...extra });
const down = (filter: string, address: string, extra: Record<string, unknown> = {}) => ({ filter, address, ...extra });

describe('mapping compiler errors', () => {
  it('accepts a valid mapping, and an empty one', () => {
    expect(
      issuesOf({
        uplink: [up('sensors/{site}/{rest*}', 'zmq/{site}/{rest*}')],
        downlink: [down('zmq/cmd/{rest*}', '{rest*}')],
      }),
    ).toEqual([]);
    expect(issuesOf({})).toEqual([]);
  });

  it('unknown codec, naming the known ones', () => {
    expect(issuesOf({ uplink: [up('a', 'b', { name: 'r1', payload: { in: 'senml' } })] })).toEqual([
      'test.conf rule r1: unknown codec "senml" (known: raw, text, json, cbor)',
    ]);
  });

  it('a codec registered by a later issue is accepted', () => {
    const registry: CodecRegistry = defaultCodecs();
    registry.register({
      mediaType: 'application/senml+json',
      aliases: ['senml'],
      decode: (b) => b,
      encode: () => Buffer.alloc(0),
    });
    expect(() =>
      compileMapping({ uplink: [up('a', 'b', { payload: { in: 'senml' } })] }, { source: 'x', codecs: registry }),
    ).not.toThrow();
  });

  it('placeholder used but not captured, in the topic, the address and a user property', () => {
    expect(
      issuesOf({
        uplink: [up('a/{x}', 't/{y}', { user_properties: { k: '{z}' } })],
        downlink: [down('cmd/{x}', '{w}')],
      }),
    ).toEqual([
      'test.conf rule uplink#0: topic template: placeholder {y} is not captured by the pattern (captures: {x})',
      'test.conf rule uplink#0: user property "k": placeholder {z} is not captured by the pattern (captures: {x})',
      'test.conf rule downlink#0: address template: placeholder {w} is not captured by the pattern (captures: {x})',
    ]);
  });

  it('{x*} not last and duplicate capture names', () => {
    expect(issuesOf({ uplink: [up('{r*}/a', 't')], downlink: [down('{a}/{a}', 'x')] })).toEqual([
      'test.conf rule uplink#0: address pattern: {r*} must be the last level',
      'test.conf rule downlink#0: filter pattern: capture {a} is used twice',
    ]);
  });

  it('invalid topic templates: wildcards, empty, $-prefixed, NUL', () => {
    const issues = issuesOf({
      uplink: [up('a', 't/+'), up('b', 't/#'), up('c', ''), up('d', '$SYS/x'), up('e', 'x\u0000')],
    });
    expect(issues).toHaveLength(5);
    expect(issues[0]).toMatch(/^test.conf rule uplink#0: .*wildcard/);
    expect(issues[1]).toMatch(/^test.conf rule uplink#1: .*wildcard/);
    expect(issues[2]).toMatch(/^test.conf rule uplink#2: topic template is empty/);
    expect(issues[3]).toMatch(/^test.conf rule uplink#3: .*starts with '\$'/);
    expect(issues[4]).toMatch(/^test.conf rule uplink#4: .*U\+0000/);
  });

  it('MQTT wildcards written in a downlink filter instead of placeholders', () => {
    expect(issuesOf({ downlink: [down('zmq/cmd/#', 'x')] })[0]).toMatch(
      /write \{name\} instead of \+ and \{name\*\} instead of #/,
    );
  });

  it('conflicting (identical pattern) and unreachable (shadowed) rules, per direction', () => {
    expect(
      issuesOf({
        uplink: [
          up('sensors/{site}/temp', 'a/{site}', { name: 'temps' }),
          up('sensors/{s}/temp', 'b/{s}', { name: 'dup' }),
          up('sensors/{rest*}', 'c'),
          up('sensors/l1/x', 'd'),
        ],
        downlink: [down('cmd/{rest*}', 'x'), down('cmd/a/{b}', 'y'), down('other/{a}', 'z')],
      }),
    ).toEqual([
      'test.conf rule dup: conflicts with rule temps: identical address pattern "sensors/{s}/temp"',
      'test.conf rule uplink#3: unreachable: earlier rule uplink#2 ("sensors/{rest*}") matches every address "sensors/l1/x" matches',
      'test.conf rule downlink#1: unreachable: earlier rule downlink#0 ("cmd/{rest*}") matches every filter "cmd/a/{b}" matches',
    ]);
  });

  it('a more specific rule before a general one is fine (that is the point of first match)', () => {
    expect(
      issuesOf({ uplink: [up('sensors/l1/x', 'd'), up('sensors/{rest*}', 'c'), up('{all*}', 'e/{all*}')] }),
    ).toEqual([]);
  });

  it('schema problems: wrong types, bad qos, unknown keys, duplicate names, non-object', () => {
    expect(
      issuesOf({
        uplink: [
          { address: 1, topic: 't' },
          up('a', 't', { qos: 3 }),
          up('b', 't', { user_property: {} }),
          up('c', 't', { name: 'n' }),
        ],
        downlink: [down('x', 'y', { name: 'n' })],
        rules: [],
      }),
    ).toEqual([
      'test.conf: unknown key "rules" (expected "uplink" and/or "downlink")',
      'test.conf rule uplink#0: address: Invalid input: expected string, received number',
      'test.conf rule uplink#1: qos: Invalid option: expected one of 0|1|2',
      'test.conf rule uplink#2: unknown key "user_property"',
      'test.conf rule n: rule name "n" is already used by uplink#3',
    ]);
    expect(
      issuesOf({ uplink: [up('a', 't', { user_properties: JSON.parse('{"__proto__":"x"}') as unknown })] }),
    ).toEqual(['test.conf rule uplink#0: user property name "__proto__" is not supported']);
    expect(issuesOf([])).toEqual(['test.conf: a mapping must be an object with "uplink" and/or "downlink" lists']);
    expect(issuesOf({ uplink: {} })).toEqual(['test.conf: "uplink" must be a list of rules']);
  });

  it('reports all problems of all rules at once, in file order, with file:line from positionOf', () => {
    const lines: Record<string, number> = {
      'uplink.0': 3,
      'uplink.0.topic': 5,
      'uplink.1': 9,
      'downlink.0': 14,
      'downlink.0.payload.out': 17,
    };
    const positionOf = (path: (string | number)[]) => {
      const line = lines[path.join('.')];
      return line === undefined ? undefined : { file: 'mappings/zmq.conf', line };
    };
    expect(
      issuesOf(
        {
          uplink: [up('a/{x}', 't/{nope}/+', { name: 'first' }), up('a/b', 'u', { payload: { out: 'xml' } })],
          downlink: [down('c/{r*}', '{r}', { payload: { out: 'yaml' } })],
        },
        positionOf,
      ),
    ).toEqual([
      'mappings/zmq.conf:5 rule first: topic template: placeholder {nope} is not captured by the pattern (captures: {x})',
      'mappings/zmq.conf:5 rule first: topic template contains a wildcard + or # ([MQTT-3.3.2-2])',
      'mappings/zmq.conf:9 rule uplink#1: unknown codec "xml" (known: raw, text, json, cbor)',
      'mappings/zmq.conf:9 rule uplink#1: unreachable: earlier rule first ("a/{x}") matches every address "a/b" matches',
      'mappings/zmq.conf:17 rule downlink#0: unknown codec "yaml" (known: raw, text, json, cbor)',
    ]);
  });

  it('the error message lists every issue', () => {
    try {
      compileMapping({ uplink: [up('a', '+'), up('b', '#')] }, { source: 'm.json' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(
        /^mapping m.json is invalid, 2 problems:\n {2}m.json rule uplink#0: .*\n {2}m.json rule uplink#1: /,
      );
    }
  });

  it('any input at all either compiles or throws MappingInvalidError, never anything else', () => {
    const ruleish = fc.record(
      {
        name: fc.oneof(fc.string(), fc.integer()),
        address: fc.string(),
        topic: fc.string(),
        filter: fc.string(),
        qos: fc.integer({ min: -1, max: 3 }),
        payload: fc.anything(),
        user_properties: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
      },
      { requiredKeys: [] },
    );
    const definition = fc.oneof(
      fc.anything(),
      fc.record(
        { uplink: fc.oneof(fc.array(ruleish), fc.anything()), downlink: fc.oneof(fc.array(ruleish), fc.anything()) },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(definition, (def) => {
        try {
          compileMapping(def, { source: 'fuzz' });
        } catch (err) {
          expect(err).toBeInstanceOf(MappingInvalidError);
          expect((err as MappingInvalidError).issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
