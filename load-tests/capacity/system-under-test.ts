// What the benchmark needs from a recording server, whichever it is.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckedFormat } from './recording-check.js';

export const CHECKED_FORMATS: readonly CheckedFormat[] = ['m3u8', 'flv'];

export type RecordingFiles = Record<CheckedFormat, string[]>;

export interface SettleResult {
  /** The recordings of each stream at the moment the wait ended (these are the files checked). */
  files: Map<string, RecordingFiles>;
  /** Seconds after the publishers stopped at which the wait ended. */
  waitedSeconds: number;
  /** True when every stream had every format before the deadline. */
  complete: boolean;
}

export interface Percentiles {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Timing figures; only a system with an event log (liverecord) has them. */
export interface TimingReport {
  note: string;
  /** Segment end (as stated in the segment event) → its storage event, seconds. */
  segmentEndToStored: Percentiles;
  /** Per format: reconnect window end → the file's storage event, seconds. */
  fileStoredAfterWindowEnd: Record<string, Percentiles>;
  /** Per format: reconnect window end → the catalogue's create time of the file (gRPC), seconds. */
  fileCataloguedAfterWindowEnd: Record<string, Percentiles>;
  /** Streams whose every checked format is in the catalogue. */
  streamsFullyCatalogued: number;
}

export interface SystemUnderTest {
  readonly name: string;
  /** False for a reference point that records nothing (its runs have cost figures only). */
  readonly records: boolean;
  /** rtmp://host:port/app, streams are published under it. */
  readonly rtmpBase: string;
  /** Root pids of the server; everything below them is the server. */
  rootPids(): number[];
  /** False once the server's root process has exited. */
  alive(): boolean;
  /** The end of the server's own output (for a run that fails). */
  logTail(): string;
  /** After the publishers ended: waits (bounded) until the recordings are complete. */
  waitForRecordings(streams: readonly string[], publishersEndedAtMs: number): Promise<SettleResult>;
  /** Timing figures read after the measurement (so reading them costs the server nothing measured). */
  collectTimings(streams: readonly string[], publishersEndedAtMs: number): Promise<TimingReport | null>;
  /** Stops the server and waits for it. */
  stop(): Promise<void>;
  /** Removes its data (recordings), unless the run keeps them. */
  removeData(): void;
  /** Where its data lies (for --keep). */
  readonly dataDir: string;
}

/** Every regular file below a folder (missing folder → none); skips half-written temporaries. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 8) return; // bounded: storage keys are a few levels deep
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.includes('.part-') || name.endsWith('.tmp')) continue;
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(dir, 0);
  return out.sort();
}

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p99: null, max: null };
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { count: s.length, p50: at(50), p99: at(99), max: s[s.length - 1] };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
