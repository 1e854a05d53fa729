/**
 * Loads the hub configuration: HOCON file → plain value → `hubConfigSchema` → deep-frozen HubConfig.
 * Every problem is reported at once as `file:line path: expected …, got …` so a user fixes them in one go.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError, HubError } from '../errors.js';
import { parseHoconFile, parseHoconText, type HoconDocument, type SourcePosition } from './hocon.js';
import { describeIssues, renderPath, strippedKeyProblems, type ConfigProblem } from './issues.js';
import { findStrippedKeys } from './schema-walk.js';
import { applyOverrides, OVERRIDE_FILE } from './overrides.js';
import { coerceScalars } from './coerce.js';
import { hubConfigSchema, type HubConfig } from './schema.js';

export interface ConfigSources {
  /** Every file read: the main one first, then includes in the order read. */
  readonly files: readonly string[];
  /** Where a config path was set (nearest written ancestor for defaulted paths); overrides report `<overrides>`. */
  positionOf(path: readonly (string | number)[]): SourcePosition | undefined;
  /**
   * A file name found at `path` (e.g. a gateway's `mapping`), made absolute relative to the file that wrote
   * that key, so it stays right when the key comes from an included file. Overrides resolve against the cwd.
   */
  resolveFile(path: readonly (string | number)[], name: string): string;
}

export interface LoadedConfig {
  readonly config: HubConfig;
  readonly sources: ConfigSources;
}

export interface LoadConfigOptions {
  /** Environment for `${VAR}` / `${?VAR}`; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Values applied over the file, keyed by dotted path (`"store.dir": "/tmp/x"`), e.g. from CLI flags. */
  overrides?: Record<string, unknown>;
}

/** Read, validate and freeze a config file. Throws ConfigError (PH_CONFIG_NOT_FOUND/SYNTAX/SUBSTITUTION/READ/INVALID). */
export function loadConfig(file: string, opts: LoadConfigOptions = {}): LoadedConfig {
  return validate(parseHoconFile(file, { env: opts.env }), opts);
}

/** Same as loadConfig, from text; includes resolve relative to `file`. */
export function parseConfigText(text: string, file = 'protohub.conf', opts: LoadConfigOptions = {}): LoadedConfig {
  return validate(parseHoconText(text, file, { env: opts.env }), opts);
}

/** A user-facing rendering of any error loadConfig can throw, for the CLI. */
export function formatConfigError(err: unknown): string {
  if (err instanceof ConfigError) {
    const extra = err.issues.filter((i) => i !== err.message && !err.message.endsWith(i));
    return [`${err.code}: ${err.message}`, ...extra.map((i) => `  ${i}`)].join('\n');
  }
  if (err instanceof HubError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A file name as the user would type it: relative to the working directory when inside it. */
export function displayFile(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function validate(doc: HoconDocument, opts: LoadConfigOptions): LoadedConfig {
  const { value: written, overridden } = applyOverrides(doc.value, opts.overrides ?? {});
  const value = coerceScalars(hubConfigSchema, written);
  const sources: ConfigSources = {
    files: doc.files,
    positionOf(path) {
      if (overridden.some((o) => o.every((seg, i) => String(path[i]) === seg)))
        return { file: OVERRIDE_FILE, line: 0, col: 0 };
      return doc.positionOf([...path]);
    },
    resolveFile(path, name) {
      if (isAbsolute(name)) return name;
      const pos = sources.positionOf(path);
      return !pos || pos.file === OVERRIDE_FILE ? resolve(name) : resolve(dirname(pos.file), name);
    },
  };
  let result: ReturnType<typeof hubConfigSchema.safeParse>;
  try {
    result = hubConfigSchema.safeParse(value, { reportInput: true });
  } catch (err) {
    // A schema refinement that throws is a bug in that schema, but the user still needs to know where.
    const message = `${displayFile(doc.files[0] ?? '')}: configuration rejected: ${(err as Error).message}`;
    throw new ConfigError('PH_CONFIG_INVALID', message, [message], { cause: err });
  }
  const problems: ConfigProblem[] = result.success ? [] : describeIssues(result.error.issues, hubConfigSchema);
  problems.push(...strippedKeyProblems(findStrippedKeys(hubConfigSchema, value), hubConfigSchema));
  if (problems.length > 0 || !result.success) {
    const lines = locate(problems, sources);
    const n = lines.length;
    const message = `${displayFile(doc.files[0] ?? '')}: invalid configuration (${n} problem${n === 1 ? '' : 's'})`;
    throw new ConfigError('PH_CONFIG_INVALID', message, lines);
  }
  return { config: deepFreeze(structuredClone(result.data)), sources };
}

/** `file:line path: text` lines in file order, then line order, so they read top to bottom. */
function locate(problems: ConfigProblem[], sources: ConfigSources): string[] {
  const fileRank = (f: string): number => (f === OVERRIDE_FILE ? Infinity : sources.files.indexOf(f));
  const located = problems.map((p) => {
    const path = p.path.map((s) => (typeof s === 'number' ? s : String(s)));
    const pos = sources.positionOf(path);
    const where = !pos ? '' : pos.line === 0 ? `${pos.file} ` : `${displayFile(pos.file)}:${pos.line} `;
    return { pos, line: `${where}${renderPath(p.path)}: ${p.text}` };
  });
  located.sort(
    (a, b) =>
      fileRank(a.pos?.file ?? '') - fileRank(b.pos?.file ?? '') ||
      (a.pos?.line ?? 0) - (b.pos?.line ?? 0) ||
      (a.pos?.col ?? 0) - (b.pos?.col ?? 0),
  );
  return [...new Set(located.map((l) => l.line))];
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}
