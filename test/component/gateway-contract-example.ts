/**
 * Runs a shipped config/examples/*.conf with only the MQTT listener moved to a free port and the HTTP API off
 * (tests never take 1883). The example's gateways run under a GatewayManager wired on the hub's broker, the
 * way src/hub.ts composes them, so these tests do not depend on that wiring having landed.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/loader.js';
import { GatewayManager } from '../../src/gateway/manager.js';
import { Hub } from '../../src/hub.js';
import { silentLogger } from '../../src/logger.js';

export interface ExampleHub {
  hub: Hub;
  manager: GatewayManager;
  url: string;
  stop(): Promise<void>;
}

export async function startExample(name: string): Promise<ExampleHub> {
  const file = fileURLToPath(new URL(`../../config/examples/${name}`, import.meta.url));
  const { config, sources } = loadConfig(file, {
    env: {},
    overrides: { 'listeners.tcp.default.bind': '127.0.0.1:0', 'http.enable': false },
  });
  // The hub gets no gateways so only this manager binds the example's fixed gateway ports.
  const hub = new Hub({
    ...config,
    gateways: Object.fromEntries(Object.keys(config.gateways).map((k) => [k, {}])) as typeof config.gateways,
  });
  await hub.start();
  const manager = new GatewayManager({
    config: config.gateways,
    broker: hub.broker,
    logger: silentLogger(),
    metrics: hub.metrics,
    baseDir: dirname(file),
    resolveFile: (path, n) => sources.resolveFile(path, n),
  });
  try {
    await manager.start();
  } catch (err) {
    await hub.stop();
    throw err;
  }
  return {
    hub,
    manager,
    url: `mqtt://127.0.0.1:${hub.address('tcp').port}`,
    stop: async () => {
      await manager.stop();
      await hub.stop();
    },
  };
}
