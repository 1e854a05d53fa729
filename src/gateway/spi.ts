/**
 * Gateway SPI (placeholder until the pipeline lands): what a protocol gateway definition provides.
 */
import type { z } from 'zod';

export interface GatewayDefinition {
  /** Key under `gateways.` in config, e.g. "zeromq". */
  readonly protocol: string;
  readonly configSchema: z.ZodType;
}
