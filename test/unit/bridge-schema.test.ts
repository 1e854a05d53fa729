import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/loader.js';
import { bridgeSchema } from '../../src/bridge/schema.js';
import type { ConfigError } from '../../src/errors.js';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

describe('bridges.mqtt.<name> schema', () => {
  it("config/examples/bridge.conf loads with the issue's settings", () => {
    const { config } = loadConfig(repo('config/examples/bridge.conf'), { env: {} });
    const b = config.bridges.mqtt.cloud;
    expect(config.listeners.tcp.default.bind).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(b.servers).toEqual(['mqtt://127.0.0.1:18830', 'mqtt://127.0.0.1:18831']);
    expect(b.proto_ver).toBe('v5');
    expect(b.clientid).toBe('protohub-edge1');
    expect(b.forwards).toEqual([
      { local: 'sensors/#', remote: 'edge/${node.name}/{topic}', qos: 1, retain: 'keep', user_properties: {} },
    ]);
    expect(b.subscriptions[0]).toMatchObject({
      remote: 'cloud/edge1/cmd/{rest*}',
      local: 'cmd/{rest*}',
      qos: 1,
      no_local: true,
    });
    expect(b.max_inflight).toBe(32);
    expect(b.cache).toEqual({ qos0: false, max_messages: 1_000_000, max_bytes: 1024 ** 3, overflow: 'drop_oldest' });
  });

  it('fills defaults for a minimal bridge', () => {
    const b = bridgeSchema.parse({ servers: ['mqtts://cloud.example:8883'] });
    expect(b).toMatchObject({
      enable: true,
      proto_ver: 'v5',
      clean_start: false,
      keepalive: 60_000,
      session_expiry: 7_200_000,
      max_inflight: 32,
      hop_marker: true,
    });
    expect(b.reconnect).toEqual({ initial: 1000, max: 60_000, multiplier: 2, jitter: 0.5 });
    expect(b.ssl.verify).toBe('verify_peer');
  });

  it('accepts drop_newest as an alias of drop_new', () => {
    expect(bridgeSchema.parse({ servers: ['mqtt://h:1'], cache: { overflow: 'drop_newest' } }).cache.overflow).toBe(
      'drop_new',
    );
  });

  it.each([
    [{ servers: [] }, 'servers'],
    [{ servers: ['http://h:1'] }, 'servers'],
    [{ servers: ['mqtt://h:1'], forwards: [{ local: 'a/{x}', remote: 'b/{y}' }] }, 'forwards'],
    [{ servers: ['mqtt://h:1'], subscriptions: [{ remote: '$share/g/c/{x*}/d', local: 'x' }] }, 'subscriptions'],
    [{ servers: ['mqtt://h:1'], max_inflight: 0 }, 'max_inflight'],
  ])('refuses %j at %s', (input, path) => {
    const r = bridgeSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => String(i.path[0]))).toContain(path);
  });

  it("on v4 (no no-local) refuses a subscription that would receive the bridge's own forwards", () => {
    const loop = {
      servers: ['mqtt://h:1'],
      proto_ver: 'v4',
      forwards: [{ local: 'sensors/#', remote: 'edge/e1/{topic}' }],
      subscriptions: [{ remote: 'edge/#' }],
    };
    const r = bridgeSchema.safeParse(loop);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toContain('loop');
    expect(bridgeSchema.safeParse({ ...loop, proto_ver: 'v5' }).success).toBe(true);
    expect(bridgeSchema.safeParse({ ...loop, subscriptions: [{ remote: 'cloud/e1/cmd/#' }] }).success).toBe(true);
  });

  it('a bad bridge in a config file is reported with file and line', () => {
    const text =
      'bridges.mqtt.up {\n  servers = ["mqtt://127.0.0.1:1"]\n  forwards = [{ local = "a/{x}", remote = "b/{nope}" }]\n}\n';
    let issues: readonly string[] = [];
    try {
      parseConfigText(text, 'bad.conf', { env: {} });
    } catch (err) {
      issues = (err as ConfigError).issues;
    }
    expect(issues.join('\n')).toMatch(/bad\.conf:3.*forwards.*\{nope\} is not captured/);
  });
});
