/** What a live reload reports: to the log, `POST /api/v5/reload`, `protohub ctl reload` and SIGHUP's log line. */

export type ReloadComponent = 'gateway' | 'bridge' | 'auth' | 'authorization' | 'log' | 'sys_topics';

export interface ComponentOutcome {
  component: ReloadComponent;
  /** Gateway `<protocol>.<name>`, bridge name, or the section name. */
  id: string;
  action: 'added' | 'removed' | 'restarted' | 'updated';
  ok: boolean;
  error?: string;
}

export interface ReloadResult {
  /**
   * `applied`: every change took effect; `unchanged`: nothing to do; `rejected`: the new config is invalid and
   * nothing changed (`errors` says why, as `protohub check` would); `partial`: valid, but some component
   * failed to start under it (see `changes[].error`; the others were applied).
   */
  status: 'applied' | 'unchanged' | 'rejected' | 'partial';
  /** PH_* code of a rejection (PH_CONFIG_INVALID, PH_MAPPING_INVALID, PH_AUTH_ACL_RULE, …). */
  code?: string;
  /** `file:line path: expected …` lines of a rejection. */
  errors: string[];
  changes: ComponentOutcome[];
  /** Changed keys that take effect only after a restart (listeners, store, http, node, mqtt, log.format). */
  restartRequired: string[];
  /** ISO time the reload started. */
  startedAt: string;
  durationMs: number;
}
