/**
 * The one retry-delay rule of the hub, used by gateway restarts (gateway/supervisor.ts) and bridge reconnects
 * (bridge/upstream-link.ts): exponential growth from `initialMs` by `multiplier`, capped at `maxMs`, with a
 * random part of each delay taken away ("subtractive jitter"): the delay is drawn uniformly from
 * [base·(1−jitter), base].
 *
 * Why this rule and not ±jitter around the base (the gateway supervisor's former rule): `maxMs` stays a real
 * maximum, and at the cap the delays still spread over [max·(1−jitter), max] instead of half of them piling up
 * exactly at `maxMs` after clamping, so many instances that lost the same peer do not retry in lock-step.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; 2 doubles. */
  multiplier: number;
  /** 0..1: the fraction of each delay randomised away (0 = none). */
  jitter: number;
}

/** Delay in ms before retry number `attempt` (0 = first retry). `random` is injectable for tests. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 0), 64);
  const base = Math.min(opts.maxMs, opts.initialMs * opts.multiplier ** exponent);
  return Math.max(0, Math.round(base * (1 - opts.jitter * random())));
}
