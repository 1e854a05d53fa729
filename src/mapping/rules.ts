/**
 * Compiles one validated rule (schema already applied) into its runtime form, reporting every problem through
 * `report(fieldPath, message)` and returning undefined if there was any.
 */
import type { CodecRegistry } from '../codecs/registry.js';
import type { Codec } from '../codecs/types.js';
import type { QoS } from '../envelope.js';
import { parsePattern, type Pattern } from './pattern.js';
import type { DownlinkRule, UplinkRule } from './schema.js';
import { parseTemplate, type Template } from './template.js';

export type Report = (field: (string | number)[], message: string) => void;

export interface CompiledUplinkRule {
  readonly name: string;
  readonly pattern: Pattern;
  readonly topic: Template;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly from: Codec;
  readonly to: Codec;
  readonly userProperties: readonly (readonly [string, Template])[];
  readonly contentType: string | undefined;
}

export interface CompiledDownlinkRule {
  readonly name: string;
  readonly pattern: Pattern;
  readonly address: Template;
  readonly qos: QoS;
  readonly from: Codec;
  readonly to: Codec;
}

function codecs(rule: { payload: { in: string; out: string } }, registry: CodecRegistry, report: Report) {
  const lookup = (side: 'in' | 'out') => {
    const codec = registry.get(rule.payload[side]);
    if (!codec)
      report(['payload', side], `unknown codec "${rule.payload[side]}" (known: ${registry.names().join(', ')})`);
    return codec;
  };
  return { from: lookup('in'), to: lookup('out') };
}

function topicTemplateProblems(template: Template): string[] {
  const problems: string[] = [];
  if (template.source.length === 0) problems.push('topic template is empty'); // [MQTT-4.7.3-1]
  if (template.source.startsWith('$'))
    problems.push("topic template starts with '$' (reserved for the server, MQTT 4.7.2)");
  if (/[+#]/.test(template.literalText)) problems.push('topic template contains a wildcard + or # ([MQTT-3.3.2-2])');
  if (template.literalText.includes('\u0000')) problems.push('topic template contains U+0000 ([MQTT-1.5.4-2])');
  return problems;
}

/** The pattern (when it parsed) feeds the reachability check even if another field of the rule is bad. */
export interface RuleResult<R> {
  pattern?: Pattern;
  rule?: R;
}

export function compileUplinkRule(
  name: string,
  rule: UplinkRule,
  registry: CodecRegistry,
  report: Report,
): RuleResult<CompiledUplinkRule> {
  let failed = false;
  const fail: Report = (f, m) => ((failed = true), report(f, m));
  const parsed = parsePattern(rule.address, false);
  for (const e of parsed.errors) fail(['address'], `address pattern: ${e}`);
  const captures = parsed.pattern?.captures ?? [];
  const topic = parseTemplate(rule.topic, captures);
  for (const e of topic.errors) if (parsed.pattern) fail(['topic'], `topic template: ${e}`);
  for (const e of topicTemplateProblems(topic.template)) fail(['topic'], e);
  const userProperties: (readonly [string, Template])[] = [];
  for (const [key, value] of Object.entries(rule.user_properties)) {
    if (key.length === 0 || key.includes('\u0000'))
      fail(['user_properties', key], 'user property name must be non-empty without U+0000');
    const t = parseTemplate(value, captures);
    for (const e of t.errors) if (parsed.pattern) fail(['user_properties', key], `user property "${key}": ${e}`);
    userProperties.push([key, t.template]);
  }
  const { from, to } = codecs(rule, registry, fail);
  if (failed || !parsed.pattern || !from || !to) return { pattern: parsed.pattern };
  // An explicit target codec labels the payload; raw bytes say nothing about their content.
  const contentType = rule.content_type ?? (to.mediaType === 'application/octet-stream' ? undefined : to.mediaType);
  const compiled = {
    name,
    pattern: parsed.pattern,
    topic: topic.template,
    qos: rule.qos,
    retain: rule.retain,
    from,
    to,
    userProperties,
    contentType,
  };
  return { pattern: parsed.pattern, rule: compiled };
}

export function compileDownlinkRule(
  name: string,
  rule: DownlinkRule,
  registry: CodecRegistry,
  report: Report,
): RuleResult<CompiledDownlinkRule> {
  let failed = false;
  const fail: Report = (f, m) => ((failed = true), report(f, m));
  const parsed = parsePattern(rule.filter, true);
  for (const e of parsed.errors) fail(['filter'], `filter pattern: ${e}`);
  const address = parseTemplate(rule.address, parsed.pattern?.captures ?? []);
  for (const e of address.errors) if (parsed.pattern) fail(['address'], `address template: ${e}`);
  const { from, to } = codecs(rule, registry, fail);
  if (failed || !parsed.pattern || !from || !to) return { pattern: parsed.pattern };
  return {
    pattern: parsed.pattern,
    rule: { name, pattern: parsed.pattern, address: address.template, qos: rule.qos, from, to },
  };
}
