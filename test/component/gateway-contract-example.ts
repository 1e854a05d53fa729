/**
 * Runs a shipped config/examples/*.conf with only the MQTT listener moved to a free port and the HTTP API off
 * (tests never take 1883). The hub starts the example's gateways itself, from the config, as `protohub start`
 * would; `health()` is its gateways' entry of Hub#status().
 */
import { loadConfig } from '../../src/config/loader.js';
import type { GatewayHealth } from '../../src/gateway/health.js';
import { Hub } from '../../src/hub.js';
import { silentLogger } from '../../src/logger.js';

export interface ExampleHub {
  hub: Hub;
  health(): GatewayHealth[];
  url: string;
  stop(): Promise<void>;
}

export async function startExample(name: string): Promise<ExampleHub> {
  const file = new URL(`../../config/examples/${name}`, import.meta.url).pathname;
  const { config, sources } = loadConfig(file, {
    env: {},
    overrides: { 'listeners.tcp.default.bind': '127.0.0.1:0', 'http.enable': false },
  });
  const hub = new Hub(config, {
    logger: silentLogger(),
    configFile: file,
    resolveFile: (path, n) => sources.resolveFile(path, n),
  });
  await hub.start();
  return {
    hub,
    health: () => (hub.status().components as { gateways?: GatewayHealth[] }).gateways ?? [],
    url: `mqtt://127.0.0.1:${hub.address('tcp').port}`,
    stop: () => hub.stop(),
  };
}
