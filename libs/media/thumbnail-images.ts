// Thumbnails with ffmpeg: one keyframe (Annex-B) decoded to a JPEG, and sprite sheets
// tiled from JPEGs. Each is one short-lived ffmpeg process fed on stdin, run at a lower
// CPU priority than the recording; callers bound how many run at once. Measured
// (load-tests/thumbnail-cost.ts): ~80-120 ms of CPU per thumbnail, nearly all of it
// ffmpeg starting up, whatever the tier.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

export interface JpegImage {
  jpeg: Buffer;
  width: number;
  height: number;
}

/** Width and height from a JPEG's start-of-frame marker. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) throw new Error('JPEG marker expected');
    const marker = jpeg[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = jpeg.readUInt16BE(at + 2);
    // SOF0..SOF15, except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > jpeg.length) break;
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  throw new Error('JPEG without a frame header');
}

/** Scheduling niceness of thumbnail processes (0 normal, 19 lowest). */
const NICENESS = 10;

interface RunOptions {
  args: string[];
  /** Fed in order, each chunk written once the pipe has room (an async source is read one chunk at a time). */
  input: Iterable<Buffer> | AsyncIterable<Buffer>;
  timeoutMs: number;
  what: string;
}

/** Runs ffmpeg with stdin fed from `input`; resolves with stdout. */
function runFfmpeg({ args, input, timeoutMs, what }: RunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) {
      try {
        // Previews yield the CPU to the live recording.
        setPriority(child.pid, NICENESS);
      } catch {
        // Lowering a child's priority is always allowed; a child that already exited has nothing left to run.
      }
    }
    const out: Buffer[] = [];
    let err = '';
    let settled = false;
    const finish = (e: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolve(Buffer.concat(out));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`${what}: ffmpeg took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 4096) err += c.toString();
    });
    child.on('error', (e) => finish(new Error(`${what}: ${e.message}`)));
    child.on('close', (code) => finish(code === 0 ? null : new Error(`${what}: ffmpeg exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`)));
    // ffmpeg may stop reading early (one frame is enough): a closed pipe is not an error of ours.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') finish(new Error(`${what}: writing to ffmpeg: ${e.message}`));
    });
    feed(child.stdin, input, () => settled).catch((e: unknown) => {
      // Reading the input failed (e.g. a file gone): the run fails with it, and ffmpeg goes.
      child.kill('SIGKILL');
      finish(new Error(`${what}: reading its input: ${(e as Error).message}`));
    });
  });
}

/** Writes `input` to a pipe with its backpressure: at most one chunk beyond the pipe's buffer is held. */
async function feed(stdin: NodeJS.WritableStream & { destroyed: boolean }, input: Iterable<Buffer> | AsyncIterable<Buffer>, stopped: () => boolean): Promise<void> {
  for await (const chunk of input) {
    if (stopped() || stdin.destroyed) return;
    if (!stdin.write(chunk)) {
      // Room again, or the pipe closed (ffmpeg exited: its exit code tells the outcome).
      await new Promise<void>((resolve) => {
        const done = () => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.on('drain', done);
        stdin.on('close', done);
      });
    }
  }
  if (!stdin.destroyed) stdin.end();
}

/** A scale filter bringing the short side down to `shortSide` (never up), aspect kept, even sizes. */
export function shortSideScale(shortSide: number): string {
  const factor = `min(1,${shortSide}/min(iw,ih))`;
  return `scale=w='trunc(iw*${factor}/2+0.5)*2':h='trunc(ih*${factor}/2+0.5)*2'`;
}

/**
 * Decodes one Annex-B keyframe to a JPEG, its short side (a landscape picture's height)
 * scaled down to `shortSide` (never up; aspect kept). quality: ffmpeg's -q:v, 2 (best) .. 31.
 */
export async function keyframeToJpeg(codec: 'avc' | 'hevc', annexB: Buffer, shortSide: number | null, opts: { quality?: number; timeoutMs?: number } = {}): Promise<JpegImage> {
  const scale = shortSide ? ['-vf', shortSideScale(shortSide)] : [];
  const jpeg = await runFfmpeg({
    args: ['-f', codec === 'avc' ? 'h264' : 'hevc', '-i', 'pipe:0', '-frames:v', '1', ...scale, '-q:v', String(opts.quality ?? 4), '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'],
    input: [annexB],
    timeoutMs: opts.timeoutMs ?? 10000,
    what: 'thumbnail decode',
  });
  if (jpeg.length === 0) throw new Error('thumbnail decode: ffmpeg produced no picture');
  return { jpeg, ...jpegSize(jpeg) };
}

export interface SpriteLayout {
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
}

/**
 * Tiles JPEGs (in order) into sprite sheets of columns x rows tiles, each tile
 * tileWidth x tileHeight; returns one JPEG per sheet (the last one may be partly empty).
 * `images` may be read lazily (an async source): each is read only when ffmpeg has taken the
 * ones before, so a thousand source-tier JPEGs are never in memory at once.
 */
export async function composeSpriteSheets(images: Buffer[] | AsyncIterable<Buffer>, layout: SpriteLayout, opts: { quality?: number; timeoutMs?: number } = {}): Promise<Buffer[]> {
  if (Array.isArray(images) && images.length === 0) return [];
  const { tileWidth, tileHeight, columns, rows } = layout;
  const out = await runFfmpeg({
    args: [
      '-f', 'image2pipe', '-framerate', '1', '-c:v', 'mjpeg', '-i', 'pipe:0',
      '-vf', `scale=${tileWidth}:${tileHeight},setsar=1,tile=${columns}x${rows}`,
      '-q:v', String(opts.quality ?? 5), '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1',
    ],
    input: images,
    timeoutMs: opts.timeoutMs ?? 60000,
    what: 'sprite sheet',
  });
  return splitJpegs(out);
}

/** Splits concatenated JPEGs at their end-of-image markers (entropy-coded data never holds FF D9). */
export function splitJpegs(data: Buffer): Buffer[] {
  const images: Buffer[] = [];
  let start = 0;
  for (let i = 0; i + 1 < data.length; i++) {
    if (data[i] === 0xff && data[i + 1] === 0xd9) {
      images.push(data.subarray(start, i + 2));
      start = i + 2;
      i++;
    }
  }
  return images;
}
