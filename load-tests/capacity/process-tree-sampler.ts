// CPU time and memory of a whole process tree, read from /proc.
//
// CPU: the tree's CPU at an instant is the sum, over its live processes, of
// utime + stime + cutime + cstime. A child that exits and is reaped by a parent
// inside the tree has its whole lifetime (and that of its own reaped children)
// folded into the parent's cutime/cstime, so processes that come and go between
// two samples (per-stream ffmpeg, ffprobe, ...) are still counted exactly once.
// The difference between two such readings is the CPU the tree spent in between.
//
// RSS: summed VmRSS of the live processes, sampled periodically for the peak.
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** Kernel clock ticks per second (USER_HZ); 100 on every common Linux, asked once anyway. */
export const CLOCK_TICKS_PER_SECOND = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const v = Number(r.stdout?.trim());
  return Number.isFinite(v) && v > 0 ? v : 100;
})();

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** R, S, D, Z (zombie: exited, not yet reaped), ... */
  state: string;
  /** utime + stime + cutime + cstime, in seconds. */
  cpuSeconds: number;
  /** utime + stime: the process's own, in seconds. */
  selfSeconds: number;
  /** cutime + cstime: its children that exited and were reaped, in seconds. */
  childrenSeconds: number;
  /** Start time after boot, in ticks: with the pid, identifies a process even if the pid is reused. */
  startTicks: number;
}

/** A process's /proc/{pid}/stat (pid 'self': this process), or null once it has exited. */
export function readProcStat(pid: number | 'self'): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited meanwhile
  }
  // The command name is in parentheses and may itself contain spaces or ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5); field N is fields[N - 3].
  const ppid = Number(fields[1]);
  const self = Number(fields[11]) + Number(fields[12]);
  const children = Number(fields[13]) + Number(fields[14]);
  return {
    pid: pid === 'self' ? process.pid : pid, ppid, comm, state: fields[0], cpuSeconds: (self + children) / CLOCK_TICKS_PER_SECOND,
    selfSeconds: self / CLOCK_TICKS_PER_SECOND, childrenSeconds: children / CLOCK_TICKS_PER_SECOND, startTicks: Number(fields[19]),
  };
}

function readRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0; // zombies and kernel threads have no VmRSS
  } catch {
    return 0;
  }
}

/**
 * SIGKILLs every process of `seen` that is still alive and still the same process (same start
 * time): what a server left behind after it was stopped. Returns how many there were.
 */
export function killLeftovers(seen: ReadonlyMap<number, number>): number {
  let killed = 0;
  for (const [pid, startTicks] of seen) {
    const s = readProcStat(pid);
    if (!s || s.startTicks !== startTicks || s.state === 'Z') continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}

function allPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

export interface TreeReading {
  atMs: number;
  cpuSeconds: number;
  rssBytes: number;
  processCount: number;
  /** Process count per command name, e.g. { node: 1, 'nats-server': 1, ffmpeg: 25 }. */
  byCommand: Record<string, number>;
  /** Summed RSS per command name: tells which kind of process grows. */
  rssBytesByCommand: Record<string, number>;
  /** Summed CPU (as cpuSeconds) per command name: a reaped child's CPU counts under its parent's name. */
  cpuSecondsByCommand: Record<string, number>;
  processes: { pid: number; startTicks: number }[];
}

/** One reading of every process that descends from (or is) one of the roots. */
export function readTree(rootPids: readonly number[]): TreeReading {
  const stats = new Map<number, ProcStat>();
  for (const pid of allPids()) {
    const s = readProcStat(pid);
    if (s) stats.set(pid, s);
  }
  const children = new Map<number, number[]>();
  for (const s of stats.values()) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const inTree: ProcStat[] = [];
  const queue = rootPids.filter((p) => stats.has(p));
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    inTree.push(stats.get(pid)!);
    for (const c of children.get(pid) ?? []) queue.push(c);
  }
  const byCommand: Record<string, number> = {};
  const rssBytesByCommand: Record<string, number> = {};
  const cpuSecondsByCommand: Record<string, number> = {};
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const s of inTree) {
    cpuSeconds += s.cpuSeconds;
    const rss = readRssBytes(s.pid);
    rssBytes += rss;
    byCommand[s.comm] = (byCommand[s.comm] ?? 0) + 1;
    rssBytesByCommand[s.comm] = (rssBytesByCommand[s.comm] ?? 0) + rss;
    cpuSecondsByCommand[s.comm] = (cpuSecondsByCommand[s.comm] ?? 0) + s.cpuSeconds;
  }
  return { atMs: Date.now(), cpuSeconds, rssBytes, processCount: inTree.length, byCommand, rssBytesByCommand, cpuSecondsByCommand, processes: inTree.map((s) => ({ pid: s.pid, startTicks: s.startTicks })) };
}

export interface TreeUsage {
  cpuSeconds: number;
  wallSeconds: number;
  startRssBytes: number;
  endRssBytes: number;
  peakRssBytes: number;
  peakProcessCount: number;
  /** Largest count of each command name seen in one sample. */
  peakByCommand: Record<string, number>;
  /** Largest RSS of each command name (all its processes together) seen in one sample: where the memory is. */
  peakRssBytesByCommand: Record<string, number>;
  /**
   * CPU seconds per command name between start() and stop(): which kind of process the
   * cost is (node, nats-server, ffmpeg, ...). Kinds present at both ends are exact; one
   * that came and went between samples counts under its parent's name.
   */
  cpuSecondsByCommand: Record<string, number>;
  samples: number;
}

/**
 * Samples a process tree every `everyMs` from start() to stop() (bounded: it
 * stops by itself after `maxSeconds`). Also remembers every pid it ever saw in
 * the tree, so the caller can make sure none outlives the benchmark.
 */
export class ProcessTreeSampler {
  private first: TreeReading | null = null;
  private last: TreeReading | null = null;
  private peakRss = 0;
  private peakCount = 0;
  private peakByCommand: Record<string, number> = {};
  private peakRssByCommand: Record<string, number> = {};
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;
  private deadline = 0;
  /** pid → start time of every process ever seen in the tree. */
  readonly seen = new Map<number, number>();

  constructor(private readonly rootPids: () => readonly number[], private readonly everyMs = 1000, private readonly maxSeconds = 3600) {}

  sample(): TreeReading {
    const r = readTree(this.rootPids());
    this.samples++;
    this.last = r;
    this.first ??= r;
    this.peakRss = Math.max(this.peakRss, r.rssBytes);
    this.peakCount = Math.max(this.peakCount, r.processCount);
    for (const [comm, n] of Object.entries(r.byCommand)) this.peakByCommand[comm] = Math.max(this.peakByCommand[comm] ?? 0, n);
    for (const [comm, rss] of Object.entries(r.rssBytesByCommand)) this.peakRssByCommand[comm] = Math.max(this.peakRssByCommand[comm] ?? 0, rss);
    for (const p of r.processes) this.seen.set(p.pid, p.startTicks);
    return r;
  }

  start(): void {
    this.sample();
    this.deadline = Date.now() + this.maxSeconds * 1000;
    this.timer = setInterval(() => {
      if (Date.now() > this.deadline) return this.halt();
      this.sample();
    }, this.everyMs);
  }

  /** Stops the periodic sampling (idempotent). */
  halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes a last reading and returns the usage between start() and now. */
  stop(): TreeUsage {
    this.halt();
    this.sample();
    const first = this.first!;
    const last = this.last!;
    return {
      cpuSeconds: last.cpuSeconds - first.cpuSeconds,
      wallSeconds: (last.atMs - first.atMs) / 1000,
      startRssBytes: first.rssBytes,
      endRssBytes: last.rssBytes,
      peakRssBytes: this.peakRss,
      peakProcessCount: this.peakCount,
      peakByCommand: this.peakByCommand,
      peakRssBytesByCommand: this.peakRssByCommand,
      cpuSecondsByCommand: Object.fromEntries(Object.entries(last.cpuSecondsByCommand).map(([comm, cpu]) => [comm, Math.max(0, cpu - (first.cpuSecondsByCommand[comm] ?? 0))])),
      samples: this.samples,
    };
  }
}
