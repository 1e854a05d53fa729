/**
 * Shared subscriptions (MQTT 5.0 §4.8.2): `$share/{ShareName}/{filter}`. The broker matches the inner filter and
 * delivers each message to one member of the group.
 */
import { validateTopicFilter } from './validate.js';

export const SHARE_PREFIX = '$share/';

export const SharedReason = {
  emptyShareName: '[MQTT-4.8.2-1] a shared subscription must have a ShareName of at least one character',
  badShareName: '[MQTT-4.8.2-2] a ShareName must not contain "/", "+" or "#"',
  missingFilter: '[MQTT-4.8.2-2] a ShareName must be followed by "/" and a topic filter',
} as const;

export interface SharedFilter {
  /** The ShareName (group). */
  readonly group: string;
  /** The topic filter the group subscribes to; already validated. */
  readonly filter: string;
}

export interface SharedFilterError {
  /** One of SharedReason or a TopicReason for the inner filter. */
  readonly reason: string;
}

/** True when the filter is a shared subscription filter (starts with `$share/`). */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

/**
 * Split a shared subscription filter. Returns undefined when `filter` is not shared (does not start with
 * `$share/`), `{ reason }` when it is shared but malformed, else `{ group, filter }` with the inner filter validated
 * against `maxLevels` (counted on the inner filter, the one that is matched).
 */
export function parseSharedFilter(filter: string, maxLevels = Infinity): SharedFilter | SharedFilterError | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const groupStart = SHARE_PREFIX.length;
  const slash = filter.indexOf('/', groupStart);
  const groupEnd = slash === -1 ? filter.length : slash;
  if (groupEnd === groupStart) return { reason: SharedReason.emptyShareName }; // [MQTT-4.8.2-1]
  const group = filter.slice(groupStart, groupEnd);
  if (group.includes('+') || group.includes('#')) return { reason: SharedReason.badShareName }; // [MQTT-4.8.2-2]
  if (slash === -1 || slash + 1 === filter.length) return { reason: SharedReason.missingFilter }; // [MQTT-4.8.2-2]
  const inner = filter.slice(slash + 1);
  // The whole string carries the ShareName's U+0000/surrogate checks and the 65535-byte limit [MQTT-4.7.3-3];
  // the level limit applies to the inner filter only, since that is what gets matched.
  const reason = validateTopicFilter(filter) ?? validateTopicFilter(inner, maxLevels);
  if (reason !== undefined) return { reason };
  return { group, filter: inner };
}
