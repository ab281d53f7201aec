// The object key a playback URL names. Pure: the HTTP server answers its errors.

export type KeyAnswer = { ok: true; key: string } | { ok: false; status: 400 | 404; reason: string };

/**
 * The key of a request target such as `/record/live/demo/x.m3u8?token=…`. The
 * raw target is taken apart by hand: WHATWG URL parsing would read `//host/x`
 * as another host and silently repair malformed escapes.
 */
export function objectKeyOf(target: string | undefined): KeyAnswer {
  const raw = (target ?? '').split(/[?#]/, 1)[0];
  if (!raw.startsWith('/')) return { ok: false, status: 400, reason: 'the request target is not an absolute path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.slice(1));
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding in the path' };
  }
  if (!decoded) return { ok: false, status: 404, reason: 'no object key' };
  return { ok: true, key: decoded };
}
