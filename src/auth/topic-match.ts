/**
 * MQTT topic-filter matching and filter coverage for authorization. Kept separate from the broker's
 * router on purpose: the ACL needs coverage (filter ⊇ filter), which routing never does.
 */

/** Split a topic name or filter into levels; `a//b` has an empty middle level [MQTT-4.7.1-3]. */
export function levels(topic: string): string[] {
  return topic.split('/');
}

/** A valid topic name: non-empty, no wildcards [MQTT-4.7.3-1], [MQTT-3.3.2-2]. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

/** A valid topic filter: `#` only alone as the last level [MQTT-4.7.1-2], `+` only alone in a level [MQTT-4.7.1-3]. */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const ls = levels(filter);
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i];
    if (l.includes('#') && (l !== '#' || i !== ls.length - 1)) return false;
    if (l.includes('+') && l !== '+') return false;
  }
  return true;
}

/** True when the first level is a wildcard; such filters never match `$`-topics [MQTT-4.7.2-1]. */
function startsWithWildcard(filterLevels: readonly string[]): boolean {
  return filterLevels[0] === '+' || filterLevels[0] === '#';
}

/** Does a filter (as levels) match a topic name (as levels)? */
export function matchLevels(filter: readonly string[], topic: readonly string[]): boolean {
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with '$'
  if (topic[0]?.startsWith('$') && startsWithWildcard(filter)) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    // [MQTT-4.7.1-2] '#' matches the parent level and any number of child levels
    if (f === '#') return true;
    if (i >= topic.length) return false;
    // [MQTT-4.7.1-3] '+' matches exactly one level, which may be empty
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

export function matchTopic(filter: string, topic: string): boolean {
  return matchLevels(levels(filter), levels(topic));
}

/**
 * Does `rule` cover `filter`, i.e. is every topic matched by `filter` also matched by `rule`?
 * Exact (sound and complete) for valid filters; the unit tests check it against brute force.
 */
export function coversLevels(rule: readonly string[], filter: readonly string[]): boolean {
  // [MQTT-4.7.2-1] a rule starting with a wildcard matches no '$' topic, so it cannot cover a '$' filter
  if (filter[0]?.startsWith('$') && startsWithWildcard(rule)) return false;
  for (let i = 0; i < rule.length; i++) {
    const r = rule[i];
    if (r === '#') return true;
    if (i >= filter.length) return false;
    const f = filter[i];
    if (f === '#') {
      // `#` at level 0 matches every non-'$' topic of one or more levels; `+/#` matches exactly those too.
      return i === 0 && r === '+' && rule.length === 2 && rule[1] === '#';
    }
    if (f === '+') {
      if (r !== '+') return false;
    } else if (r !== '+' && r !== f) {
      return false;
    }
  }
  return rule.length === filter.length;
}

export function coversFilter(rule: string, filter: string): boolean {
  return coversLevels(levels(rule), levels(filter));
}

/**
 * Strip a shared-subscription prefix: `$share/{group}/{filter}` → filter [MQTT-4.8.2-1].
 * Returns undefined for a malformed share (empty group or no filter) [MQTT-4.8.2-2].
 */
export function unshare(filter: string): string | undefined {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const group = rest.slice(0, slash);
  if (group.includes('+') || group.includes('#')) return undefined;
  const inner = rest.slice(slash + 1);
  return inner.length > 0 ? inner : undefined;
}
