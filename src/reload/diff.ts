/**
 * The pure half of live reload: compares the running config with a freshly loaded, validated one and says what
 * each component must do. No I/O; the caller adds what only I/O can know (which mapping files changed on disk).
 * Anything that needs a rebind or a new store (listeners, store, http, node, mqtt limits, log format) is not
 * applied live: its changed keys are listed in `restartRequired`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { HubConfig } from '../config/schema.js';

/** Instance ids (`<protocol>.<name>` for gateways, `<name>` for bridges) grouped by what reload does to them. */
export interface InstanceChanges {
  add: string[];
  remove: string[];
  restart: string[];
}

export interface ReloadPlan {
  gateways: InstanceChanges;
  bridges: InstanceChanges;
  /** `auth` changed: a new authenticator is built and swapped in (existing connections stay). */
  auth: boolean;
  /** `authorization` changed: a new authorizer is swapped in; the next publish/subscribe uses it. */
  authorization: boolean;
  /** The new log level when `log.level` changed. */
  logLevel?: HubConfig['log']['level'];
  /** `sys_topics` changed: the $SYS publisher restarts with the new settings. */
  sys: boolean;
  /** Dotted config keys that changed but only take effect after a restart, sorted. */
  restartRequired: string[];
}

/** Top-level sections applied only by a restart. */
const RESTART_SECTIONS = ['node', 'listeners', 'mqtt', 'store', 'http', 'rules'] as const;

export interface DiffOptions {
  /** Gateway ids whose mapping file content changed on disk although the config did not. */
  mappingsChanged?: ReadonlySet<string>;
}

export function diffConfig(running: HubConfig, next: HubConfig, opts: DiffOptions = {}): ReloadPlan {
  const restartRequired: string[] = [];
  for (const section of RESTART_SECTIONS) changedPaths(running[section], next[section], section, restartRequired);
  changedPaths(running.log.format, next.log.format, 'log.format', restartRequired);
  return {
    gateways: gatewayChanges(running.gateways, next.gateways, opts.mappingsChanged ?? new Set()),
    bridges: instanceChanges(running.bridges.mqtt, next.bridges.mqtt, new Set()),
    auth: !isDeepStrictEqual(running.auth, next.auth),
    authorization: !isDeepStrictEqual(running.authorization, next.authorization),
    logLevel: running.log.level === next.log.level ? undefined : next.log.level,
    sys: !isDeepStrictEqual(running.sys_topics, next.sys_topics),
    restartRequired: restartRequired.sort(),
  };
}

/** True when the plan changes nothing and requires no restart. */
export function isEmptyPlan(plan: ReloadPlan): boolean {
  const none = (c: InstanceChanges) => c.add.length + c.remove.length + c.restart.length === 0;
  return (
    none(plan.gateways) &&
    none(plan.bridges) &&
    !plan.auth &&
    !plan.authorization &&
    plan.logLevel === undefined &&
    !plan.sys &&
    plan.restartRequired.length === 0
  );
}

type Sections = Record<string, Record<string, unknown> | undefined>;

function gatewayChanges(running: HubConfig['gateways'], next: HubConfig['gateways'], mappings: ReadonlySet<string>) {
  const flat = (g: HubConfig['gateways']) => {
    const out: Record<string, unknown> = {};
    for (const [protocol, instances] of Object.entries(g as Sections)) {
      for (const [name, cfg] of Object.entries(instances ?? {})) out[`${protocol}.${name}`] = cfg;
    }
    return out;
  };
  return instanceChanges(flat(running), flat(next), mappings);
}

/** Added, removed and changed keys of two records; `forced` ids present in both count as changed. */
function instanceChanges(
  running: Record<string, unknown>,
  next: Record<string, unknown>,
  forced: ReadonlySet<string>,
): InstanceChanges {
  const add = Object.keys(next).filter((id) => !(id in running));
  const remove = Object.keys(running).filter((id) => !(id in next));
  const restart = Object.keys(next).filter(
    (id) => id in running && (forced.has(id) || !isDeepStrictEqual(running[id], next[id])),
  );
  return { add: add.sort(), remove: remove.sort(), restart: restart.sort() };
}

/** Appends the dotted path of every leaf that differs (a whole subtree when added or removed). */
export function changedPaths(a: unknown, b: unknown, path: string, out: string[]): string[] {
  if (isDeepStrictEqual(a, b)) return out;
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      changedPaths(a[key], b[key], `${path}.${key}`, out);
    }
  } else {
    out.push(path);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
