/**
 * Runs one live reload: load and validate the new config (same loader as start), diff it against the running
 * one, build everything new that can fail (mappings, bridges, authenticator, authorizer) before touching
 * anything, then apply per component. A config that fails to load or build is rejected whole and the running
 * one stays. Storms are coalesced by ReloadCoalescer in front of this.
 */
import { Authenticator, Authorizer } from '../auth/index.js';
import type { HubConfig } from '../config/schema.js';
import { formatConfigError } from '../config/loader.js';
import { HubError } from '../errors.js';
import type { BridgeManager, PreparedBridges } from '../bridge/manager.js';
import type { GatewayManager, PreparedGateways } from '../gateway/manager.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { diffConfig, isEmptyPlan, type ReloadPlan } from './diff.js';
import type { LiveAccess } from './live-access.js';
import type { ComponentOutcome, ReloadResult } from './result.js';

export type ResolveFile = (path: readonly (string | number)[], name: string) => string;

/** What the hub lends a reload. */
export interface ReloadTarget {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly access: LiveAccess;
  running(): HubConfig;
  /** Read and validate the config file again; throws ConfigError like start-up. */
  load(): { config: HubConfig; resolveFile?: ResolveFile };
  /** The gateway manager, created (not started) when `create` and none runs yet. */
  gateways(create: boolean): Promise<GatewayManager | undefined>;
  bridges(create: boolean): Promise<BridgeManager | undefined>;
  restartSys(config: HubConfig['sys_topics']): void;
  /** Make `config` the running one. */
  commit(config: HubConfig, resolveFile?: ResolveFile): void;
}

interface Prepared {
  gateways?: { manager: GatewayManager; prepared: PreparedGateways };
  bridges?: { manager: BridgeManager; prepared: PreparedBridges };
  authenticator?: Authenticator;
  authorizer?: Authorizer;
}

/** `protohub_reloads_total{result}`; the hub registers it at start so dashboards show 0 rather than no data. */
export function reloadsCounter(metrics: Metrics) {
  return metrics.counter('protohub_reloads_total', 'live reloads that ran, by result', ['result']);
}

export async function reloadOnce(target: ReloadTarget): Promise<ReloadResult> {
  const started = Date.now();
  const result = (r: Omit<ReloadResult, 'startedAt' | 'durationMs'>): ReloadResult => {
    const out = { ...r, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started };
    reloadsCounter(target.metrics).inc({ result: r.status });
    return out;
  };
  const running = target.running();
  let next: HubConfig;
  let resolveFile: ResolveFile | undefined;
  let plan: ReloadPlan;
  let prepared: Prepared;
  try {
    ({ config: next, resolveFile } = target.load());
    const gateways = await target.gateways(false);
    plan = diffConfig(running, next, { mappingsChanged: gateways?.changedMappings() });
    if (isEmptyPlan(plan)) return result({ status: 'unchanged', errors: [], changes: [], restartRequired: [] });
    prepared = await prepare(target, plan, next, resolveFile);
  } catch (err) {
    const errors = rejectionLines(err);
    target.logger.error({ errors }, 'reload rejected, the running configuration stays');
    return result({
      status: 'rejected',
      code: err instanceof HubError ? err.code : undefined,
      errors,
      changes: [],
      restartRequired: [],
    });
  }
  const changes = await apply(target, plan, next, prepared);
  target.commit(keepRestartOnly(running, next), resolveFile);
  const failed = changes.filter((c) => !c.ok);
  const status = failed.length > 0 ? 'partial' : 'applied';
  target.logger[failed.length > 0 ? 'warn' : 'info'](
    { changes, restartRequired: plan.restartRequired },
    plan.restartRequired.length > 0 ? 'reloaded; some changes need a restart' : 'reloaded',
  );
  return result({ status, errors: [], changes, restartRequired: plan.restartRequired });
}

async function prepare(target: ReloadTarget, plan: ReloadPlan, next: HubConfig, resolveFile?: ResolveFile) {
  const out: Prepared = {};
  const g = plan.gateways;
  if (g.add.length + g.remove.length + g.restart.length > 0) {
    const manager = (await target.gateways(true))!;
    out.gateways = { manager, prepared: manager.prepare(next.gateways, [...g.add, ...g.restart], resolveFile) };
  }
  const b = plan.bridges;
  if (b.add.length + b.remove.length + b.restart.length > 0) {
    const manager = (await target.bridges(true))!;
    out.bridges = { manager, prepared: manager.prepare(next.bridges, [...b.add, ...b.restart]) };
  }
  if (plan.authorization) out.authorizer = new Authorizer(next.authorization, { metrics: target.metrics });
  if (plan.auth) {
    const authenticator = new Authenticator(next.auth, { metrics: target.metrics, logger: target.logger });
    await authenticator.start(); // reads the password file / JWT key: a missing one rejects the reload
    out.authenticator = authenticator;
  }
  return out;
}

async function apply(target: ReloadTarget, plan: ReloadPlan, next: HubConfig, p: Prepared) {
  const changes: ComponentOutcome[] = [];
  if (plan.logLevel) {
    // pino children follow the root's level unless they set their own, which the hub never does
    target.logger.level = plan.logLevel;
    changes.push({ component: 'log', id: 'log.level', action: 'updated', ok: true });
  }
  if (p.authenticator) {
    const old = target.access.replaceAuthenticator(p.authenticator);
    await old.stop().catch(() => undefined);
    changes.push({ component: 'auth', id: 'auth', action: 'updated', ok: true });
  }
  if (p.authorizer) {
    target.access.replaceAuthorizer(p.authorizer, next.authorization);
    changes.push({ component: 'authorization', id: 'authorization', action: 'updated', ok: true });
  }
  if (p.bridges) {
    for (const o of await p.bridges.manager.reconfigure(p.bridges.prepared, plan.bridges))
      changes.push({ component: 'bridge', ...o });
  }
  if (p.gateways) {
    for (const o of await p.gateways.manager.reconfigure(p.gateways.prepared, plan.gateways))
      changes.push({ component: 'gateway', ...o });
  }
  if (plan.sys) {
    target.restartSys(next.sys_topics);
    changes.push({ component: 'sys_topics', id: 'sys_topics', action: 'updated', ok: true });
  }
  return changes;
}

/** The config to run on: the new one, but restart-only sections stay as they run until a restart. */
function keepRestartOnly(running: HubConfig, next: HubConfig): HubConfig {
  return Object.freeze({
    ...next,
    node: running.node,
    listeners: running.listeners,
    mqtt: running.mqtt,
    store: running.store,
    http: running.http,
    rules: running.rules,
    log: Object.freeze({ ...next.log, format: running.log.format }),
  });
}

/** The lines `protohub check` prints for the same error. */
function rejectionLines(err: unknown): string[] {
  const lines = formatConfigError(err).split('\n');
  const issues = (err as { issues?: unknown }).issues;
  if (!(err instanceof HubError) || !Array.isArray(issues) || lines.length > 1) return lines;
  return [lines[0].split('\n')[0], ...issues.map((i) => `  ${String(i)}`)];
}
