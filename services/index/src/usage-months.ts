// UTC calendar months, the unit usage is figured in, written YYYY-MM.

export interface MonthSpan {
  /** YYYY-MM */
  month: string;
  startMs: number;
  /** Exclusive: the first millisecond of the next month. */
  endMs: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Months since year 0 of a YYYY-MM label, or null when it is not one. */
export function monthOrdinal(label: string): number | null {
  const m = MONTH.exec(label);
  return m ? Number(m[1]) * 12 + Number(m[2]) - 1 : null;
}

function spanOf(ordinal: number): MonthSpan {
  const year = Math.floor(ordinal / 12);
  const month = ordinal % 12;
  return {
    month: `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}`,
    startMs: Date.UTC(year, month, 1),
    endMs: Date.UTC(year, month + 1, 1),
  };
}

/** Every month from `from` to `to`, both included, in order. */
export function monthsBetween(from: string, to: string): MonthSpan[] {
  const a = monthOrdinal(from);
  const b = monthOrdinal(to);
  if (a === null) throw new Error(`not a month: ${from}`);
  if (b === null) throw new Error(`not a month: ${to}`);
  const out: MonthSpan[] = [];
  for (let o = a; o <= b; o++) out.push(spanOf(o));
  return out;
}

/** The month holding an instant. */
export function monthOf(ms: number): MonthSpan {
  const d = new Date(ms);
  return spanOf(d.getUTCFullYear() * 12 + d.getUTCMonth());
}
