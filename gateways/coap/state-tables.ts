/**
 * The bounded state of one CoAP instance as gauges (`protohub_gateway_table_entries{table}`): clients, observe
 * relations, partial Block1 transfers, stored Block2 bodies, remembered message ids and unacknowledged CONs. Each
 * has its limit in the configuration; a flood shows here as a table at its limit plus a drop counter, never as
 * growth.
 */
import type { GatewayMetrics } from '../../src/gateway/index.js';
import type { EndpointCore } from './core.js';

export function reportTables(core: EndpointCore, metrics: GatewayMetrics): void {
  metrics.tableSize('clients', core.channels.size);
  metrics.tableSize('observations', core.registry.size);
  metrics.tableSize('block1_transfers', core.block1.size);
  metrics.tableSize('block2_bodies', core.block2.size);
  metrics.tableSize('dedup_ids', core.dedup.size);
  metrics.tableSize('message_id_counters', core.messageIds.size);
  metrics.tableSize('unacked_cons', core.retransmit.size);
}
