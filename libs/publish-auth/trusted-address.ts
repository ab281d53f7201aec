/** node-media-server's session ip is `${socket.remoteAddress}:${socket.remotePort}` (IPv6 unbracketed, IPv4 possibly mapped). */
export function addressOf(ip: string): string {
  const a = /:\d+$/.test(ip) ? ip.slice(0, ip.lastIndexOf(':')) : ip;
  return a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

/**
 * Whether a publisher's address is one that may publish unsigned to the default
 * domain. `loopback` in the list stands for 127.0.0.0/8 and ::1; other entries are
 * literal addresses. An empty list trusts nobody (every publish signed).
 */
export function isTrustedAddress(ip: string, trusted: readonly string[]): boolean {
  const a = addressOf(ip);
  for (const t of trusted) {
    if (t === 'loopback' && (a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a))) return true;
    if (t === a) return true;
  }
  return false;
}
