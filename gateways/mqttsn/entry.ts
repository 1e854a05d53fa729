/**
 * The MQTT-SN 1.2 gateway definition: a client gateway (every MQTT-SN client is a device session of the broker)
 * made of the UDP server (server.ts, around the sans-IO gateway) and the device-session adapter.
 */
import type { ClientGatewayContext, ClientGatewayDefinition, ClientGatewayInstance } from '../../src/gateway/index.js';
import { DeviceAdapter } from './device-adapter.js';
import { mqttsnConfigSchema, type MqttSnConfig } from './schema.js';
import { MqttSnServer } from './server.js';

export class MqttSnGateway implements ClientGatewayInstance {
  readonly server: MqttSnServer;
  readonly adapter: DeviceAdapter;

  constructor(config: MqttSnConfig, ctx: ClientGatewayContext) {
    this.adapter = new DeviceAdapter(ctx.devices, (e) => this.server.brokerEvent(e), ctx.logger);
    this.server = new MqttSnServer({
      config,
      logger: ctx.logger,
      metrics: ctx.metrics,
      onAction: (a) => this.adapter.onAction(a),
    });
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  health() {
    return this.server.health();
  }
}

export const mqttsnGateway: ClientGatewayDefinition<MqttSnConfig> = {
  kind: 'client',
  protocol: 'mqttsn',
  configSchema: mqttsnConfigSchema,
  create: (config, ctx) => new MqttSnGateway(config, ctx),
};
