/**
 * The runtime of a compiled mapping: first-match over precompiled rules. Never throws per message; every
 * failure is a MapResult the pipeline counts and dead-letters.
 */
import { convertPayload } from '../codecs/convert.js';
import type { Codec } from '../codecs/types.js';
import type { Envelope, PublishProperties, QoS, UserProperties } from '../envelope.js';
import { matchPattern, toTopicFilter, type Captures } from './pattern.js';
import type { CompiledDownlinkRule, CompiledUplinkRule } from './rules.js';
import { renderTemplate } from './template.js';
import { validateGeneratedTopicName, validateMqttString } from '../broker/topic/index.js';
import type {
  CompiledMapping,
  DownlinkFilter,
  MapFailure,
  MappedDownlink,
  MappedUplink,
  MapResult,
  UplinkInput,
} from './types.js';

const MAX_QUOTED = 120;

/** A bounded, escaped rendering of untrusted text for error messages (they end up in DLQ user properties). */
function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

function fail(reason: MapFailure, error: string): { ok: false; reason: MapFailure; error: string } {
  return { ok: false, reason, error };
}

function convert(rule: string, payload: Buffer, from: Codec, to: Codec): MapResult<Buffer> {
  try {
    return { ok: true, value: convertPayload(payload, from, to) };
  } catch (err) {
    return fail('codec', `rule ${rule}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class CompiledRules implements CompiledMapping {
  readonly source: string;
  readonly #uplink: readonly CompiledUplinkRule[];
  readonly #downlink: readonly CompiledDownlinkRule[];
  readonly #filters: readonly DownlinkFilter[];
  // One scratch array reused by every match: mapping is synchronous and every matching rule writes all its slots.
  readonly #captures: Captures;

  constructor(source: string, uplink: readonly CompiledUplinkRule[], downlink: readonly CompiledDownlinkRule[]) {
    this.source = source;
    this.#uplink = uplink;
    this.#downlink = downlink;
    const maxCaptures = Math.max(0, ...[...uplink, ...downlink].map((r) => r.pattern.captures.length));
    this.#captures = new Array<string | undefined>(maxCaptures).fill(undefined);
    const byFilter = new Map<string, QoS>();
    for (const rule of downlink) {
      const filter = toTopicFilter(rule.pattern);
      byFilter.set(filter, Math.max(byFilter.get(filter) ?? 0, rule.qos) as QoS);
    }
    this.#filters = [...byFilter].map(([filter, qos]) => ({ filter, qos }));
  }

  uplink(input: UplinkInput): MapResult<MappedUplink> {
    const values = this.#captures;
    for (const rule of this.#uplink) {
      if (!matchPattern(rule.pattern, input.address, values)) continue;
      const topic = renderTemplate(rule.topic, values);
      const problem = validateGeneratedTopicName(topic);
      if (problem) return fail('invalid_topic', `rule ${rule.name}: topic ${quote(topic)}: ${problem}`);
      let userProperties: UserProperties | undefined;
      for (const [key, template] of rule.userProperties) {
        const value = renderTemplate(template, values);
        const bad = validateMqttString(value);
        if (bad) return fail('invalid_topic', `rule ${rule.name}: user property ${quote(key)}: ${bad}`);
        (userProperties ??= {})[key] = value; // keys are load-checked: never "__proto__"
      }
      const payload = convert(rule.name, input.payload, rule.from, rule.to);
      if (!payload.ok) return payload;
      let properties: PublishProperties | undefined;
      if (userProperties) properties = { userProperties };
      if (rule.contentType) properties = { ...properties, contentType: rule.contentType };
      return {
        ok: true,
        value: { rule: rule.name, topic, payload: payload.value, qos: rule.qos, retain: rule.retain, properties },
      };
    }
    return fail('no_match', `no uplink rule matches address ${quote(input.address)}`);
  }

  downlink(env: Envelope): MapResult<MappedDownlink> {
    const values = this.#captures;
    for (const rule of this.#downlink) {
      if (!matchPattern(rule.pattern, env.topic, values)) continue;
      const address = renderTemplate(rule.address, values);
      const payload = convert(rule.name, env.payload, rule.from, rule.to);
      if (!payload.ok) return payload;
      return { ok: true, value: { rule: rule.name, address, payload: payload.value } };
    }
    return fail('no_match', `no downlink rule matches topic ${quote(env.topic)}`);
  }

  downlinkFilters(): DownlinkFilter[] {
    return this.#filters.map((f) => ({ ...f }));
  }
}
