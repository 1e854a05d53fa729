/**
 * Mountpoints (EMQX semantics): a per-gateway-instance topic prefix, prepended to every topic and filter a device
 * uses on the way in and stripped from every topic delivered to it on the way out. `${clientid}` and
 * `${username}` are expanded once per connection; an undefined username leaves its placeholder as written,
 * as EMQX does.
 */

export interface Mountpoint {
  /** The expanded prefix ('' when none). */
  readonly prefix: string;
  /** Topic name or filter as the device wrote it → as the broker sees it. */
  mount(topicOrFilter: string): string;
  /** Topic as the broker routed it → as the device sees it. */
  unmount(topic: string): string;
}

const NONE: Mountpoint = { prefix: '', mount: (t) => t, unmount: (t) => t };

/** Why an expanded mountpoint cannot be used, or undefined when it can. */
export function mountpointProblem(prefix: string): string | undefined {
  // a wildcard or NUL in the prefix would turn every publish into an invalid topic ([MQTT-4.7.0-1], [MQTT-1.5.4-2])
  if (/[+#\u0000]/.test(prefix)) return `mountpoint "${prefix}" contains a wildcard or NUL (from a placeholder?)`;
  if (prefix.startsWith('$')) return `mountpoint "${prefix}" starts with $`;
  return undefined;
}

/** Expand the placeholders of a configured mountpoint template for one client. */
export function expandMountpoint(template: string, clientId: string, username: string | undefined): string {
  return template.replace(/\$\{(clientid|username)\}/g, (whole, name: string) => {
    if (name === 'clientid') return clientId;
    return username ?? whole;
  });
}

export function mountpoint(prefix: string | undefined): Mountpoint {
  if (!prefix) return NONE;
  return {
    prefix,
    mount: (t) => {
      // [MQTT-4.8.2-1] a shared subscription mounts the filter after $share/{group}/
      if (t.startsWith('$share/')) {
        const slash = t.indexOf('/', 7);
        if (slash > 0) return `${t.slice(0, slash + 1)}${prefix}${t.slice(slash + 1)}`;
      }
      return prefix + t;
    },
    unmount: (t) => (t.startsWith(prefix) ? t.slice(prefix.length) : t),
  };
}
