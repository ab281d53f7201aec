// One pino record as a line for people: local time, level, component, message, then the
// other fields as key=value. Values that came from outside (stream names, URLs, errors)
// are quoted and escaped when they hold anything but plain characters, so a field cannot
// break the line, forge another one or send escape sequences to the terminal.

const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '90' },
  20: { name: 'DEBUG', colour: '36' },
  30: { name: 'INFO', colour: '32' },
  40: { name: 'WARN', colour: '33' },
  50: { name: 'ERROR', colour: '31' },
  60: { name: 'FATAL', colour: '1;31' },
};

/** Fields that have a place of their own on the line, or that a terminal reader does not need. */
const PLACED = new Set(['time', 'level', 'msg', 'component', 'pid', 'hostname']);
/** Shown last: long and rarely read on a terminal, but kept so a line can be matched to its trace. */
const LAST = ['traceId'];

const PLAIN = /^[\w.,:/@%+~*#-]+$/;

const paint = (colour: boolean, code: string, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);

/** Control characters (and the line separators JSON leaves alone) as \u escapes. */
function escapeControls(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return PLAIN.test(v) ? v : escapeControls(JSON.stringify(v));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v === undefined) return 'undefined';
  return escapeControls(JSON.stringify(v));
}

function localTime(time: unknown): string {
  const ms = typeof time === 'number' ? time : Date.parse(String(time));
  if (!Number.isFinite(ms)) return '--:--:--.---';
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A logged error object (pino's serialisation: type, message, stack): its message inline, its stack below. */
function isLoggedError(v: unknown): v is { message?: unknown; stack: string } {
  return typeof v === 'object' && v !== null && typeof (v as { stack?: unknown }).stack === 'string';
}

export function prettyLine(record: Record<string, unknown>, colour: boolean): string {
  const level = LEVELS[Number(record.level)] ?? { name: String(record.level ?? '?').toUpperCase(), colour: '0' };
  const parts = [paint(colour, '2', localTime(record.time)), paint(colour, level.colour, level.name.padEnd(5))];
  if (record.component !== undefined) parts.push(paint(colour, '35', `${formatValue(record.component)}:`));
  if (record.msg !== undefined) parts.push(escapeControls(String(record.msg)));
  const keys = Object.keys(record).filter((k) => !PLACED.has(k) && !LAST.includes(k));
  const stacks: string[] = [];
  for (const key of [...keys, ...LAST.filter((k) => k in record)]) {
    let value = record[key];
    if (isLoggedError(value)) {
      stacks.push(...value.stack.split('\n').map((l) => `    ${escapeControls(l)}`));
      value = value.message;
    }
    parts.push(`${paint(colour, '2', `${key}=`)}${formatValue(value)}`);
  }
  const line = parts.join(' ');
  return stacks.length ? `${line}\n${paint(colour, '2', stacks.join('\n'))}` : line;
}
