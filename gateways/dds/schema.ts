/**
 * Config of `gateways.dds.<name>`: the common gateway keys, the DDS domain, where the types come from (IDL files
 * parsed by the hub and/or RTI XML type files), the QoS profile and one entry per DDS topic with its type,
 * direction, QoS and partitions. Topic names are the config keys (quote ROS 2 names: `"rt/chatter"`).
 */
import { z } from 'zod';
import { commonGatewayShape } from '../../src/gateway/index.js';

const qosLevel = z.literal([0, 1, 2]);

export const ddsTopicSchema = z
  .object({
    type: z.string().min(1).describe('registered type name, fully qualified with :: (e.g. "ShapeType")'),
    direction: z
      .enum(['uplink', 'downlink', 'both'])
      .default('uplink')
      .describe(
        'uplink: a DDS reader feeds MQTT; downlink: MQTT messages are written by a DDS writer; both (the reader ignores our own writer, so MQTT writes do not come back up)',
      ),
    reliability: z
      .enum(['reliable', 'best_effort'])
      .default('reliable')
      .describe('DDS reliability of the reader/writer; also the default MQTT QoS (reliable → 1, best_effort → 0)'),
    mqtt_qos: qosLevel.optional().describe('MQTT QoS of uplink messages; default from reliability'),
    durability: z
      .enum(['volatile', 'transient_local'])
      .default('volatile')
      .describe('DDS durability; transient_local uplink samples are published retained (the last value per key)'),
    history_depth: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe('KEEP_LAST depth of the reader/writer history; 0 = KEEP_ALL'),
    partitions: z
      .array(z.string().min(1))
      .default([])
      .describe('DDS partitions of this topic; [] = the default partition'),
    address_fields: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a member path such as "x" or "site.line"'),
      )
      .max(16)
      .default([])
      .describe(
        'uplink: sample members (dotted paths for nested structs) appended to the address after the key values, one level each, so mapping templates can name them; a missing/unset member renders as "_"',
      ),
  })
  .strict();

export const ddsConfigSchema = z
  .object({
    ...commonGatewayShape,
    domain_id: z.number().int().min(0).max(232).default(0).describe('DDS domain id'),
    types: z
      .object({
        idl: z
          .array(z.string().min(1))
          .default([])
          .describe('IDL files parsed at start-up (relative to the config file)'),
        xml: z
          .array(z.string().min(1))
          .default([])
          .describe('RTI XML files whose <types> element is used as written (relative to the config file)'),
        include_dirs: z
          .array(z.string().min(1))
          .default([])
          .describe('where #include <…> of the IDL files is searched'),
        default_extensibility: z
          .enum(['final', 'appendable', 'mutable'])
          .default('final')
          .describe('extensibility of IDL types without @final/@appendable/@mutable (Cyclone DDS and ROS 2: final)'),
      })
      .strict()
      .prefault({}),
    qos_file: z
      .string()
      .min(1)
      .optional()
      .describe('RTI XML file with a <qos_library>; default: the built-in loopback-only XCDR2 profile'),
    qos_profile: z
      .string()
      .min(1)
      .default('ProtohubDds::Loopback')
      .describe('"<library>::<profile>" every reader and writer is based on'),
    topics: z
      .record(z.string().min(1), ddsTopicSchema)
      .describe('DDS topics by name; a name with * is a pattern matched against remote writers (uplink only)'),
    max_discovered_topics: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(64)
      .describe(
        'readers the wildcard topics may create at run time, in total; further matching topics are logged and counted',
      ),
    dispose: z
      .enum(['empty_retained', 'event', 'none'])
      .default('empty_retained')
      .describe(
        'a disposed/unregistered instance: an empty retained message on its topic, a JSON event {"dds_event":…}, or nothing',
      ),
    sample_info: z
      .boolean()
      .default(true)
      .describe('add source timestamp, instance state and sample identity as MQTT 5 user properties'),
    max_samples_per_take: z
      .number()
      .int()
      .min(1)
      .max(65_536)
      .default(256)
      .describe(
        'samples one take returns (reader_resource_limits.max_samples_per_read), so one busy topic cannot hold the event loop',
      ),
  })
  .strict()
  .refine((c) => Object.keys(c.topics).length > 0, { message: 'at least one topic' })
  .superRefine((c, ctx) => {
    for (const [name, t] of Object.entries(c.topics)) {
      if (name.includes('*') && t.direction !== 'uplink')
        ctx.addIssue({
          code: 'custom',
          path: ['topics', name, 'direction'],
          message: 'a wildcard topic (a name with *) must have direction = "uplink"',
        });
    }
  })
  .refine((c) => c.types.idl.length + c.types.xml.length > 0, { message: 'types.idl or types.xml must name a file' });

export type DdsConfig = z.output<typeof ddsConfigSchema>;
export type DdsTopicConfig = z.output<typeof ddsTopicSchema>;
