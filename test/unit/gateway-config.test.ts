import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/loader.js';
import { ConfigError } from '../../src/errors.js';
import type { ZeromqConfig } from '../../gateways/zeromq/schema.js';
import type { NngConfig } from '../../gateways/nng/schema.js';

describe('gateway config', () => {
  it("config/examples/zeromq.conf loads with the issue's sockets", () => {
    const { config } = loadConfig('config/examples/zeromq.conf', { env: {} });
    const gw = (config.gateways as unknown as { zeromq: Record<string, ZeromqConfig> }).zeromq.plant;
    expect(gw.sockets.sensors).toMatchObject({ type: 'sub', connect: ['tcp://127.0.0.1:5560'], subscribe: [''] });
    expect(gw.sockets.commands).toMatchObject({ type: 'pub', bind: ['tcp://127.0.0.1:5561'] });
    expect(gw.framing).toEqual({ mode: 'multipart', delimiter: ' ' });
    expect(gw.uplink_buffer).toEqual({ max_messages: 10000, max_bytes: 64 * 1024 ** 2, overflow: 'drop_oldest' });
  });

  it("config/examples/nng.conf loads with the issue's sockets", () => {
    const { config } = loadConfig('config/examples/nng.conf', { env: {} });
    const gw = (config.gateways as unknown as { nng: Record<string, NngConfig> }).nng.edge;
    expect(gw.sockets.sensors).toMatchObject({ type: 'sub', dial: ['tcp://127.0.0.1:5570'] });
    expect(gw.sockets.commands).toMatchObject({ type: 'pub', listen: ['tcp://127.0.0.1:5571'] });
    expect(gw.sockets.requests).toMatchObject({
      type: 'rep',
      listen: ['tcp://127.0.0.1:5572'],
      address_prefix: 'req/',
    });
    expect(gw.request_reply).toMatchObject({ timeout: 5000, max_pending: 1000 });
  });

  it('bad gateway keys are reported with file:line and path', () => {
    const text = [
      'gateways.zeromq.a {',
      '  sockets.s { type = "sub", connect = ["udp://x:1"] }',
      '  uplink_buffer.overflow = "explode"',
      '}',
      'gateways.nng.b.sockets.r { type = "rep" }',
    ].join('\n');
    let err: unknown;
    try {
      parseConfigText(text, 'bad.conf', { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.join('\n');
    expect(issues).toMatch(/bad\.conf:2 gateways\.zeromq\.a\.sockets\.s\.connect\[0\].*udp:\/\/x:1/);
    expect(issues).toMatch(/bad\.conf:3 gateways\.zeromq\.a\.uplink_buffer\.overflow/);
    expect(issues).toMatch(/gateways\.nng\.b\.sockets\.r.*listen or dial/);
  });
});
