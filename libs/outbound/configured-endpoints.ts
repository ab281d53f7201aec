/** An endpoint URL in a comparable form: scheme, host and port, path without its trailing slash. */
function normalized(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Whether a template or request may name this storage endpoint: only configured ones,
 * because the server signs requests to it with its own S3 credentials.
 */
export function isConfiguredEndpoint(url: string, configured: readonly string[]): boolean {
  const n = normalized(url);
  return n !== null && configured.some((c) => normalized(c) === n);
}
