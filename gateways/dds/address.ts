/**
 * The DDS gateway's protocol address (pure): `<topic>/<key value>/<key value>…[/<field value>…]`, key values in
 * the key fields' declaration order, then the topic's `address_fields`, so a mapping pattern such as
 * `{topic}/{color}/{line}` names them. A value is one topic level:
 * `%`, `/`, `+`, `#` and NUL are %-escaped (MQTT topic levels cannot hold them, MQTT 5 §4.7).
 */
export function encodeLevel(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.replace(/[%/+#\0]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function decodeLevel(level: string): string {
  return level.replace(/%([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The level a missing or unset address field renders as (an `@optional` member, a path through a non-object). */
export const MISSING_LEVEL = '_';

/** The value at a dotted member path (`site.line`); undefined when any step is missing or not an object. */
export function fieldValue(sample: Record<string, unknown>, path: string): unknown {
  let value: unknown = sample;
  for (const step of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/**
 * `<topic>/<key…>/<field…>`: the key values, then the configured extra sample fields (uplink only — they let a
 * mapping template name non-key members; the downlink reads key levels only).
 */
export function uplinkAddress(
  topic: string,
  keys: readonly string[],
  sample: Record<string, unknown>,
  fields: readonly string[] = [],
): string {
  let address = topic;
  for (const k of keys) address += '/' + encodeLevel(sample[k]);
  for (const f of fields) {
    const value = fieldValue(sample, f);
    address += '/' + (value === undefined || value === null ? MISSING_LEVEL : encodeLevel(value));
  }
  return address;
}

/**
 * The last full address of each instance (by its key-only address), so that a dispose — whose sample carries
 * the key fields only — is announced on the topic the instance's data went to. Bounded: the least recently
 * written instance is forgotten first (its dispose then renders the extra fields as MISSING_LEVEL).
 */
export class InstanceAddresses {
  readonly #last = new Map<string, string>();
  constructor(readonly limit = 10_000) {}

  remember(keyAddress: string, address: string): void {
    this.#last.delete(keyAddress); // re-insert: Map order is the eviction order
    this.#last.set(keyAddress, address);
    if (this.#last.size > this.limit) this.#last.delete(this.#last.keys().next().value as string);
  }

  /** The address the instance's data last went to, forgotten afterwards (the instance is gone). */
  take(keyAddress: string): string | undefined {
    const address = this.#last.get(keyAddress);
    this.#last.delete(keyAddress);
    return address;
  }

  get size(): number {
    return this.#last.size;
  }
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
