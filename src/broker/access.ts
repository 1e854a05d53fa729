/**
 * What the broker needs from authentication and authorization; the hub adapts src/auth to it.
 */
export interface ClientIdentity {
  clientId: string;
  username?: string;
  remoteAddress: string;
  /** Extra allow-list from a JWT `acl` claim, when present. */
  acl?: unknown;
}

/** `method` and `detail` (as src/auth reports them) let a gateway override allow_anonymous and log why. */
export type AuthResult =
  | { ok: true; username?: string; acl?: unknown; method?: string }
  | { ok: false; reason: 'bad_credentials' | 'not_authorized'; method?: string; detail?: string };

export interface AccessControl {
  authenticate(req: {
    clientId: string;
    username?: string;
    password?: Buffer;
    remoteAddress: string;
  }): Promise<AuthResult>;
  authorize(client: ClientIdentity, action: 'publish' | 'subscribe', topic: string): boolean;
}

/** Anyone may connect and do anything (used when no auth is configured, and in tests). */
export const allowAll: AccessControl = {
  authenticate: async (req) => ({ ok: true, username: req.username, method: 'anonymous' }),
  authorize: () => true,
};
