/**
 * Compiles `authorization.rules` (and a JWT's acl claim) into predicates, once, at construction.
 */
import type { AclRule } from '../config/schema.js';
import { AuthError } from '../errors.js';
import { compileIpMatcher } from './ip-match.js';
import { compileTopicPattern, type AuthzTarget, type TopicPattern } from './topic-pattern.js';

/** The client as the authorizer sees it; pass the `acl` returned by Authenticator.authenticate(). */
export interface AuthzClient {
  clientId: string;
  username?: string;
  remoteAddress?: string;
  acl?: ClientAcl;
}

/** Allow-lists from a JWT: filters the client may publish to (`pub`) and subscribe to (`sub`). */
export interface ClientAcl {
  pub: readonly string[];
  sub: readonly string[];
}

export interface CompiledRule {
  readonly index: number;
  readonly permission: 'allow' | 'deny';
  /** Does this rule apply to this client and target? */
  matches(client: AuthzClient, target: AuthzTarget): boolean;
}

function compileWho(who: AclRule['who'], where: string): (client: AuthzClient) => boolean {
  if (who === 'all') return () => true;
  if ('username' in who) return (c) => c.username !== undefined && c.username === who.username;
  if ('clientid' in who) return (c) => c.clientId === who.clientid;
  try {
    const ip = compileIpMatcher(who.ipaddress);
    return (c) => ip(c.remoteAddress);
  } catch (err) {
    throw new AuthError('PH_AUTH_ACL_RULE', `${where}: ${(err as Error).message}`, { cause: err });
  }
}

export function compileRule(rule: AclRule, index: number): CompiledRule {
  const where = `authorization.rules[${index}]`;
  const who = compileWho(rule.who, where);
  const topics = rule.topics.map((t, i) => compileTopicPattern(t, `${where}.topics[${i}]`));
  const action = rule.action;
  return {
    index,
    permission: rule.permission,
    matches(client, target) {
      if (action !== 'all' && action !== target.action) return false;
      if (!who(client)) return false;
      return topics.some((t) => t.matches(client, target));
    },
  };
}

export function compileRules(rules: readonly AclRule[]): CompiledRule[] {
  return rules.map((r, i) => compileRule(r, i));
}

export interface CompiledClientAcl {
  allows(client: AuthzClient, target: AuthzTarget): boolean;
}

/** Compile a JWT acl claim. Throws AuthError PH_AUTH_JWT_ACL on an invalid filter. */
export function compileClientAcl(acl: ClientAcl): CompiledClientAcl {
  const compile = (list: readonly string[], key: string): TopicPattern[] =>
    list.map((t, i) => {
      try {
        return compileTopicPattern(t, `acl.${key}[${i}]`);
      } catch (err) {
        throw new AuthError('PH_AUTH_JWT_ACL', (err as Error).message, { cause: err });
      }
    });
  const pub = compile(acl.pub, 'pub');
  const sub = compile(acl.sub, 'sub');
  return {
    allows(client, target) {
      return (target.action === 'publish' ? pub : sub).some((p) => p.matches(client, target));
    },
  };
}
