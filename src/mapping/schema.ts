/**
 * Shape of a mapping definition (the HOCON/JSON file and the object gateways pass for their defaults). Unknown
 * keys are errors so a typo such as `user_property` is reported instead of ignored.
 */
import { z } from 'zod';

const qos = z.literal([0, 1, 2]);

const payload = z
  .object({
    in: z.string().min(1).default('raw').describe('media type or alias of the payload as it arrives'),
    out: z.string().min(1).default('raw').describe('media type or alias of the payload as it leaves'),
  })
  .strict()
  .prefault({});

export const uplinkRuleSchema = z
  .object({
    name: z.string().min(1).optional(),
    address: z.string().describe('protocol address pattern, e.g. "sensors/{site}/{rest*}"'),
    topic: z.string().describe('MQTT topic template, e.g. "zmq/{site}/{rest*}"'),
    qos: qos.default(0),
    retain: z.boolean().default(false),
    payload,
    user_properties: z.record(z.string(), z.string()).default({}),
    content_type: z.string().min(1).optional(),
  })
  .strict();

export const downlinkRuleSchema = z
  .object({
    name: z.string().min(1).optional(),
    filter: z.string().describe('MQTT topic filter pattern, e.g. "zmq/cmd/{rest*}"'),
    address: z.string().describe('protocol address template, e.g. "{rest*}"'),
    qos: qos.default(1),
    payload,
  })
  .strict();

export type UplinkRuleDefinition = z.input<typeof uplinkRuleSchema>;
export type DownlinkRuleDefinition = z.input<typeof downlinkRuleSchema>;
export type UplinkRule = z.output<typeof uplinkRuleSchema>;
export type DownlinkRule = z.output<typeof downlinkRuleSchema>;

/** The file shape: both lists are optional. */
export interface MappingDefinition {
  uplink?: UplinkRuleDefinition[];
  downlink?: DownlinkRuleDefinition[];
}
