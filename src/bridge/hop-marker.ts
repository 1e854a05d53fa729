/**
 * Hop marker: a v5 user property naming every hub bridge a message went up through. A message coming down
 * that already carries our mark went up this very bridge, so it must not loop back in.
 */
import type { UserProperties } from '../envelope.js';

export const HOP_PROPERTY = 'protohub-hop';

export function hopId(nodeName: string, bridge: string): string {
  return `${nodeName}/${bridge}`;
}

function values(props: UserProperties | undefined): string[] {
  const v = props?.[HOP_PROPERTY];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function withHop(props: UserProperties | undefined, id: string): UserProperties {
  const seen = values(props);
  return { ...props, [HOP_PROPERTY]: seen.includes(id) ? seen : [...seen, id] };
}

export function hasHop(props: UserProperties | undefined, id: string): boolean {
  return values(props).includes(id);
}
