/**
 * Compiles a mapping definition once at load: validates every rule, reports all problems together, and builds
 * the first-match runtime. Also loads mapping files (HOCON `.conf`, or `.json`).
 */
import { defaultCodecs, type CodecRegistry } from '../codecs/registry.js';
import { CompiledRules } from './compiled.js';
import { MappingInvalidError } from './errors.js';
import { IssueList } from './issues.js';
import type { z } from 'zod';
import type { Pattern } from './pattern.js';
import { compileDownlinkRule, compileUplinkRule, type CompiledDownlinkRule, type CompiledUplinkRule } from './rules.js';
import { downlinkRuleSchema, uplinkRuleSchema, type MappingDefinition } from './schema.js';
import { covers, samePattern } from './shadow.js';
import { readMappingSource } from './source.js';
import type { CompiledMapping, PositionOf } from './types.js';

export interface CompileOptions {
  /** File path or "default:<gateway>"; names the mapping in errors and in CompiledMapping.source. */
  source: string;
  codecs?: CodecRegistry;
  positionOf?: PositionOf;
}

type Direction = 'uplink' | 'downlink';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ruleLabel(raw: unknown, direction: Direction, index: number): string {
  return isPlainObject(raw) && typeof raw.name === 'string' && raw.name.length > 0 ? raw.name : `${direction}#${index}`;
}

interface ParsedPattern {
  index: number;
  name: string;
  pattern: Pattern;
}

/** First match wins, so a rule whose pattern an earlier rule covers can never fire. */
function checkReachability(direction: Direction, rules: ParsedPattern[], issues: IssueList): void {
  const field = direction === 'uplink' ? 'address' : 'filter';
  rules.forEach((rule, j) => {
    for (const earlier of rules.slice(0, j)) {
      if (samePattern(earlier.pattern, rule.pattern)) {
        issues.add(
          [direction, rule.index, field],
          rule.name,
          `conflicts with rule ${earlier.name}: identical ${field} pattern "${rule.pattern.source}"`,
        );
        return;
      }
      if (covers(earlier.pattern, rule.pattern)) {
        issues.add(
          [direction, rule.index, field],
          rule.name,
          `unreachable: earlier rule ${earlier.name} ("${earlier.pattern.source}") matches every ${field} "${rule.pattern.source}" matches`,
        );
        return;
      }
    }
  });
}

function reportSchemaIssues(error: z.ZodError, report: (field: (string | number)[], message: string) => void): void {
  for (const issue of error.issues) {
    const path = issue.path as (string | number)[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) report([...path, key], `unknown key "${[...path, key].join('.')}"`);
    } else {
      report(path, `${path.join('.') || 'rule'}: ${issue.message}`);
    }
  }
}

/** Throws MappingInvalidError (PH_MAPPING_INVALID) listing every problem. */
export function compileMapping(def: MappingDefinition | unknown, opts: CompileOptions): CompiledMapping {
  const registry = opts.codecs ?? defaultCodecs();
  const issues = new IssueList(opts.source, opts.positionOf);
  const top: Record<string, unknown> = isPlainObject(def) ? def : {};
  if (!isPlainObject(def))
    issues.add([], undefined, 'a mapping must be an object with "uplink" and/or "downlink" lists');
  for (const key of Object.keys(top)) {
    if (key !== 'uplink' && key !== 'downlink')
      issues.add([key], undefined, `unknown key "${key}" (expected "uplink" and/or "downlink")`);
  }
  const names = new Map<string, string>();
  const patterns: Record<Direction, ParsedPattern[]> = { uplink: [], downlink: [] };
  const uplink: CompiledUplinkRule[] = [];
  const downlink: CompiledDownlinkRule[] = [];
  for (const direction of ['uplink', 'downlink'] as const) {
    const list = top[direction] ?? [];
    if (!Array.isArray(list)) {
      issues.add([direction], undefined, `"${direction}" must be a list of rules`);
      continue;
    }
    list.forEach((raw: unknown, index) => {
      const name = ruleLabel(raw, direction, index);
      const report = (field: (string | number)[], message: string) =>
        issues.add([direction, index, ...field], name, message);
      const previous = names.get(name);
      if (previous) report(['name'], `rule name "${name}" is already used by ${previous}`);
      names.set(name, `${direction}#${index}`);
      if (direction === 'uplink') {
        // zod silently drops a "__proto__" record key; refuse it instead of losing a user property.
        const props = isPlainObject(raw) ? raw.user_properties : undefined;
        if (isPlainObject(props) && Object.hasOwn(props, '__proto__'))
          report(['user_properties'], 'user property name "__proto__" is not supported');
        const parsed = uplinkRuleSchema.safeParse(raw);
        if (!parsed.success) return reportSchemaIssues(parsed.error, report);
        const { pattern, rule } = compileUplinkRule(name, parsed.data, registry, report);
        if (rule) uplink.push(rule);
        if (pattern) patterns.uplink.push({ index, name, pattern });
      } else {
        const parsed = downlinkRuleSchema.safeParse(raw);
        if (!parsed.success) return reportSchemaIssues(parsed.error, report);
        const { pattern, rule } = compileDownlinkRule(name, parsed.data, registry, report);
        if (rule) downlink.push(rule);
        if (pattern) patterns.downlink.push({ index, name, pattern });
      }
    });
  }
  checkReachability('uplink', patterns.uplink, issues);
  checkReachability('downlink', patterns.downlink, issues);
  if (issues.items.length > 0) throw new MappingInvalidError(opts.source, issues.items);
  return new CompiledRules(opts.source, uplink, downlink);
}

/**
 * Reads and compiles a mapping file. Throws MappingError PH_MAPPING_LOAD (missing or unreadable) or
 * MappingInvalidError PH_MAPPING_INVALID (syntax error or invalid rules, every issue listed).
 */
export function loadMappingFile(path: string, codecs?: CodecRegistry): CompiledMapping {
  const { value, positionOf } = readMappingSource(path);
  return compileMapping(value, { source: path, codecs, positionOf });
}
