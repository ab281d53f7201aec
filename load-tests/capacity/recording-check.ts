// Checks of a recording against what was pushed: packet counts, timestamp gaps and
// ffprobe errors, all read with ffprobe from the stored files only (no knowledge
// of how the recorder made them).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface TrackPackets {
  count: number;
  /** Decode timestamps in seconds, in file order (NaN where the file has none). */
  dts: number[];
}

export interface ProbedPackets {
  video: TrackPackets;
  audio: TrackPackets;
  /** What `ffprobe -v error` printed while reading every packet; empty for a clean file. */
  errors: string;
}

/** A minute of 800 kbit/s media probes in well under a second; anything near this is stuck. */
const PROBE_TIMEOUT_MS = 120_000;

/** Runs ffprobe over every packet of one input (a file or a playlist). Asynchronous so a few run side by side. */
export function probePackets(input: string): Promise<ProbedPackets> {
  return new Promise((resolvePromise) => {
    const child = spawn('ffprobe', ['-v', 'error', '-show_entries', 'packet=codec_type,dts_time', '-of', 'csv=p=0', input], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => {
      if (err.length < 20_000) err += d.toString();
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      resolvePromise({ video: { count: 0, dts: [] }, audio: { count: 0, dts: [] }, errors: `ffprobe could not run: ${e.message}` });
    });
    // 'close', not 'exit': only then has all of stdout been read.
    child.once('close', (code) => {
      clearTimeout(timer);
      const video: TrackPackets = { count: 0, dts: [] };
      const audio: TrackPackets = { count: 0, dts: [] };
      for (const line of Buffer.concat(out).toString('utf8').split('\n')) {
        const [type, dts] = line.split(',');
        const track = type === 'video' ? video : type === 'audio' ? audio : null;
        if (!track) continue;
        track.count++;
        track.dts.push(dts === undefined || dts === 'N/A' ? Number.NaN : Number(dts));
      }
      const errors = (err + (code !== 0 ? `\nffprobe exited with ${code}` : '')).trim();
      resolvePromise({ video, audio, errors });
    });
  });
}

/** Median spacing of consecutive timestamps: the frame duration of a constant-rate track. */
export function medianStep(dts: readonly number[]): number {
  const steps: number[] = [];
  for (let i = 1; i < dts.length; i++) {
    const d = dts[i] - dts[i - 1];
    if (Number.isFinite(d) && d > 0) steps.push(d);
  }
  if (steps.length === 0) return Number.NaN;
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)];
}

export interface GapReport {
  /** Forward jumps larger than 1.5 frame durations: packets missing in between. */
  gaps: number;
  /** Seconds of media missing in those jumps (beyond one frame each). */
  missingSeconds: number;
  /** Timestamps that go backwards or repeat: a restarted or spliced timeline. */
  backwardJumps: number;
  largestGapSeconds: number;
}

export function findGaps(dts: readonly number[], frameSeconds: number): GapReport {
  const report: GapReport = { gaps: 0, missingSeconds: 0, backwardJumps: 0, largestGapSeconds: 0 };
  if (!Number.isFinite(frameSeconds)) return report;
  for (let i = 1; i < dts.length; i++) {
    const d = dts[i] - dts[i - 1];
    if (!Number.isFinite(d)) continue;
    if (d > 1.5 * frameSeconds) {
      report.gaps++;
      report.missingSeconds += d - frameSeconds;
      report.largestGapSeconds = Math.max(report.largestGapSeconds, d);
    } else if (d <= 0) {
      report.backwardJumps++;
    }
  }
  return report;
}

export interface PlaylistCheck {
  segments: number;
  missingSegments: string[];
  discontinuities: number;
  ended: boolean;
  /** A copy of the playlist with absolute segment paths and an end tag, for ffprobe. */
  probeablePath: string;
  cleanup(): void;
}

/**
 * ffprobe treats a playlist without #EXT-X-ENDLIST as live and reads only its last
 * segments; nginx-rtmp never writes that tag. So the probe reads a copy marked as VOD
 * whose segment URIs are absolute paths (segments are read where they lie).
 */
export function probeablePlaylist(playlistPath: string): PlaylistCheck {
  const dir = dirname(playlistPath);
  const text = readFileSync(playlistPath, 'utf8');
  const absolute = (uri: string) => (isAbsolute(uri) || /^[a-z]+:\/\//i.test(uri) ? uri : resolve(dir, uri));
  const missingSegments: string[] = [];
  let segments = 0;
  let discontinuities = 0;
  let ended = false;
  const lines = text.split(/\r?\n/).map((line) => {
    if (line === '#EXT-X-ENDLIST') ended = true;
    if (line.startsWith('#EXT-X-DISCONTINUITY') && !line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE')) discontinuities++;
    if (line.startsWith('#EXT-X-MAP:')) return line.replace(/URI="([^"]+)"/, (_m, uri: string) => `URI="${absolute(uri)}"`);
    if (line && !line.startsWith('#')) {
      segments++;
      const abs = absolute(line.trim());
      if (!existsSync(abs)) missingSegments.push(line.trim());
      return abs;
    }
    return line;
  }).filter((l) => l !== '#EXT-X-ENDLIST' && !l.startsWith('#EXT-X-PLAYLIST-TYPE'));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  // Mark it as a finished VOD playlist right after the header line.
  lines.splice(1, 0, '#EXT-X-PLAYLIST-TYPE:VOD');
  lines.push('#EXT-X-ENDLIST', '');
  const tmp = mkdtempSync(join(tmpdir(), 'lr-cap-pl-'));
  const probeablePath = join(tmp, 'vod.m3u8');
  writeFileSync(probeablePath, lines.join('\n'));
  return { segments, missingSegments, discontinuities, ended, probeablePath, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

export type CheckedFormat = 'm3u8' | 'flv';

export interface FileCheck {
  path: string;
  format: CheckedFormat;
  videoPackets: number;
  audioPackets: number;
  videoGaps: GapReport;
  audioGaps: GapReport;
  ffprobeErrors: string;
  playlist?: { segments: number; missingSegments: number; discontinuities: number; ended: boolean };
}

export async function checkFile(path: string, format: CheckedFormat, videoFrameSeconds: number, audioFrameSeconds: number): Promise<FileCheck> {
  let playlist: PlaylistCheck | null = null;
  let input = path;
  if (format === 'm3u8') {
    playlist = probeablePlaylist(path);
    input = playlist.probeablePath;
  }
  try {
    const p = await probePackets(input);
    const missing = playlist?.missingSegments.length ? `\nsegments listed but missing: ${playlist.missingSegments.slice(0, 5).join(', ')}` : '';
    return {
      path,
      format,
      videoPackets: p.video.count,
      audioPackets: p.audio.count,
      videoGaps: findGaps(p.video.dts, videoFrameSeconds),
      audioGaps: findGaps(p.audio.dts, audioFrameSeconds),
      ffprobeErrors: (p.errors + missing).trim(),
      ...(playlist ? { playlist: { segments: playlist.segments, missingSegments: playlist.missingSegments.length, discontinuities: playlist.discontinuities, ended: playlist.ended } } : {}),
    };
  } finally {
    playlist?.cleanup();
  }
}

/** What one process of the load generator pushed to each of its streams. */
export interface PushedReference {
  videoPackets: number;
  audioPackets: number;
  videoFrameSeconds: number;
  audioFrameSeconds: number;
  videoGaps: GapReport;
  ffprobeErrors: string;
}

export async function checkReference(referenceFile: string): Promise<PushedReference> {
  const p = await probePackets(referenceFile);
  const videoFrameSeconds = medianStep(p.video.dts);
  return {
    videoPackets: p.video.count,
    audioPackets: p.audio.count,
    videoFrameSeconds,
    audioFrameSeconds: medianStep(p.audio.dts),
    videoGaps: findGaps(p.video.dts, videoFrameSeconds),
    ffprobeErrors: p.errors,
  };
}

/** Runs async jobs with at most `limit` at a time (ffprobe is CPU-bound; the box has 2 cores). */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}
