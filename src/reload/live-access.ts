/**
 * The broker's AccessControl with swappable parts: live reload replaces the authenticator and authorizer
 * atomically (one assignment), so the next CONNECT, PUBLISH or SUBSCRIBE of every existing connection is
 * checked against the new rules, and no connection is dropped for the swap.
 */
import type { AccessControl, ClientIdentity } from '../broker/access.js';
import type { Authenticator, Authorizer, ClientAcl } from '../auth/index.js';
import type { HubConfig } from '../config/schema.js';

interface Parts {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** No rules and no_match = allow: only a JWT acl can deny, so the per-message lookup is skipped otherwise. */
  open: boolean;
}

export class LiveAccess implements AccessControl {
  #parts: Parts;

  constructor(authenticator: Authenticator, authorizer: Authorizer, config: HubConfig['authorization']) {
    this.#parts = { authenticator, authorizer, open: isOpen(config) };
  }

  get authenticator(): Authenticator {
    return this.#parts.authenticator;
  }

  /** Swap in a new authenticator; returns the old one for the caller to stop. */
  replaceAuthenticator(next: Authenticator): Authenticator {
    const old = this.#parts.authenticator;
    this.#parts = { ...this.#parts, authenticator: next };
    return old;
  }

  replaceAuthorizer(next: Authorizer, config: HubConfig['authorization']): void {
    this.#parts = { ...this.#parts, authorizer: next, open: isOpen(config) };
  }

  authenticate: AccessControl['authenticate'] = (req) => this.#parts.authenticator.authenticate(req);

  get enhancedAuthMethods(): readonly string[] {
    return this.#parts.authenticator.enhancedAuthMethods;
  }

  get enhancedAuthStepTimeoutMs(): number {
    return this.#parts.authenticator.enhancedAuthStepTimeoutMs;
  }

  beginEnhancedAuth: NonNullable<AccessControl['beginEnhancedAuth']> = (method, req) =>
    this.#parts.authenticator.beginEnhancedAuth(method, req);

  authorize(client: ClientIdentity, action: 'publish' | 'subscribe', topic: string): boolean {
    // $SYS is the hub's own: network clients never publish there (as in mosquitto and EMQX)
    if (action === 'publish' && topic.startsWith('$SYS/')) return false;
    const { authorizer, open } = this.#parts;
    if (open && client.acl === undefined) return true;
    return authorizer.authorize({ ...client, acl: client.acl as ClientAcl | undefined }, action, topic) === 'allow';
  }
}

function isOpen(config: HubConfig['authorization']): boolean {
  return config.rules.length === 0 && config.no_match === 'allow';
}
