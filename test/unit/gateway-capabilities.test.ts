/**
 * Capabilities enforced when the config loads: `uplink_buffer.overflow = "block"` on a gateway whose definition
 * says `pausable: false` is a config error naming the key with file:line. The registry is replaced by the real
 * ZeroMQ definition plus a copy of it that declares it cannot pause (no shipped gateway is non-pausable yet).
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../gateways/registry.js', async () => {
  const { zeromqGateway } = await import('../../gateways/zeromq/entry.js');
  return {
    clientGatewayDefinitions: [],
    gatewayDefinitions: [
      zeromqGateway,
      { ...zeromqGateway, protocol: 'stubborn', capabilities: { ...zeromqGateway.capabilities, pausable: false } },
    ],
  };
});

const { parseConfigText } = await import('../../src/config/loader.js');
const { ConfigError } = await import('../../src/errors.js');

function issuesOf(text: string): string[] {
  try {
    parseConfigText(text, 'caps.conf', { env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as InstanceType<typeof ConfigError>).issues];
  }
  return [];
}

const SOCKET = 'sockets.s { type = "pull", bind = ["tcp://127.0.0.1:5999"] }';

describe('gateway capabilities at config load', () => {
  it('"block" on a non-pausable gateway is an error naming the key, with file:line', () => {
    const issues = issuesOf(
      ['gateways.stubborn.a {', `  ${SOCKET}`, '  uplink_buffer { max_messages = 10, overflow = "block" }', '}'].join(
        '\n',
      ),
    );
    expect(issues).toEqual([
      'caps.conf:3 gateways.stubborn.a.uplink_buffer.overflow: expected "drop_oldest" or "drop_newest" ' +
        '(stubborn gateways cannot pause their peers, so "block" is not available), got "block"',
    ]);
  });

  it('"block" stays valid where the gateway can pause, and other policies stay valid everywhere', () => {
    expect(
      issuesOf(
        [
          `gateways.zeromq.a { ${SOCKET}, uplink_buffer.overflow = "block" }`,
          `gateways.stubborn.b { ${SOCKET}, uplink_buffer.overflow = "drop_newest" }`,
          `gateways.stubborn.c { ${SOCKET} }`,
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('names every offending instance at once', () => {
    const issues = issuesOf(
      [
        `gateways.stubborn.x { ${SOCKET}, uplink_buffer.overflow = "block" }`,
        `gateways.stubborn.y { ${SOCKET}, uplink_buffer.overflow = "block" }`,
      ].join('\n'),
    );
    expect(issues.map((i) => i.split(' ')[0] + ' ' + i.split(' ')[1])).toEqual([
      'caps.conf:1 gateways.stubborn.x.uplink_buffer.overflow:',
      'caps.conf:2 gateways.stubborn.y.uplink_buffer.overflow:',
    ]);
  });
});
