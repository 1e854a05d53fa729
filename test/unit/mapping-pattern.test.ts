import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchPattern, parsePattern, toTopicFilter, type Captures, type Pattern } from '../../src/mapping/pattern.js';
import { covers, samePattern } from '../../src/mapping/shadow.js';
import { parseTemplate, renderTemplate } from '../../src/mapping/template.js';

function pattern(source: string, isFilter = false): Pattern {
  const { pattern: p, errors } = parsePattern(source, isFilter);
  if (!p) throw new Error(errors.join('; '));
  return p;
}

function match(source: string, address: string, isFilter = false): Record<string, string | undefined> | undefined {
  const p = pattern(source, isFilter);
  const out: Captures = [];
  if (!matchPattern(p, address, out)) return undefined;
  return Object.fromEntries(p.captures.map((name, slot) => [name, out[slot]]));
}

describe('pattern matching', () => {
  it('matches literals, one-level and rest captures', () => {
    expect(match('sensors/{site}/temp', 'sensors/l1/temp')).toEqual({ site: 'l1' });
    expect(match('sensors/{site}/temp', 'sensors/l1/hum')).toBeUndefined();
    expect(match('sensors/{site}/temp', 'sensors/l1/temp/x')).toBeUndefined();
    expect(match('sensors/{site}/temp', 'sensors/l1')).toBeUndefined();
    expect(match('sensors/{rest*}', 'sensors/a/b/c')).toEqual({ rest: 'a/b/c' });
    expect(match('{all*}', 'x/y')).toEqual({ all: 'x/y' });
    expect(match('a/{x}', 'a/')).toEqual({ x: '' }); // an empty level is a level
    expect(match('a', 'ab')).toBeUndefined();
    expect(match('ab', 'a')).toBeUndefined();
  });

  it('lets {rest*} match zero levels, like # matches its parent ([MQTT-4.7.1-2])', () => {
    expect(match('sensors/{rest*}', 'sensors')).toEqual({ rest: undefined });
    expect(match('sensors/{rest*}', 'sensors/')).toEqual({ rest: '' });
    expect(match('sensors/{rest*}', 'sensorsX')).toBeUndefined();
  });

  it('keeps a leading placeholder of a filter off $ topics ([MQTT-4.7.2-1])', () => {
    expect(match('{rest*}', '$SYS/x', true)).toBeUndefined();
    expect(match('{a}/x', '$hub/x', true)).toBeUndefined();
    expect(match('$hub/{rest*}', '$hub/x', true)).toEqual({ rest: 'x' });
    expect(match('{rest*}', '$SYS/x', false)).toEqual({ rest: '$SYS/x' }); // protocol addresses have no such rule
  });

  it('reports pattern errors', () => {
    const errors = (s: string, f = false) => parsePattern(s, f).errors;
    expect(errors('a/{r*}/b')).toEqual(['{r*} must be the last level']);
    expect(errors('{a}/{a}')).toEqual(['capture {a} is used twice']);
    expect(errors('a/b{c}')[0]).toMatch(/placeholder must be a whole level/);
    expect(errors('a/{c')[0]).toMatch(/placeholder must be a whole level/);
    expect(errors('a/+', true)[0]).toMatch(/instead of \+/);
    expect(errors('a/#', true)[0]).toMatch(/instead of #/);
    expect(errors('', true)).toEqual(['filter is empty']);
    expect(errors('$share/g/x', true)[0]).toMatch(/shared subscription/);
    expect(errors('a/+', false)).toEqual([]); // '+' is just a character in a protocol address
  });

  it('turns a filter pattern into the broker subscription filter', () => {
    expect(toTopicFilter(pattern('zmq/cmd/{rest*}', true))).toBe('zmq/cmd/#');
    expect(toTopicFilter(pattern('{a}/x/{b}', true))).toBe('+/x/+');
  });
});

describe('templates', () => {
  const render = (source: string, captures: string[], values: (string | undefined)[]) => {
    const { template, errors } = parseTemplate(source, captures);
    expect(errors).toEqual([]);
    return renderTemplate(template, values);
  };

  it('renders placeholders, in whole levels and inside levels, with or without *', () => {
    expect(render('zmq/{site}/{rest*}', ['site', 'rest'], ['l1', 'a/b'])).toBe('zmq/l1/a/b');
    expect(render('dev-{id}/{rest}', ['id', 'rest'], ['7', 'x/y'])).toBe('dev-7/x/y');
  });

  it('drops a whole-level rest that matched zero levels, with its separator', () => {
    expect(render('zmq/{rest*}', ['rest'], [undefined])).toBe('zmq');
    expect(render('{rest*}/zmq', ['rest'], [undefined])).toBe('zmq');
    expect(render('zmq/{rest*}', ['rest'], [''])).toBe('zmq/');
    expect(render('pre-{rest*}', ['rest'], [undefined])).toBe('pre-');
  });

  it('reports placeholders that are not captured and malformed ones', () => {
    expect(parseTemplate('a/{b}', ['a']).errors).toEqual([
      'placeholder {b} is not captured by the pattern (captures: {a})',
    ]);
    expect(parseTemplate('a/{b', ['b']).errors[0]).toMatch(/malformed placeholder/);
    expect(parseTemplate('x/{', []).errors[0]).toMatch(/malformed placeholder/);
  });
});

// Small alphabets so generated patterns and addresses collide often.
const level = fc.constantFrom('a', 'b', '', '$x');
const segmentSrc = fc.oneof(level, fc.constant('{one}'));
const patternSrc = fc
  .tuple(fc.array(segmentSrc, { minLength: 0, maxLength: 3 }), fc.boolean(), fc.boolean())
  .map(([segs, rest, atLeastOne]) => {
    const levels = segs.map((s, i) => (s === '{one}' ? `{c${i}}` : s));
    if (rest) levels.push('{r*}');
    if (levels.length === 0 && atLeastOne) levels.push('a');
    return levels.join('/');
  })
  .filter((s) => parsePattern(s, true).pattern !== undefined);
const address = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));

describe('reachability (covers) agrees with matching', () => {
  for (const isFilter of [false, true]) {
    it(`if A covers B, every ${isFilter ? 'topic' : 'address'} B matches A matches too`, () => {
      fc.assert(
        fc.property(patternSrc, patternSrc, fc.array(address, { maxLength: 20 }), (a, b, addresses) => {
          const pa = pattern(a, isFilter);
          const pb = pattern(b, isFilter);
          if (!covers(pa, pb)) return;
          for (const addr of addresses) {
            if (matchPattern(pb, addr, []))
              expect(matchPattern(pa, addr, []), `${a} covers ${b} but misses ${addr}`).toBe(true);
          }
        }),
        { numRuns: 2000 },
      );
    });
  }

  it('finds a witness address when A does not cover B (exactness on small patterns)', () => {
    const allAddresses: string[] = [];
    const levels = ['a', 'b', '', '$x', 'z'];
    const build = (prefix: string[], depth: number) => {
      if (prefix.length > 0) allAddresses.push(prefix.join('/'));
      if (depth === 0) return;
      for (const l of levels) build([...prefix, l], depth - 1);
    };
    build([], 5);
    fc.assert(
      fc.property(patternSrc, patternSrc, fc.boolean(), (a, b, isFilter) => {
        const pa = pattern(a, isFilter);
        const pb = pattern(b, isFilter);
        if (covers(pa, pb)) return;
        const witness = allAddresses.some((addr) => matchPattern(pb, addr, []) && !matchPattern(pa, addr, []));
        expect(witness, `${a} does not cover ${b}, so some address should match only ${b}`).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('identical patterns differ only in capture names', () => {
    expect(samePattern(pattern('a/{x}/{r*}'), pattern('a/{y}/{s*}'))).toBe(true);
    expect(samePattern(pattern('a/{x}'), pattern('a/{x*}'))).toBe(false);
    expect(covers(pattern('a/{x*}'), pattern('a/b/{y}'))).toBe(true);
    expect(covers(pattern('a/{x}'), pattern('a/{y*}'))).toBe(false);
    expect(covers(pattern('{x*}', true), pattern('$hub/{y}', true))).toBe(false);
  });
});
