import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseHoconText } from '../../src/config/hocon.js';
import { parseConfigText } from '../../src/config/loader.js';
import { ConfigError } from '../../src/errors.js';

/** Either a value or a ConfigError with a `file:line:col:` message; anything else fails the property. */
function parseOrConfigError(text: string): void {
  try {
    parseHoconText(text, 'fuzz.conf', { env: { HOME: '/h' } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.code).toMatch(/^PH_CONFIG_[A-Z_]+$/);
    expect(err.message).toMatch(/^fuzz\.conf(?::\d+:\d+)?: /);
  }
}

// Fragments that hit every token kind, so random sequences reach deep parser states, not just the lexer.
const fragment = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  ',',
  '=',
  ':',
  '+=',
  '\n',
  ' ',
  '\t',
  '"',
  '"""',
  '#',
  '//',
  '${',
  '${?',
  '}',
  '.',
  'a',
  'b.c',
  '"q"',
  '1',
  '-2.5e3',
  'true',
  'null',
  'include ',
  'required(',
  ')',
  '$',
  '\\',
  'é',
  '\r\n',
  '${a}',
  '${b.c}',
  '${HOME}',
  '${?X}',
  'a = ',
  'b { ',
  '__proto__',
  'a.b.c = ',
  'x = [',
  '@',
);

describe('HOCON reader on garbage', () => {
  it('never throws anything but ConfigError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => parseOrConfigError(text)),
      { numRuns: 500 },
    );
  });

  it('never throws anything but ConfigError on token soup', () => {
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 60 }), (parts) => parseOrConfigError(parts.join(''))),
      { numRuns: 2000 },
    );
  });

  it('the config loader throws only ConfigError on config-shaped soup, with located issues', () => {
    const key = fc.constantFrom(
      'node',
      'node.name',
      'listeners.tcp.x',
      'listeners.ssl.s',
      'mqtt',
      'mqtt.max_inflight',
      'store.type',
      'log',
      'authorization.rules',
      'bogus',
      '__proto__',
      'gateways.zeromq.z',
      'bridges.mqtt.b',
      'http.bind',
    );
    const val = fc.oneof(
      fc.constantFrom(
        '1',
        '-1',
        'true',
        'null',
        '"x"',
        '[]',
        '{}',
        '[1, "a"]',
        '{ bind = 5 }',
        '{ a { b = 1 } }',
        '"30s"',
        '${?E}',
      ),
      fc.integer().map(String),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(key, val), { maxLength: 8 }), (fields) => {
        const text = fields.map(([k, v]) => `${k} = ${v}`).join('\n');
        try {
          parseConfigText(text, 'soup.conf', { env: {} });
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          for (const issue of err.issues) expect(issue).toMatch(/^soup\.conf(:\d+){0,2}:? /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips JSON-shaped objects', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    const leaf = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 10 }));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(key, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 5 }), (obj) => {
        expect(parseHoconText(JSON.stringify(obj, null, 2), 'rt.conf', { env: {} }).value).toEqual(obj);
      }),
      { numRuns: 300 },
    );
  });

  it('reports the line and column of every key it read', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
    const leaf = fc.oneof(fc.integer(), fc.boolean(), fc.constant('"s"'), fc.constant('[1, 2]'));
    type Tree = { [k: string]: Tree | string | number | boolean };
    const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
      node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, leaf, tie('node')), { maxKeys: 4 }),
    })).node;
    fc.assert(
      fc.property(tree, fc.integer({ min: 0, max: 4 }), (obj, indentBy) => {
        const lines: string[] = [];
        const expected: [string[], number, number][] = [];
        const emit = (o: Tree, path: string[], depth: number): void => {
          for (const [k, v] of Object.entries(o)) {
            const pad = ' '.repeat(depth * indentBy + 1);
            expected.push([[...path, k], lines.length + 1, pad.length + 1]);
            if (typeof v === 'object') {
              lines.push(`${pad}${k} {`);
              emit(v, [...path, k], depth + 1);
              lines.push(`${pad}}`);
            } else {
              lines.push(`${pad}${k} = ${String(v)}  # c`);
            }
          }
        };
        emit(obj, [], 0);
        const doc = parseHoconText(lines.join('\n'), 'pos.conf', { env: {} });
        for (const [path, line, col] of expected) expect(doc.positionOf(path)).toEqual({ file: 'pos.conf', line, col });
      }),
      { numRuns: 300 },
    );
  });
});
