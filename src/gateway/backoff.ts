/**
 * Restart delay for a failed gateway: exponential from `initial`, capped at `max`, spread by ±jitter so many
 * instances failing together (a shared peer went down) do not restart in lockstep.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter], then capped at maxMs. */
  jitter: number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(Math.max(attempt, 0), 52));
  const factor = 1 + opts.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(opts.maxMs, Math.round(exp * factor)));
}
