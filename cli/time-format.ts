// Times between the user and the API. The API speaks RFC 3339 in UTC; people read
// and type local time. Output stays RFC 3339 either way (with the local offset, or Z
// under --utc) so a time copied from a table is a valid --start-time.

const RFC3339_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;
const RELATIVE = /^(?:now)?\s*([+-])\s*(\d+(?:\.\d+)?)\s*([smhd])$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const TIME_INPUT_HELP = 'RFC 3339 such as 2026-11-26T06:54:46Z, YYYY-MM-DD[ HH:mm[:ss]] in local time (UTC with --utc), now, now-2h or now+30m';

/** RFC 3339 in UTC, milliseconds only when not zero (as the API writes times). */
export function toApiTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** A time as the user typed it → RFC 3339 UTC, or null when it is not a time. */
export function parseTimeInput(raw: string, opts: { utc: boolean; nowMs?: number }): string | null {
  const s = raw.trim();
  const now = opts.nowMs ?? Date.now();
  if (/^now$/i.test(s)) return toApiTime(now);
  const rel = RELATIVE.exec(s);
  if (rel) {
    const sign = rel[1] === '-' ? -1 : 1;
    return toApiTime(now + sign * Number(rel[2]) * UNIT_MS[rel[3].toLowerCase()]);
  }
  const zoned = RFC3339_WITH_ZONE.exec(s);
  if (zoned) {
    const ms = Date.parse(s.replace(' ', 'T'));
    // Date.parse rolls 2026-02-30 over to March; the fields must survive a round trip.
    if (Number.isNaN(ms) || !validCalendarDate(+zoned[1], +zoned[2], +zoned[3]) || +zoned[4] > 23 || +zoned[5] > 59 || +(zoned[6] ?? 0) > 59) return null;
    return toApiTime(ms);
  }
  const local = LOCAL_DATE_TIME.exec(s);
  if (local) {
    const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(local[i] ?? 0));
    if (!validCalendarDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) return null;
    const fracMs = local[7] ? Number(local[7].padEnd(3, '0')) : 0;
    const ms = opts.utc ? Date.UTC(y, mo - 1, d, h, mi, sec, fracMs) : new Date(y, mo - 1, d, h, mi, sec, fracMs).getTime();
    return toApiTime(ms);
  }
  return null;
}

function validCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** An API time for display: local time with its offset, or UTC with Z; anything else unchanged. */
export function formatTime(value: string, utc: boolean): string {
  if (!RFC3339_WITH_ZONE.test(value)) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  if (utc) return toApiTime(ms);
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const millis = d.getMilliseconds() ? `.${pad(d.getMilliseconds(), 3)}` : '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${millis}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Fields that carry a time by the API's naming (start_time, end_time, create_time, decide_time). */
export function isTimeField(name: string): boolean {
  return /Time$/.test(name);
}
