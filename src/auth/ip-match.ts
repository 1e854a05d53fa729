/**
 * IP address / CIDR matching for `who = { ipaddress = "10.0.0.0/8" }` rules, on node:net's BlockList,
 * which already treats IPv4-mapped IPv6 (::ffff:127.0.0.1) as the IPv4 address.
 */
import { BlockList, isIP } from 'node:net';
import { AuthError } from '../errors.js';

export type IpMatcher = (remoteAddress: string | undefined) => boolean;

/** Drop an IPv6 zone id (`fe80::1%eth0`) and IPv6 brackets, which BlockList does not accept. */
function normalize(address: string): string {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  return zone >= 0 ? a.slice(0, zone) : a;
}

/** Compile "a.b.c.d", "a.b.c.d/n", "::1", "fd00::/8". Throws AuthError PH_AUTH_ACL_RULE on bad input. */
export function compileIpMatcher(spec: string): IpMatcher {
  const [addrPart, prefixPart, extra] = spec.trim().split('/');
  const addr = normalize(addrPart ?? '');
  const family = isIP(addr);
  const bad = (why: string) => new AuthError('PH_AUTH_ACL_RULE', `invalid ipaddress "${spec}": ${why}`);
  if (extra !== undefined) throw bad('more than one "/"');
  if (family === 0) throw bad('not an IPv4 or IPv6 address');
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  if (prefixPart === undefined) {
    list.addAddress(addr, type);
  } else {
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixPart) || Number(prefixPart) > max) throw bad(`prefix must be 0..${max}`);
    list.addSubnet(addr, Number(prefixPart), type);
  }
  return (remoteAddress) => {
    if (remoteAddress === undefined) return false;
    const a = normalize(remoteAddress);
    const f = isIP(a);
    if (f === 0) return false;
    return list.check(a, f === 4 ? 'ipv4' : 'ipv6');
  };
}
