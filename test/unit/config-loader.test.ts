import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../src/config/issues.js';
import { coerceScalars } from '../../src/config/coerce.js';
import { formatConfigError, loadConfig, parseConfigText } from '../../src/config/loader.js';
import { ConfigError } from '../../src/errors.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills defaults, converts units and deep-freezes the result', () => {
    const { config } = parseConfigText(
      'mqtt.retry_interval = 5s\nmqtt.max_packet_size = "2MB"\nlisteners.tcp.default.bind = "127.0.0.1:0"',
      'a.conf',
      { env: {} },
    );
    expect(config.mqtt.retry_interval).toBe(5000);
    expect(config.mqtt.max_packet_size).toBe(2 * 1024 * 1024);
    expect(config.listeners.tcp.default.bind).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.store).toEqual({ type: 'sqlite', dir: './data', synchronous: 'normal', max_size: 0 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listeners.tcp.default.bind)).toBe(true);
    expect(() => {
      (config.store as { dir: string }).dir = 'x';
    }).toThrow(TypeError);
  });

  it('does not share frozen objects with schema defaults', () => {
    parseConfigText('', 'a.conf', { env: {} });
    expect(parseConfigText('', 'b.conf', { env: {} }).config.listeners.ssl).toEqual({});
    expect(Object.isFrozen({})).toBe(false);
  });

  it('takes ${?ENV} when set and the default otherwise', () => {
    const text = 'store.dir = "./data"\nstore.dir = ${?PROTOHUB_DIR}\nnode.name = ${?PROTOHUB_NAME}';
    expect(parseConfigText(text, 'a.conf', { env: {} }).config.store.dir).toBe('./data');
    expect(parseConfigText(text, 'a.conf', { env: {} }).config.node.name).toBe('protohub');
    const set = parseConfigText(text, 'a.conf', { env: { PROTOHUB_DIR: '/srv', PROTOHUB_NAME: 'edge1' } }).config;
    expect([set.store.dir, set.node.name]).toEqual(['/srv', 'edge1']);
  });

  it('converts strings to the numbers and booleans the schema wants (environment values are strings)', () => {
    const text = 'mqtt.max_inflight = ${?INFLIGHT}\nauth.allow_anonymous = ${?ANON}\nmqtt.keepalive_multiplier = "2.5"';
    const { config } = parseConfigText(text, 'a.conf', { env: { INFLIGHT: '64', ANON: 'off' } });
    expect(config.mqtt.max_inflight).toBe(64);
    expect(config.auth.allow_anonymous).toBe(false);
    expect(config.mqtt.keepalive_multiplier).toBe(2.5);
    const err = configErrorOf(() =>
      parseConfigText('mqtt.max_inflight = ${?INFLIGHT}', 'a.conf', { env: { INFLIGHT: 'lots' } }),
    );
    expect(err.issues).toEqual(['a.conf:1 mqtt.max_inflight: expected a number, got "lots"']);
  });

  it('applies dotted-path overrides over the file and reports them as <overrides>', () => {
    const { config, sources } = parseConfigText('store.dir = /a\nlog.level = warn', 'a.conf', {
      env: {},
      overrides: { 'store.dir': '/b', log: { format: 'json' } },
    });
    expect(config.store.dir).toBe('/b');
    expect(config.log).toEqual({ level: 'warn', format: 'json' });
    expect(sources.positionOf(['store', 'dir'])).toEqual({ file: '<overrides>', line: 0, col: 0 });
    const err = configErrorOf(() => parseConfigText('', 'a.conf', { env: {}, overrides: { 'log.level': 'loud' } }));
    expect(err.issues).toEqual([
      '<overrides> log.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "loud"',
    ]);
  });

  it('reports every problem at once with file:line, in file order', () => {
    const text = [
      'node { name = "bad name!", colour = blue }', // 1
      'listeners.tcp.default {', // 2
      '  bind = "nowhere"', // 3
      '  max_connections = 0', // 4
      '}', // 5
      'listeners.ssl.secure {', // 6
      '  bind = "127.0.0.1:8883"', // 7
      '}', // 8
      'mqtt.retry_interval = forever', // 9
      'log.level = loud', // 10
      'authorization.rules = [ { permission = allow, who { user = x }, topics = [] } ]', // 11
      'bogus = true', // 12
    ].join('\n');
    const err = configErrorOf(() => parseConfigText(text, 'bad.conf', { env: {} }));
    expect(err.code).toBe('PH_CONFIG_INVALID');
    expect(err.message).toBe('bad.conf: invalid configuration (11 problems)');
    expect(err.issues).toEqual([
      'bad.conf:1 node.name: expected a string matching /^[A-Za-z0-9_.-]+$/, got "bad name!"',
      'bad.conf:1 node.colour: expected one of the keys name, got unknown key "colour"',
      'bad.conf:3 listeners.tcp.default.bind: expected "host:port" with port 0..65535, got "nowhere"',
      'bad.conf:4 listeners.tcp.default.max_connections: expected a number >= 1, got 0',
      'bad.conf:6 listeners.ssl.secure.certfile: expected a string, got nothing (required key missing)',
      'bad.conf:6 listeners.ssl.secure.keyfile: expected a string, got nothing (required key missing)',
      'bad.conf:9 mqtt.retry_interval: expected a duration like "30s" (0ms..9007199254740991ms), got "forever"',
      'bad.conf:10 log.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "loud"',
      'bad.conf:11 authorization.rules[0].who: expected "all" or { username } or { clientid } or { ipaddress }, got an object { user }',
      'bad.conf:11 authorization.rules[0].topics: expected at least 1 item, got an empty array',
      expect.stringMatching(
        /^bad\.conf:12 bogus: expected one of the keys node, listeners, .*, got unknown key "bogus"$/,
      ),
    ]);
  });

  it("reports problems in an included file with that file's name and line", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'base.conf'),
      'store {\n  type = sqlite\n  synchronous = sometimes\n}\nhttp.bind = 99999\n',
    );
    const main = join(dir, 'main.conf');
    writeFileSync(main, `include "base.conf"\nstore.dir = "/var/lib/protohub"\nlog { level = info, colour = red }\n`);
    const err = configErrorOf(() => loadConfig(main, { env: {} }));
    expect(err.issues).toEqual([
      `${main}:3 log.colour: expected one of the keys level, format, got unknown key "colour"`,
      `${join(dir, 'base.conf')}:3 store.synchronous: expected one of "normal", "full", got "sometimes"`,
      `${join(dir, 'base.conf')}:5 http.bind: expected "host:port" with port 0..65535, got 99999`,
    ]);
  });

  it('lets a later key override an included one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'base.conf'), 'store { dir = "/default", type = memory }\n');
    const main = join(dir, 'main.conf');
    writeFileSync(main, `include "${join(dir, 'base.conf')}"\nstore.dir = "/var/lib/protohub"\n`);
    const { config, sources } = loadConfig(main, { env: {} });
    expect(config.store).toEqual({ type: 'memory', dir: '/var/lib/protohub', synchronous: 'normal', max_size: 0 });
    expect(sources.files).toEqual([main, join(dir, 'base.conf')]);
    expect(sources.positionOf(['store', 'type'])).toEqual({ file: join(dir, 'base.conf'), line: 1, col: 27 });
  });

  it('resolves file names relative to the file that wrote the key', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'site'));
    writeFileSync(join(dir, 'site', 'auth.conf'), 'auth.password_file = "passwd"\n');
    const main = join(dir, 'main.conf');
    writeFileSync(main, 'include "site/auth.conf"\nauth.jwt.key_file = "keys/jwt.pem"\n');
    const { config, sources } = loadConfig(main, { env: {}, overrides: { 'store.dir': 'data' } });
    expect(sources.resolveFile(['auth', 'password_file'], config.auth.password_file ?? '')).toBe(
      join(dir, 'site', 'passwd'),
    );
    expect(sources.resolveFile(['auth', 'jwt', 'key_file'], 'keys/jwt.pem')).toBe(join(dir, 'keys', 'jwt.pem'));
    expect(sources.resolveFile(['store', 'dir'], 'data')).toBe(join(process.cwd(), 'data'));
    expect(sources.resolveFile(['auth', 'password_file'], '/abs/passwd')).toBe('/abs/passwd');
  });

  it('throws PH_CONFIG_NOT_FOUND, PH_CONFIG_READ and PH_CONFIG_SYNTAX with positions', () => {
    const dir = tempDir();
    expect(configErrorOf(() => loadConfig(join(dir, 'missing.conf'))).code).toBe('PH_CONFIG_NOT_FOUND');
    expect(configErrorOf(() => loadConfig(dir)).code).toBe('PH_CONFIG_READ');
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, 'a = 1\nb = [\n');
    const err = configErrorOf(() => loadConfig(bad));
    expect(err.code).toBe('PH_CONFIG_SYNTAX');
    expect(err.message).toBe(`${bad}:2:5: unterminated array, expected ]`);
  });
});

describe('coerceScalars', () => {
  const schema = z.object({
    qos: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal('keep')]),
    on: z.record(z.string(), z.object({ flag: z.boolean(), n: z.array(z.number()) })),
    text: z.string(),
  });

  it('converts only where the schema wants a number, boolean or literal', () => {
    const input = { qos: '2', on: { a: { flag: 'yes', n: ['1', ' 2 ', 'x'] } }, text: '5' };
    expect(coerceScalars(schema, input)).toEqual({ qos: 2, on: { a: { flag: true, n: [1, 2, 'x'] } }, text: '5' });
    expect(coerceScalars(schema, { qos: 'keep' })).toEqual({ qos: 'keep' });
    expect(input.qos).toBe('2');
  });
});

describe('issue wording', () => {
  it('names the allowed values of a discriminated union and descends into the matching branch', () => {
    const schema = z.object({
      g: z.discriminatedUnion('type', [
        z.object({ type: z.literal('a'), x: z.number() }),
        z.object({ type: z.literal('b') }),
      ]),
      u: z.union([z.object({ host: z.string() }).strict(), z.string()]),
    });
    const issuesOf = (v: unknown) =>
      describeIssues(schema.safeParse(v, { reportInput: true }).error?.issues ?? [], schema);
    expect(issuesOf({ g: { type: 'c' }, u: 'ok' })).toEqual([
      { path: ['g', 'type'], text: 'expected one of "a", "b", got "c"' },
    ]);
    expect(issuesOf({ g: { type: 'a', x: 'no' }, u: { host: 5 } })).toEqual([
      { path: ['g', 'x'], text: 'expected a number, got "no"' },
      { path: ['u', 'host'], text: 'expected a string, got 5' },
    ]);
    expect(issuesOf({ g: { type: 'b' }, u: 7 })).toEqual([
      { path: ['u'], text: 'expected { host } or a string, got 7' },
    ]);
  });
});

describe('formatConfigError', () => {
  it('prints the code, the summary and one indented line per problem', () => {
    const err = configErrorOf(() => parseConfigText('log.level = loud\nstore.type = file', 'x.conf', { env: {} }));
    expect(formatConfigError(err)).toBe(
      [
        'PH_CONFIG_INVALID: x.conf: invalid configuration (2 problems)',
        '  x.conf:1 log.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", "silent", got "loud"',
        '  x.conf:2 store.type: expected one of "sqlite", "memory", got "file"',
      ].join('\n'),
    );
  });

  it('prints a syntax error on one line and other errors by message', () => {
    const err = configErrorOf(() => parseConfigText('a = ', 'x.conf'));
    expect(formatConfigError(err)).toBe('PH_CONFIG_SYNTAX: x.conf:1:5: expected a value, got end of file');
    expect(formatConfigError(new Error('boom'))).toBe('boom');
    expect(formatConfigError('weird')).toBe('weird');
  });
});
