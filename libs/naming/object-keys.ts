// Naming conventions: object keys of files and segments rendered from a
// template's patterns. Pure functions; the only place placeholders are known.

export const PLACEHOLDERS = [
  'AppName', 'StreamName', 'DomainName', 'EscapedStartTime', 'EscapedEndTime',
  'UnixTimestamp', 'Sequence', 'TranscodeTemplateID', 'TranscodingTemplateID',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type KeyVars = Partial<Record<Placeholder, string | number>>;

export const DEFAULT_FILE_PATTERN = 'record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}';
export const DEFAULT_SEGMENT_PATTERN = 'record/{AppName}/{StreamName}/{UnixTimestamp}_{Sequence}';
export const DEFAULT_TRANSCODE_FILE_PATTERN = 'transcodeRecord/{AppName}/{StreamName}_{TranscodeTemplateID}/{EscapedStartTime}_{EscapedEndTime}';
export const DEFAULT_TRANSCODE_SEGMENT_PATTERN = 'transcodeRecord/{AppName}/{StreamName}_{TranscodeTemplateID}/{UnixTimestamp}_{Sequence}';

const NAME_RE = /^[A-Za-z0-9_-]{1,128}$/;
const DOMAIN_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A stream domain (lower case host name): it names keys and subjects too. */
export function isSafeDomain(domain: string): boolean {
  return domain.length <= 253 && DOMAIN_RE.test(domain);
}
const KEY_RE = /^[A-Za-z0-9_\-./=]+$/;

/** App and stream names become object keys: only RTMP-safe characters pass. */
export function isSafeName(name: string): boolean {
  return NAME_RE.test(name);
}

/**
 * UTC time as YYYY-MM-DD-HH-mm-ss, the escaped form of the naming conventions
 * (no characters that need escaping in a URL or an object key).
 */
export function escapedTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** Returns a message naming the problem, or null when the pattern is usable. */
export function patternProblem(pattern: string): string | null {
  if (!pattern) return 'is empty';
  if (pattern.length > 512) return 'is longer than 512 characters';
  const names = [...pattern.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
  for (const name of names) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) return `has an unknown placeholder {${name}}`;
  }
  const literal = pattern.replace(/\{[^{}]*\}/g, 'x');
  if (/[{}]/.test(literal)) return 'has an unbalanced brace';
  if (!KEY_RE.test(literal)) return 'may only contain letters, digits and - _ . / = outside placeholders';
  if (literal.startsWith('/') || literal.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    return 'must be a relative path without empty, . or .. parts';
  }
  return null;
}

/** Renders a pattern; the result is checked again so that no value can escape the storage root. */
export function renderKey(pattern: string, vars: KeyVars, extension: string): string {
  const key = pattern.replace(/\{([^{}]*)\}/g, (_, name: string) => {
    const alias = name === 'TranscodingTemplateID' ? 'TranscodeTemplateID' : name;
    const value = vars[alias as Placeholder] ?? vars[name as Placeholder];
    if (value === undefined) throw new Error(`naming: no value for {${name}}`);
    return String(value);
  }) + extension;
  if (!isSafeKey(key)) throw new Error(`naming: rendered key "${key}" is not a safe object key`);
  return key;
}

export function isSafeKey(key: string): boolean {
  return KEY_RE.test(key) && !key.startsWith('/') && !key.split('/').some((p) => p === '..' || p === '.' || p === '');
}

export function fileExtension(format: string): string {
  return format === 'flv' ? '.flv' : format === 'mp4' ? '.mp4' : '.m3u8';
}

export function segmentExtension(container: 'ts' | 'fmp4'): string {
  return container === 'fmp4' ? '.m4s' : '.ts';
}

/** The path of `target` relative to the folder of `from`, both object keys. */
export function relativeKey(from: string, target: string): string {
  const fromParts = from.split('/').slice(0, -1);
  const toParts = target.split('/');
  let i = 0;
  while (i < fromParts.length && i < toParts.length - 1 && fromParts[i] === toParts[i]) i++;
  return [...fromParts.slice(i).map(() => '..'), ...toParts.slice(i)].join('/');
}
