/** Health of one gateway instance as the rest of the hub (HTTP API, $SYS) sees it. */
import type { ConnectionState } from './spi.js';

export type RuntimeState = 'stopped' | 'starting' | 'running' | 'failed' | 'restarting' | 'stopping' | 'disabled';

export interface GatewayHealth {
  /** `<protocol>.<name>` */
  id: string;
  protocol: string;
  name: string;
  state: RuntimeState;
  connection: ConnectionState;
  peers: number;
  /** Last error of the instance or the supervisor, kept across restarts until the next one. */
  lastError?: string;
  restarts: number;
  /** Mapping file path or `default:<protocol>.<name>`. */
  mapping: string;
  /** Epoch ms of the last state change. */
  since: number;
}
