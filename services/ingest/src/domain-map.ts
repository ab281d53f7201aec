/** Maps the host an encoder connected to onto a stream domain. */
export function domainOf(host: string, defaultDomain: string, aliases: Record<string, string>): string {
  const bare = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (aliases[bare]) return aliases[bare];
  if (bare === '' || bare === '127.0.0.1' || bare === 'localhost' || bare === '::1') return defaultDomain;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bare)) return defaultDomain;
  return bare;
}
