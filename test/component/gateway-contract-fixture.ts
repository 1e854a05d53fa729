/**
 * A real hub (broker + TCP listener on a free port) with one gateway instance run by a GatewayManager, for
 * gateway component tests. The manager is wired by hand on hub.broker so these tests do not depend on how
 * src/hub.ts composes gateways.
 */
import type { MqttClient } from 'mqtt';
import { GatewayManager } from '../../src/gateway/manager.js';
import { gatewayDefinitions } from '../../gateways/registry.js';
import { silentLogger } from '../../src/logger.js';
import { connectV5 } from '../support/clients.js';
import { REPO_ROOT, startHub, type StartedHub } from '../support/hub.js';

export interface GatewayHub {
  started: StartedHub;
  manager: GatewayManager;
  id: string;
  /** A fresh MQTT 5 client on the hub. */
  client(): Promise<MqttClient>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export async function startGatewayHub(
  protocol: string,
  name: string,
  rawConfig: Record<string, unknown>,
): Promise<GatewayHub> {
  const def = gatewayDefinitions.find((d) => d.protocol === protocol);
  if (!def) throw new Error(`no gateway ${protocol}`);
  const config = def.configSchema.parse(rawConfig);
  const started = await startHub({});
  const manager = new GatewayManager({
    config: { [protocol]: { [name]: config } } as never,
    broker: started.hub.broker,
    logger: silentLogger(),
    metrics: started.hub.metrics,
    baseDir: REPO_ROOT,
  });
  try {
    await manager.start();
  } catch (err) {
    await started.stop();
    throw err;
  }
  const id = `${protocol}.${name}`;
  return {
    started,
    manager,
    id,
    client: () => connectV5(started.url),
    metric: (n, labels = {}) => started.hub.metrics.value(n, { gateway: id, ...labels }),
    stop: async () => {
      await manager.stop();
      await started.stop();
    },
  };
}
