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
  | {
      ok: true;
      username?: string;
      acl?: unknown;
      /** end the connection then (JWT exp), ms since epoch */ disconnectAt?: number;
      method?: string;
    }
  | { ok: false; reason: 'bad_credentials' | 'not_authorized'; method?: string; detail?: string };

/** One step of an MQTT 5 enhanced-authentication exchange (§4.12), as the auth side answers it. */
export type EnhancedAuthStep =
  | { kind: 'continue'; data: Buffer }
  | { kind: 'success'; data: Buffer; username: string }
  | { kind: 'failure'; failure: string; detail: string };

export interface EnhancedAuthExchange {
  step(data: Buffer): Promise<EnhancedAuthStep>;
}

export interface AccessControl {
  authenticate(req: {
    clientId: string;
    username?: string;
    password?: Buffer;
    remoteAddress: string;
  }): Promise<AuthResult>;
  authorize(client: ClientIdentity, action: 'publish' | 'subscribe', topic: string): boolean;
  /** Authentication Methods accepted in a v5 CONNECT (none: CONNECT with a method gets 0x8C). */
  readonly enhancedAuthMethods?: readonly string[];
  /** Longest wait for the client's next AUTH during CONNECT (default AUTH_STEP_TIMEOUT_MS). */
  readonly enhancedAuthStepTimeoutMs?: number;
  beginEnhancedAuth?(
    method: string,
    req: { clientId: string; username?: string; remoteAddress: string; reauth: boolean },
  ): EnhancedAuthExchange;
}

/** Anyone may connect and do anything (used when no auth is configured, and in tests). */
export const allowAll: AccessControl = {
  authenticate: async (req) => ({ ok: true, username: req.username, method: 'anonymous' }),
  authorize: () => true,
};
