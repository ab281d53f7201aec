// Command-line flags of the benchmarks: `--name value` or `--name=value`, checked as read.

/** Calls `on` for each flag; `value()` takes the flag's value (inline, or the next argument). */
export function eachFlag(argv: readonly string[], on: (flag: string, value: () => string, raw: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const [flag, inline] = raw.split('=', 2);
    on(flag, () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} wants a value`);
      return v;
    }, raw);
  }
}

export function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, got "${v}"`);
  return n;
}

export function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, got "${v}"`);
  return n;
}

/** WIDTHxHEIGHT */
export function frameSize(name: string, v: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(v.trim());
  if (!m) throw new Error(`--${name} wants WIDTHxHEIGHT (e.g. 1920x1080), got "${v}"`);
  return [Number(m[1]), Number(m[2])];
}

/** A comma-separated list of known names. */
export function knownList<T extends string>(name: string, v: string, known: readonly T[]): T[] {
  const list = v.split(',').map((s) => s.trim());
  for (const s of list) if (!(known as readonly string[]).includes(s)) throw new Error(`--${name}: unknown "${s}" (known: ${known.join(', ')})`);
  return list as T[];
}
