import { BlockList, isIP } from 'node:net';

export interface OutboundPolicy {
  allowLoopback: boolean;
  allowPrivate: boolean;
  /** If non-empty, only these host names or literal addresses (lower case) may be contacted. */
  allowHosts: readonly string[];
}

/** Never contacted, whatever the configuration: cloud metadata (169.254.169.254) and other link-local, multicast, unspecified, reserved. */
const ALWAYS_DENIED = new BlockList();
ALWAYS_DENIED.addSubnet('0.0.0.0', 8, 'ipv4');
ALWAYS_DENIED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_DENIED.addSubnet('224.0.0.0', 4, 'ipv4');
ALWAYS_DENIED.addSubnet('240.0.0.0', 4, 'ipv4');
ALWAYS_DENIED.addAddress('::', 'ipv6');
ALWAYS_DENIED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_DENIED.addSubnet('ff00::', 8, 'ipv6');
// AWS's IPv6 metadata endpoint lives in the unique-local range; it is denied even where private addresses are allowed.
ALWAYS_DENIED.addAddress('fd00:ec2::254', 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** An IPv4-mapped IPv6 address is judged as the IPv4 address it carries. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return { address: m[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** Why an address may not be contacted, or null when it may. */
export function addressDenied(raw: string, policy: OutboundPolicy): string | null {
  if (!isIP(raw)) return `${raw} is not an IP address`;
  const { address, family } = unmapped(raw);
  if (ALWAYS_DENIED.check(address, family)) return `${raw} is link-local, multicast, unspecified or reserved`;
  if (LOOPBACK.check(address, family)) return policy.allowLoopback ? null : `${raw} is a loopback address`;
  if (PRIVATE.check(address, family)) return policy.allowPrivate ? null : `${raw} is a private address`;
  return null;
}

/** Why a host (name or literal) may not be contacted by the allow list, or null. */
export function hostDenied(host: string, policy: OutboundPolicy): string | null {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (policy.allowHosts.length && !policy.allowHosts.includes(h)) return `${h} is not in the outbound allow list`;
  return isIP(h) ? addressDenied(h, policy) : null;
}
