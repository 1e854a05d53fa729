/**
 * The static registry of protocol gateways. `src/` reaches gateways only through this file; adding a protocol
 * means adding its definition here (see docs/gateways/README.md).
 */
import type { GatewayDefinition } from '../src/gateway/index.js';
import { ddsGateway } from './dds/entry.js';
import { nngGateway } from './nng/entry.js';
import { zeromqGateway } from './zeromq/entry.js';

export const gatewayDefinitions: readonly GatewayDefinition[] = [zeromqGateway, nngGateway, ddsGateway];
