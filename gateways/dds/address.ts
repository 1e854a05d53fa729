/**
 * The DDS gateway's protocol address (pure): `<topic>/<key value>/<key value>…`, key values in the key fields'
 * declaration order, so a mapping pattern such as `{topic}/{color}` names them. A key value is one topic level:
 * `%`, `/`, `+`, `#` and NUL are %-escaped (MQTT topic levels cannot hold them, MQTT 5 §4.7).
 */
export function encodeLevel(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.replace(/[%/+#\0]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function decodeLevel(level: string): string {
  return level.replace(/%([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function uplinkAddress(topic: string, keys: readonly string[], sample: Record<string, unknown>): string {
  let address = topic;
  for (const k of keys) address += '/' + encodeLevel(sample[k]);
  return address;
}

/**
 * Splits a downlink address into the longest configured topic it starts with and the key values after it.
 * Undefined when no topic matches.
 */
export function parseDownlinkAddress(
  address: string,
  topics: readonly string[],
): { topic: string; keyValues: string[] } | undefined {
  let best: string | undefined;
  for (const t of topics) {
    if ((address === t || address.startsWith(t + '/')) && (best === undefined || t.length > best.length)) best = t;
  }
  if (best === undefined) return undefined;
  const rest = address.slice(best.length + 1);
  return { topic: best, keyValues: rest === '' ? [] : rest.split('/').map(decodeLevel) };
}
