/**
 * Format rules of the critical options this gateway acts on (RFC 7252 §5.10 table, RFC 7959 §2.1): value length
 * range and whether the option may repeat. A critical option outside its length range (§5.4.3) or repeated when it
 * may not be (§5.4.5) is handled like an unrecognised one: the request is answered 4.02 Bad Option (§5.4.1).
 * Elective options are left to their readers (a bad one is ignored there, as §5.4.3/§5.4.5 allow).
 */
import { KNOWN_OPTIONS, Opt, isCritical, type CoapOption } from './message.js';

interface Rule {
  min: number;
  max: number;
  repeatable: boolean;
}

const CRITICAL_RULES: ReadonlyMap<number, Rule> = new Map([
  [Opt.UriHost, { min: 1, max: 255, repeatable: false }],
  [Opt.UriPort, { min: 0, max: 2, repeatable: false }],
  [Opt.UriPath, { min: 0, max: 255, repeatable: true }],
  [Opt.UriQuery, { min: 0, max: 255, repeatable: true }],
  [Opt.Accept, { min: 0, max: 2, repeatable: false }],
  [Opt.Block2, { min: 0, max: 3, repeatable: false }],
  [Opt.Block1, { min: 0, max: 3, repeatable: false }],
  [Opt.ProxyUri, { min: 1, max: 1034, repeatable: false }],
  [Opt.ProxyScheme, { min: 1, max: 255, repeatable: false }],
]);

/**
 * Why the request's critical options are unacceptable, or undefined when they are fine; one pass per request.
 * An unrecognised critical option anywhere is reported before a malformed known one. Options arrive sorted.
 */
export function criticalOptionProblem(options: readonly CoapOption[]): string | undefined {
  let previous = -1;
  let malformed: string | undefined;
  for (const o of options) {
    const rule = CRITICAL_RULES.get(o.number);
    if (!rule) {
      // §5.4.1
      if (isCritical(o.number) && !KNOWN_OPTIONS.has(o.number)) return `unrecognised critical option ${o.number}`;
    } else if (malformed === undefined) {
      if (o.value.length < rule.min || o.value.length > rule.max)
        malformed = `option ${o.number} has ${o.value.length} bytes, allowed ${rule.min}–${rule.max}`; // §5.4.3
      else if (!rule.repeatable && o.number === previous) malformed = `option ${o.number} is not repeatable`; // §5.4.5
    }
    previous = o.number;
  }
  return malformed;
}
