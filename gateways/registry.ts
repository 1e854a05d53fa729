/**
 * The static registry of protocol gateways. `src/` reaches gateways only through this file.
 */
import type { GatewayDefinition } from '../src/gateway/spi.js';

export const gatewayDefinitions: readonly GatewayDefinition[] = [];
