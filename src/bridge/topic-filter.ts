/**
 * MQTT topic filter matching and overlap, as the bridge needs them (route selection and v4 loop checks).
 */

/** Does `topic` match `filter`? `+` one level, `#` the rest including the parent ([MQTT-4.7.1-2]). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with `$`
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Is there a topic that matches both filters? */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === '#' || q === '#') return true;
    if (p === undefined || q === undefined) {
      // one ran out: overlap only if the other ends in a `#` that also matches the parent level
      const rest = p === undefined ? y.slice(i) : x.slice(i);
      return rest.length === 0 || (rest.length === 1 && rest[0] === '#');
    }
    if (p !== '+' && q !== '+' && p !== q) return false;
  }
}

/** A valid topic name to publish to: non-empty, no wildcards, no NUL ([MQTT-4.7.3-1], [MQTT-4.7.1-1]). */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic) && Buffer.byteLength(topic) <= 65535;
}
