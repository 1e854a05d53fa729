/**
 * Decides publish/subscribe permissions: the client's JWT acl first (an extra allow-list), then the
 * configured rules in order, first match wins, else `no_match`. Decisions are cached per client+topic
 * in a bounded LRU because this runs on every PUBLISH.
 */
import type { HubConfig } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import {
  compileClientAcl,
  compileRules,
  type AuthzClient,
  type ClientAcl,
  type CompiledClientAcl,
  type CompiledRule,
} from './acl-rules.js';
import { LruCache } from './lru-cache.js';
import { levels, parseSharedFilter, validateTopicFilter, validateTopicName } from '../broker/topic/index.js';
import type { AuthzTarget } from './topic-pattern.js';

export type AuthzAction = 'publish' | 'subscribe';
export type AuthzDecision = 'allow' | 'deny';

export interface AuthorizerOptions {
  metrics?: Metrics;
  /** Cached decisions kept (default 10 000). */
  cacheSize?: number;
}

type CounterChild = { inc(n?: number): void };

export class Authorizer {
  readonly #rules: readonly CompiledRule[];
  readonly #noMatch: AuthzDecision;
  readonly #cache: LruCache<string, AuthzDecision>;
  readonly #aclIds = new WeakMap<ClientAcl, number>();
  readonly #compiledAcls = new WeakMap<ClientAcl, CompiledClientAcl | null>();
  #nextAclId = 1;
  readonly #decisions: Record<AuthzAction, Record<AuthzDecision, CounterChild>> | undefined;
  readonly #invalid: CounterChild | undefined;
  readonly #evictions: CounterChild | undefined;

  /** Compiles the rules; throws AuthError PH_AUTH_ACL_RULE naming the bad rule. */
  constructor(config: HubConfig['authorization'], opts: AuthorizerOptions = {}) {
    this.#rules = compileRules(config.rules);
    this.#noMatch = config.no_match;
    this.#cache = new LruCache(opts.cacheSize ?? 10_000);
    const m = opts.metrics;
    if (m) {
      const d = m.counter('protohub_authz_decisions_total', 'authorization decisions', ['action', 'result']);
      const child = (action: AuthzAction, result: AuthzDecision) => d.labels({ action, result });
      this.#decisions = {
        publish: { allow: child('publish', 'allow'), deny: child('publish', 'deny') },
        subscribe: { allow: child('subscribe', 'allow'), deny: child('subscribe', 'deny') },
      };
      this.#invalid = m.counter(
        'protohub_authz_invalid_topic_total',
        'authorization requests for an invalid topic or filter (denied)',
      );
      this.#evictions = m.counter(
        'protohub_authz_cache_evictions_total',
        'authorization decisions evicted from the bounded cache',
      );
    }
  }

  authorize(client: AuthzClient, action: AuthzAction, topicOrFilter: string): AuthzDecision {
    const key = this.#cacheKey(client, action, topicOrFilter);
    let decision = this.#cache.get(key);
    if (decision === undefined) {
      decision = this.#decide(client, action, topicOrFilter);
      if (this.#cache.set(key, decision)) this.#evictions?.inc();
    }
    this.#decisions?.[action][decision].inc();
    return decision;
  }

  /** Forget cached decisions (e.g. after a config reload). */
  clearCache(): void {
    this.#cache.clear();
  }

  #decide(client: AuthzClient, action: AuthzAction, topicOrFilter: string): AuthzDecision {
    const target = this.#target(action, topicOrFilter);
    if (!target) {
      this.#invalid?.inc();
      return 'deny';
    }
    if (client.acl) {
      const acl = this.#compiledAcl(client.acl);
      if (!acl || !acl.allows(client, target)) return 'deny';
    }
    for (const rule of this.#rules) {
      if (rule.matches(client, target)) return rule.permission;
    }
    return this.#noMatch;
  }

  #target(action: AuthzAction, topicOrFilter: string): AuthzTarget | undefined {
    if (action === 'publish') {
      return validateTopicName(topicOrFilter) === undefined
        ? { action, text: topicOrFilter, levels: levels(topicOrFilter) }
        : undefined;
    }
    // [MQTT-4.8.2-1] a shared subscription is authorized on the filter after $share/{group}/
    const shared = parseSharedFilter(topicOrFilter);
    if (shared === undefined) {
      if (validateTopicFilter(topicOrFilter) !== undefined) return undefined;
      return { action, text: topicOrFilter, levels: levels(topicOrFilter) };
    }
    if (!('filter' in shared)) return undefined; // malformed share [MQTT-4.8.2-1], [MQTT-4.8.2-2]
    return { action, text: shared.filter, levels: levels(shared.filter) };
  }

  #compiledAcl(acl: ClientAcl): CompiledClientAcl | null {
    let c = this.#compiledAcls.get(acl);
    if (c === undefined) {
      try {
        c = compileClientAcl(acl);
      } catch {
        c = null; // an acl that does not compile allows nothing
      }
      this.#compiledAcls.set(acl, c);
    }
    return c;
  }

  #cacheKey(client: AuthzClient, action: AuthzAction, topic: string): string {
    let aclId = 0;
    if (client.acl) {
      aclId = this.#aclIds.get(client.acl) ?? 0;
      if (aclId === 0) {
        aclId = this.#nextAclId++;
        this.#aclIds.set(client.acl, aclId);
      }
    }
    // \u0000 cannot appear in MQTT strings [MQTT-1.5.4-2], so it separates fields unambiguously;
    // the '-'/'+' prefix keeps "no username" apart from every real one, including the empty string.
    const user = client.username === undefined ? '-' : `+${client.username}`;
    return `${action === 'publish' ? 'p' : 's'}\u0000${client.clientId}\u0000${user}\u0000${client.remoteAddress ?? ''}\u0000${aclId}\u0000${topic}`;
  }
}
