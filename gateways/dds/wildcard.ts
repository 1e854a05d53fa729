/**
 * Wildcard DDS topic names in the config (pure): a topic key with `*` (any run of characters, `/` included, so
 * `rt/*` covers every ROS 2 topic) is a pattern; remote writers whose topic matches it and whose type is the
 * entry's type get a reader at run time (see discovery.ts), up to a bound per gateway.
 */
export function isWildcard(topic: string): boolean {
  return topic.includes('*');
}

export function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

export interface WildcardEntry {
  readonly pattern: string;
  readonly type: string;
  readonly regexp: RegExp;
}

/**
 * The entry a discovered (topic, type) belongs to: the first whose pattern matches and whose type is the type,
 * skipping topics configured by name (those have their own reader).
 */
export function wildcardFor<T extends WildcardEntry>(
  entries: readonly T[],
  named: ReadonlySet<string>,
  topic: string,
  type: string,
): T | undefined {
  if (named.has(topic)) return undefined;
  return entries.find((e) => e.type === type && e.regexp.test(topic));
}
