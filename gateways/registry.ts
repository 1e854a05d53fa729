/**
 * The static registry of protocol gateways. `src/` reaches gateways only through this file; adding a protocol
 * means adding its definition here (see docs/gateways/README.md): address-mapped gateways (one pipeline session
 * per instance) to `gatewayDefinitions`, client gateways (every device a broker client) to
 * `clientGatewayDefinitions`.
 */
import type { ClientGatewayDefinition, GatewayDefinition } from '../src/gateway/index.js';
import { coapGateway } from './coap/entry.js';
import { lwm2mGateway } from './lwm2m/entry.js';
import { ddsGateway } from './dds/entry.js';
import { mqttsnGateway } from './mqttsn/entry.js';
import { nngGateway } from './nng/entry.js';
import { zeromqGateway } from './zeromq/entry.js';

export const gatewayDefinitions: readonly GatewayDefinition[] = [zeromqGateway, nngGateway, ddsGateway];

export const clientGatewayDefinitions: readonly ClientGatewayDefinition[] = [mqttsnGateway, coapGateway, lwm2mGateway];
