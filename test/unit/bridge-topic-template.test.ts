import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/errors.js';
import { compileRoute } from '../../src/bridge/topic-template.js';
import { filtersOverlap, topicMatches } from '../../src/broker/topic/index.js';

const level = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const topicArb = fc.array(level, { minLength: 1, maxLength: 6 }).map((l) => l.join('/'));

describe('compileRoute', () => {
  it('captures one level and the rest, and renders the remote template', () => {
    const r = compileRoute('sensors/{site}/{rest*}', 'edge/edge1/{site}/{rest*}');
    expect(r.filter).toBe('sensors/+/#');
    const c = r.match('sensors/plant7/line/3/temp');
    expect(c).toEqual({ site: 'plant7', rest: 'line/3/temp' });
    expect(r.render('sensors/plant7/line/3/temp', c!)).toBe('edge/edge1/plant7/line/3/temp');
    expect(r.match('other/plant7/x')).toBeUndefined();
  });

  it('{topic} is the whole source topic', () => {
    const r = compileRoute('sensors/#', 'edge/edge1/{topic}');
    expect(r.render('sensors/a/b', r.match('sensors/a/b')!)).toBe('edge/edge1/sensors/a/b');
  });

  it('an empty rest capture (a/# matching a) leaves no trailing slash', () => {
    const r = compileRoute('cmd/{rest*}', 'local/{rest*}');
    expect(r.render('cmd', r.match('cmd')!)).toBe('local');
  });

  it.each([
    ['a/{x}', 'b/{y}', 'not captured'],
    ['a/{x*}/b', 'b', 'last level'],
    ['a/{x}/{x}', 'b', 'twice'],
    ['a/b+', 'b', 'bad level'],
    ['a/#', 'b/+/c', 'wildcards'],
  ])('refuses filter %s → template %s (%s)', (filter, template, why) => {
    expect(() => compileRoute(filter, template)).toThrow(BridgeError);
    try {
      compileRoute(filter, template);
    } catch (e) {
      expect((e as BridgeError).code).toBe('PH_BRIDGE_TEMPLATE');
      expect((e as Error).message).toContain(why);
    }
  });

  it('property: prefix/{rest*} → other/{rest*} maps every topic under the prefix and back', () => {
    const up = compileRoute('p/{rest*}', 'q/r/{rest*}');
    const down = compileRoute('q/r/{rest*}', 'p/{rest*}');
    fc.assert(
      fc.property(topicArb, (t) => {
        const remote = up.render(`p/${t}`, up.match(`p/${t}`)!);
        expect(remote).toBe(`q/r/${t}`);
        expect(down.render(remote, down.match(remote)!)).toBe(`p/${t}`);
      }),
    );
  });

  it('property: a topic matched by the route filter always renders a valid topic name', () => {
    const r = compileRoute('{a}/{b*}', 'x/{b*}/{a}');
    fc.assert(
      fc.property(topicArb, (t) => {
        const c = r.match(t);
        expect(c).toBeDefined();
        expect(r.render(t, c!)).not.toMatch(/[+#]|\/\/|\/$/);
      }),
    );
  });
});

describe('topic filters', () => {
  it('matches per MQTT rules', () => {
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('#', '$SYS/x')).toBe(false); // [MQTT-4.7.2-1]
  });

  it('property: two filters derived from one topic overlap; overlap is symmetric', () => {
    const wild = (t: string, mask: number[], hashAt: number) => {
      const l = t.split('/').map((x, i) => (mask[i % mask.length] ? '+' : x));
      return hashAt < l.length ? [...l.slice(0, hashAt), '#'].join('/') : l.join('/');
    };
    fc.assert(
      fc.property(
        topicArb,
        fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 6 }),
        fc.nat(7),
        fc.nat(7),
        (t, m1, m2, h1, h2) => {
          const a = wild(t, m1, h1);
          const b = wild(t, m2, h2);
          expect(topicMatches(a, t) && topicMatches(b, t)).toBe(true);
          expect(filtersOverlap(a, b)).toBe(true);
          expect(filtersOverlap(b, a)).toBe(true);
        },
      ),
    );
  });

  it('disjoint filters do not overlap', () => {
    expect(filtersOverlap('edge/x/#', 'cloud/x/cmd/#')).toBe(false);
    expect(filtersOverlap('a/+/c', 'a/b/d')).toBe(false);
    expect(filtersOverlap('a/b', 'a/b/c')).toBe(false);
    expect(filtersOverlap('a/b', 'a/b/#')).toBe(true);
  });
});
