import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHoconFile, parseHoconText } from '../../src/config/hocon.js';
import { ConfigError } from '../../src/errors.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseHoconText(text, 'test.conf', { env });
const value = (text: string, env: NodeJS.ProcessEnv = {}) => parse(text, env).value;

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('HOCON syntax', () => {
  it('reads objects with =, : and no separator before {', () => {
    expect(value('a = 1\nb: 2\nc { d = 3 }\ne: { f: 4 }')).toEqual({ a: 1, b: 2, c: { d: 3 }, e: { f: 4 } });
  });

  it('accepts a braced root and JSON', () => {
    expect(value('{ "a": { "b": [1, 2.5, true, null, "x"] } }')).toEqual({ a: { b: [1, 2.5, true, null, 'x'] } });
  });

  it('expands dotted keys and quoted key segments', () => {
    expect(value('a.b.c = 1\n"x.y".z = 2\na."d.e" = 3')).toEqual({ a: { b: { c: 1 }, 'd.e': 3 }, 'x.y': { z: 2 } });
  });

  it('types lone unquoted tokens and keeps others strings', () => {
    expect(value('a = 1883\nb = -1.5e2\nc = true\nd = false\ne = null\nf = 30s\ng = 007\nh = "42"')).toEqual({
      a: 1883,
      b: -150,
      c: true,
      d: false,
      e: null,
      f: '30s',
      g: '007',
      h: '42',
    });
  });

  it('reads quoted strings with escapes and triple-quoted strings raw', () => {
    const v = value('a = "tab\\there \\"q\\" \\u00e9 \\\\"\nb = """line1\n  "line2" \\n"""\nc = """x""""');
    expect(v).toEqual({ a: 'tab\there "q" é \\', b: 'line1\n  "line2" \\n', c: 'x"' });
  });

  it('reads arrays separated by commas or newlines, with trailing comma', () => {
    expect(value('a = [\n  1,\n  2\n  3,\n]\nb = []\nc = [[1], {x = 1}]')).toEqual({
      a: [1, 2, 3],
      b: [],
      c: [[1], { x: 1 }],
    });
  });

  it('drops # and // comments but keeps the newline that separates fields', () => {
    expect(value('# top\na = 1 # one\nb = 2 // two\n// c = 3\nd = "# not a comment"')).toEqual({
      a: 1,
      b: 2,
      d: '# not a comment',
    });
  });

  it('separates fields by commas too', () => {
    expect(value('a = 1, b = 2\nc { x = 1, y = 2 }')).toEqual({ a: 1, b: 2, c: { x: 1, y: 2 } });
  });

  it('concatenates values on one line into a string, keeping inner whitespace', () => {
    expect(value('a = hello   world\nb = 1 2\nc = foo"bar"baz')).toEqual({
      a: 'hello   world',
      b: '1 2',
      c: 'foobarbaz',
    });
  });

  it('concatenates arrays and merges objects written side by side', () => {
    expect(value('a = [1] [2, 3]\nb = { x = 1 } { y = 2 }')).toEqual({ a: [1, 2, 3], b: { x: 1, y: 2 } });
  });

  it('merges repeated keys: objects deep-merge, anything else is replaced', () => {
    const v = value('a { x = 1, n { p = 1 } }\na { y = 2, n { q = 2 } }\na.x = 3\nb = [1]\nb = 2\nc = 1\nc { z = 1 }');
    expect(v).toEqual({ a: { x: 3, y: 2, n: { p: 1, q: 2 } }, b: 2, c: { z: 1 } });
  });

  it('appends with +=', () => {
    expect(value('a = [1]\na += 2\nb += x')).toEqual({ a: [1, 2], b: ['x'] });
  });

  it('does not let __proto__ keys reach a prototype', () => {
    const v = value('__proto__ { polluted = true }\nx.__proto__.y = 1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });
});

describe('HOCON substitutions', () => {
  it('resolves ${path} against the final merged document, anywhere in it', () => {
    expect(value('a = ${b.c}\nb.c = 1\nb.c = 2\nd = ${b}\ne = "x-"${b.c}"-y"')).toEqual({
      a: 2,
      b: { c: 2 },
      d: { c: 2 },
      e: 'x-2-y',
    });
  });

  it('falls back to the environment for ${VAR} and ${?VAR}', () => {
    expect(value('home = ${HOME}\ndir = ${?DIR}/data', { HOME: '/h', DIR: '/d' })).toEqual({
      home: '/h',
      dir: '/d/data',
    });
  });

  it('leaves a key unset, or at its earlier value, when ${?VAR} is unset', () => {
    expect(value('a = ${?NOPE}\nb = 5\nb = ${?NOPE}\nc = [1, ${?NOPE}, 2]')).toEqual({ b: 5, c: [1, 2] });
    expect(value('b = 5\nb = ${?SET}', { SET: 'env' })).toEqual({ b: 'env' });
  });

  it('reads the earlier value on self-reference', () => {
    expect(value('path = "/a"\npath = ${path}":/b"\nobj { x = 1 }\nobj = ${obj} { y = 2 }')).toEqual({
      path: '/a:/b',
      obj: { x: 1, y: 2 },
    });
    expect(value('PATH = ${PATH}":/x"', { PATH: '/bin' })).toEqual({ PATH: '/bin:/x' });
  });

  it('merges objects written after a substitution into the substituted object', () => {
    const doc = parse('base { a = 1, b = 2 }\nx = ${base}\nx.b = 3\nx { c = 4 }\ny = ${?NOPE}\ny.k = 1');
    expect(doc.value).toEqual({ base: { a: 1, b: 2 }, x: { a: 1, b: 3, c: 4 }, y: { k: 1 } });
    // Keys that came through the substitution report the line that wrote the substitution.
    expect(doc.positionOf(['x', 'a'])).toEqual({ file: 'test.conf', line: 2, col: 5 });
    expect(doc.positionOf(['x', 'b'])).toEqual({ file: 'test.conf', line: 3, col: 1 });
  });

  it('reports an unresolvable ${x} with its position', () => {
    const err = errorOf(() => parse('a = 1\nb = ${nope.x}'));
    expect(err.code).toBe('PH_CONFIG_SUBSTITUTION');
    expect(err.message).toBe('test.conf:2:5: cannot resolve ${nope.x}: no such key and no environment variable nope.x');
  });

  it('reports cycles instead of looping', () => {
    const err = errorOf(() => parse('a = ${b}\nb = ${c}\nc = ${a}'));
    expect(err.code).toBe('PH_CONFIG_SUBSTITUTION');
    expect(err.message).toMatch(/^test\.conf:\d+:\d+: substitution cycle/);
  });

  it('rejects concatenating an object with a string', () => {
    const err = errorOf(() => parse('o { x = 1 }\na = ${o} tail'));
    expect(err.message).toMatch(/^test\.conf:2:5: cannot concatenate/);
  });
});

describe('HOCON positions', () => {
  const text =
    'node.name = hub\nlisteners {\n  tcp.default {\n    bind = "0.0.0.0:1883"\n  }\n}\nlist = [\n  1\n  { k = v }\n]';

  it('gives the file, line and column of every key', () => {
    const doc = parse(text);
    expect(doc.positionOf(['node', 'name'])).toEqual({ file: 'test.conf', line: 1, col: 1 });
    expect(doc.positionOf(['listeners'])).toEqual({ file: 'test.conf', line: 2, col: 1 });
    expect(doc.positionOf(['listeners', 'tcp', 'default', 'bind'])).toEqual({ file: 'test.conf', line: 4, col: 5 });
    expect(doc.positionOf(['list', 1, 'k'])).toEqual({ file: 'test.conf', line: 9, col: 5 });
    expect(doc.positionOf(['list', 0])).toEqual({ file: 'test.conf', line: 8, col: 3 });
  });

  it('gives the nearest existing ancestor for a missing path', () => {
    const doc = parse(text);
    expect(doc.positionOf(['listeners', 'tcp', 'default', 'certfile'])).toEqual({ file: 'test.conf', line: 3, col: 3 });
    expect(doc.positionOf(['nothing', 'here'])).toEqual({ file: 'test.conf', line: 1, col: 1 });
  });

  it('gives the position of the write that won', () => {
    const doc = parse('a.b = 1\nc = 2\na { b = 3 }');
    expect(doc.positionOf(['a', 'b'])).toEqual({ file: 'test.conf', line: 3, col: 5 });
  });
});

describe('HOCON includes', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'base.conf'), 'store {\n  dir = "/default"\n  type = sqlite\n}\nlog.level = debug\n');
  writeFileSync(join(dir, 'etc', 'nested.conf'), 'x = 1\ny = ${x}\nname = ${node.name}\n');
  writeFileSync(join(dir, 'loop-a.conf'), 'include "loop-b.conf"\n');
  writeFileSync(join(dir, 'loop-b.conf'), 'include "loop-a.conf"\n');

  it('includes a file by absolute path and lets later keys override it', () => {
    const main = join(dir, 'main.conf');
    writeFileSync(main, `include "${join(dir, 'etc', 'base.conf')}"\nstore.dir = "/var/lib/protohub"\n`);
    const doc = parseHoconFile(main);
    expect(doc.value).toEqual({ store: { dir: '/var/lib/protohub', type: 'sqlite' }, log: { level: 'debug' } });
    expect(doc.positionOf(['store', 'dir'])).toEqual({ file: main, line: 2, col: 1 });
    expect(doc.positionOf(['store', 'type'])).toEqual({ file: join(dir, 'etc', 'base.conf'), line: 3, col: 3 });
    expect(doc.files).toEqual([main, join(dir, 'etc', 'base.conf')]);
  });

  it('resolves relative includes against the including file, with required() and file()', () => {
    const main = join(dir, 'rel.conf');
    writeFileSync(main, 'include required(file("etc/base.conf"))\ninclude file("etc/base.conf")\nlog.level = warn\n');
    expect(parseHoconFile(main).value).toEqual({ store: { dir: '/default', type: 'sqlite' }, log: { level: 'warn' } });
  });

  it('nests an include inside an object, fixing up its substitutions', () => {
    const main = join(dir, 'nest.conf');
    writeFileSync(main, 'node.name = n1\ninner {\n  include "etc/nested.conf"\n}\n');
    expect(parseHoconFile(main).value).toEqual({ node: { name: 'n1' }, inner: { x: 1, y: 1, name: 'n1' } });
  });

  it('ignores a missing plain include and fails on a missing required one', () => {
    expect(parseHoconText('include "nope.conf"\na = 1', join(dir, 'm.conf')).value).toEqual({ a: 1 });
    const err = errorOf(() => parseHoconText('a = 1\ninclude required("nope.conf")', join(dir, 'm.conf')));
    expect(err.code).toBe('PH_CONFIG_NOT_FOUND');
    expect(err.message).toBe(
      `${join(dir, 'm.conf')}:2:1: required include "nope.conf" not found (${join(dir, 'nope.conf')})`,
    );
  });

  it('tries .conf then .json for a name without extension', () => {
    writeFileSync(join(dir, 'etc', 'site.json'), '{ "site": { "id": 7 } }');
    const main = join(dir, 'ext.conf');
    writeFileSync(main, 'include required("etc/base")\ninclude "etc/site"\n');
    const doc = parseHoconFile(main);
    expect(doc.value).toMatchObject({ store: { dir: '/default' }, site: { id: 7 } });
    expect(doc.files).toEqual([main, join(dir, 'etc', 'base.conf'), join(dir, 'etc', 'site.json')]);
  });

  it('rejects include cycles', () => {
    const err = errorOf(() => parseHoconFile(join(dir, 'loop-a.conf')));
    expect(err.code).toBe('PH_CONFIG_SYNTAX');
    expect(err.message).toContain('include cycle');
  });

  it('reports a missing main file as PH_CONFIG_NOT_FOUND', () => {
    expect(errorOf(() => parseHoconFile(join(dir, 'absent.conf'))).code).toBe('PH_CONFIG_NOT_FOUND');
  });

  it('reports syntax errors inside an included file with that file name', () => {
    writeFileSync(join(dir, 'bad.conf'), 'ok = 1\nbad = [1, 2\n');
    const err = errorOf(() => parseHoconText('include "bad.conf"', join(dir, 'm.conf')));
    expect(err.message).toBe(`${join(dir, 'bad.conf')}:2:7: unterminated array, expected ]`);
  });
});

describe('HOCON syntax errors', () => {
  const cases: [string, string][] = [
    ['a = "open', 'test.conf:1:5: unterminated quoted string'],
    ['a {\n  b = 1\n', 'test.conf:3:1: unterminated object, expected }'],
    ['a = 1\nbind = 0.0.0.0:1883', "test.conf:2:15: ':' is not allowed in an unquoted value; quote the value"],
    [
      'a = 1\n  b c = 2',
      "test.conf:2:5: expected '=', ':' or '{' after key 'b', got 'c' (keys with spaces must be quoted)",
    ],
    ['a = ', 'test.conf:1:5: expected a value, got end of file'],
    ['a = 1 }', "test.conf:1:7: expected a newline, ',' or end of file after a field, got '}'"],
    ['a = $x', "test.conf:1:5: '$' must start a substitution '${...}'; quote the value"],
    ['a = ${x', 'test.conf:1:5: unterminated substitution, expected }'],
    ['a = "\\q"', "test.conf:1:6: bad escape '\\q' in quoted string"],
    ['a..b = 1', "test.conf:1:1: empty element in key path 'a..b'"],
    ['a = 1\n  @x = 2', "test.conf:2:3: reserved character '@' is not allowed outside quotes"],
    ['a = +1', "test.conf:1:5: '+' is only allowed as '+='; quote the value"],
    ['include url("http://x")', 'test.conf:1:9: include url(...) is not supported; use a file path'],
    ['a = """never closed', 'test.conf:1:5: unterminated """ string'],
  ];
  it.each(cases)('%j → %s', (text, message) => {
    const err = errorOf(() => parse(text));
    expect(err.code).toBe('PH_CONFIG_SYNTAX');
    expect(err.message).toBe(message);
    expect(err.issues).toEqual([message]);
  });

  it('bounds nesting depth', () => {
    const err = errorOf(() => parse(`a = ${'['.repeat(5000)}${']'.repeat(5000)}`));
    expect(err.message).toMatch(/nesting deeper than/);
  });
});
