/**
 * `sys_topics` config section, named after EMQX's (`sys_msg_interval`, `sys_event_messages`) so its users find
 * the same keys.
 */
import { z } from 'zod';
import { duration } from '../config/types.js';

export const sysTopicsSchema = z
  .object({
    enable: z.boolean().default(true).describe('publish $SYS/brokers/<node>/… statistics and client event messages'),
    sys_msg_interval: duration(
      'how often the statistics topics (version, uptime, stats/…, metrics/…) are published',
      1000,
      86_400_000,
    ).prefault('1m'),
    sys_event_messages: z
      .object({
        client_connected: z
          .boolean()
          .default(true)
          .describe('publish $SYS/brokers/<node>/clients/<clientid>/connected when a client connects'),
        client_disconnected: z
          .boolean()
          .default(true)
          .describe('publish $SYS/brokers/<node>/clients/<clientid>/disconnected when a client goes away'),
      })
      .prefault({})
      .describe('client lifecycle event messages (JSON, EMQX field names)'),
  })
  .prefault({})
  .describe('$SYS topics; readable by whoever authorization allows to subscribe to them');

export type SysTopicsConfig = z.output<typeof sysTopicsSchema>;
