/**
 * Reconnect delays: exponential growth from `initial` by `multiplier`, capped at `max`, with part of each delay
 * randomised away so many hubs that lost the same upstream do not reconnect in lock-step.
 */
export interface BackoffOptions {
  initial: number;
  max: number;
  multiplier: number;
  /** 0..1: the delay is drawn uniformly from [base·(1−jitter), base]. */
  jitter: number;
}

/** Delay in ms before retry number `attempt` (0 = first retry). `random` is injectable for tests. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(opts.max, opts.initial * opts.multiplier ** Math.min(attempt, 64));
  return Math.round(base * (1 - opts.jitter * random()));
}
