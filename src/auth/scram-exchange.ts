/**
 * One MQTT 5 enhanced-authentication exchange (§4.12) with a SCRAM mechanism: wraps the sans-IO ScramServer
 * with the password file, the CONNECT user name check, logging and the outcome counter.
 */
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { PasswordEntry } from './password-file.js';
import type { ScramMechanism } from './scram-credentials.js';
import { ScramServer, type ScramFailure } from './scram-server.js';

export interface EnhancedAuthRequest {
  clientId: string;
  /** CONNECT user name, or the authenticated one on re-authentication: the SCRAM user must equal it. */
  username?: string;
  remoteAddress?: string;
  reauth: boolean;
}

/** Why an exchange failed: malformed (not SCRAM), bad_credentials (wrong password, unknown user), the rest refused. */
export type EnhancedAuthFailure = 'malformed' | 'bad_credentials' | 'no_credentials' | 'not_authorized';

export type EnhancedAuthStep =
  | { kind: 'continue'; data: Buffer }
  | { kind: 'success'; data: Buffer; username: string }
  | { kind: 'failure'; failure: EnhancedAuthFailure; detail: string };

export interface EnhancedAuthExchange {
  step(data: Buffer): Promise<EnhancedAuthStep>;
}

export interface ScramExchangeDeps {
  /** Re-read the password file if it changed (before the first step). */
  refresh(): Promise<void>;
  lookup(username: string): PasswordEntry | undefined;
  logger: Logger;
  metrics?: Metrics;
}

const FAILURE_OF: Record<ScramFailure, EnhancedAuthFailure> = {
  malformed: 'malformed',
  out_of_order: 'malformed',
  unknown_user: 'bad_credentials',
  bad_proof: 'bad_credentials',
  no_credentials: 'no_credentials',
};

export class ScramExchange implements EnhancedAuthExchange {
  #server: ScramServer | undefined;

  constructor(
    readonly mechanism: ScramMechanism,
    readonly request: EnhancedAuthRequest,
    readonly deps: ScramExchangeDeps,
  ) {}

  async step(data: Buffer): Promise<EnhancedAuthStep> {
    if (!this.#server) {
      await this.deps.refresh();
      this.#server = new ScramServer(this.mechanism, (user) => {
        const entry = this.deps.lookup(user);
        return entry ? (entry.scram[this.mechanism] ?? 'no_credentials') : undefined;
      });
    }
    const r = this.#server.step(data);
    if (r.kind === 'challenge') return { kind: 'continue', data: r.data };
    if (r.kind === 'failure') return this.#fail(FAILURE_OF[r.failure], r.detail, r.username);
    const expected = this.request.username;
    if (expected !== undefined && expected !== r.username) {
      const what = this.request.reauth ? 'the authenticated user' : 'the CONNECT user name';
      return this.#fail('not_authorized', `SCRAM user differs from ${what}`, r.username);
    }
    this.#count('ok');
    return { kind: 'success', data: r.data, username: r.username };
  }

  #fail(failure: EnhancedAuthFailure, detail: string, scramUser: string | undefined): EnhancedAuthStep {
    this.#count(failure);
    const fields = {
      clientId: this.request.clientId,
      username: scramUser,
      remoteAddress: this.request.remoteAddress,
      method: this.mechanism,
      reauth: this.request.reauth,
      failure,
      detail,
    };
    if (failure === 'no_credentials')
      this.deps.logger.warn(
        fields,
        'SCRAM refused: user has no SCRAM data; set the password again with protohub passwd',
      );
    else if (failure === 'malformed') this.deps.logger.info(fields, 'SCRAM refused: malformed message');
    else this.deps.logger.debug(fields, 'SCRAM authentication failed');
    return { kind: 'failure', failure, detail };
  }

  #count(result: string): void {
    const method = this.mechanism.toLowerCase();
    if (this.request.reauth) {
      this.deps.metrics
        ?.counter('protohub_auth_reauthentications_total', 'MQTT 5 re-authentication outcomes', ['method', 'result'])
        .inc({ method, result });
    } else {
      this.deps.metrics
        ?.counter('protohub_auth_attempts_total', 'CONNECT authentication outcomes', ['method', 'result'])
        .inc({ method, result });
    }
  }
}
