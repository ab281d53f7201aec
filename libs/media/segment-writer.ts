// Writes one segment of a live stream from its encoded packets, in process:
// MPEG-TS, or CMAF (an fMP4 fragment plus its init segment), through mediabunny,
// streamed to the spool as it is muxed. Media is copied, never re-encoded.
import {
  BufferTarget, CmafOutputFormat, EncodedAudioPacketSource, EncodedPacket, EncodedVideoPacketSource, MpegTsOutputFormat, NullTarget, Output,
} from 'mediabunny';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import type { AudioTrackConfig, VideoTrackConfig } from './codec-config.js';

const CHUNK_BYTES = 64 * 1024;
/** Chunks kept for reuse: 16 MiB at most, the working set of a few hundred streams' writes. */
const SPARE_CHUNKS_MAX = 256;
const spareChunks: Buffer[] = [];

/**
 * Every recorded byte passes through a chunk: reusing them, rather than leaving
 * one 64 KiB buffer per flush to the garbage collector, keeps the external memory
 * that drives V8's full collections flat.
 */
function takeChunk(): Buffer {
  return spareChunks.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
}

function giveChunk(chunk: Buffer): void {
  if (spareChunks.length < SPARE_CHUNKS_MAX) spareChunks.push(chunk);
}

/**
 * Collects the muxer's 188-byte TS packets into large chunks written to the
 * file in order: one copy per packet and one write per chunk, instead of a
 * general-purpose target's bookkeeping for every packet.
 *
 * It also puts back each video frame's own decode timestamp: the muxer derives
 * DTS from the sorted presentation times of a GOP, which for B-frames yields a
 * DTS later than the PTS. The frames' PES headers pass through here in decode
 * order, the order their real DTS values were queued in.
 */
class TsFileSink {
  private chunk = takeChunk();
  private used = 0;
  private file: Promise<FileHandle>;
  private writes: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private readonly videoDts: number[] = [];
  private videoDtsAt = 0;

  constructor(path: string, private readonly videoPid: number | null) {
    this.file = open(path, 'w');
    // Not lost: a failed open rejects the first write and close(), which the segment's finish() reports.
    this.file.catch(() => undefined);
  }

  /** The decode timestamp (90 kHz) of the next video frame handed to the muxer. */
  queueVideoDts(dts90k: number): void {
    this.videoDts.push(dts90k);
  }

  append(packet: Uint8Array): void {
    if (this.released) throw new Error('TS packet after the segment file was closed');
    if (this.used + packet.byteLength > this.chunk.length) this.flush();
    this.chunk.set(packet, this.used);
    if (this.videoPid !== null) this.restoreDts(this.used);
    this.used += packet.byteLength;
  }

  private restoreDts(at: number): void {
    const b = this.chunk;
    const pid = ((b[at + 1] & 0x1f) << 8) | b[at + 2];
    if (pid !== this.videoPid || (b[at + 1] & 0x40) === 0) return;
    const start = at + 4 + ((b[at + 3] & 0x20) !== 0 ? 1 + b[at + 4] : 0);
    // A PES header with PTS and DTS: 00 00 01 id len(2) flags(2) hlen, PTS (5 bytes), DTS (5 bytes).
    if (b[start] !== 0 || b[start + 1] !== 0 || b[start + 2] !== 1 || (b[start + 7] & 0xc0) !== 0xc0) return;
    if (this.videoDtsAt >= this.videoDts.length) return;
    const dts = this.videoDts[this.videoDtsAt++] % 2 ** 33;
    const d = start + 14;
    b[d] = 0x11 | (Math.floor(dts / 2 ** 30) << 1);
    const mid = Math.floor(dts / 2 ** 15) % 2 ** 15;
    b[d + 1] = mid >> 7;
    b[d + 2] = ((mid & 0x7f) << 1) | 1;
    const low = dts % 2 ** 15;
    b[d + 3] = low >> 7;
    b[d + 4] = ((low & 0x7f) << 1) | 1;
    if (this.videoDtsAt > 1024) {
      this.videoDts.splice(0, this.videoDtsAt);
      this.videoDtsAt = 0;
    }
  }

  private released = false;

  /** The current chunk goes back once: a chunk in two writers' hands would mix their bytes. */
  private releaseChunk(): void {
    if (this.released) return;
    this.released = true;
    giveChunk(this.chunk);
  }

  private flush(): void {
    if (this.used === 0 || this.released) return;
    const full = this.chunk;
    const data = full.subarray(0, this.used);
    this.chunk = takeChunk();
    this.used = 0;
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      await (await this.file).write(data);
    }).catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    }).finally(() => giveChunk(full));
  }

  async close(): Promise<void> {
    this.flush();
    await this.writes;
    this.releaseChunk();
    await (await this.file).close();
    if (this.failure) throw this.failure;
  }

  async discard(): Promise<void> {
    this.used = 0;
    await this.writes;
    this.releaseChunk();
    // The segment is being dropped: a file that never opened has nothing to close.
    await (await this.file.catch(() => null))?.close();
  }
}

export type SegmentContainer = 'ts' | 'fmp4';

export interface SegmentTracks {
  video: VideoTrackConfig | null;
  audio: AudioTrackConfig | null;
}

const DEFAULT_FRAME_S = 0.04;

/**
 * One segment being written. Packets arrive in decode order, timestamps in
 * seconds on the recording's timeline; each add is awaited by the caller (the
 * muxer's back pressure), so no queue of closures builds up per packet.
 */
export class SegmentWriter {
  private readonly output: Output;
  private readonly video: EncodedVideoPacketSource | null = null;
  private readonly audio: EncodedAudioPacketSource | null = null;
  private readonly initTarget: BufferTarget | null = null;
  /** CMAF: the fragment, written at the end (one moof + mdat). */
  private readonly fragmentTarget: BufferTarget | null = null;
  private readonly tsSink: TsFileSink | null = null;
  private videoConfigSent = false;
  private audioConfigSent = false;
  videoPackets = 0;
  audioPackets = 0;

  private constructor(readonly path: string, readonly container: SegmentContainer, private readonly tracks: SegmentTracks, private readonly initPath: string | null) {
    if (container === 'ts') {
      // mediabunny numbers its tracks' PIDs from 0x100 in the order they are added: video first.
      const sink = new TsFileSink(path, tracks.video ? 0x100 : null);
      this.tsSink = sink;
      this.output = new Output({ format: new MpegTsOutputFormat({ onPacket: (data) => sink.append(data) }), target: new NullTarget() });
    } else {
      this.initTarget = new BufferTarget();
      this.fragmentTarget = new BufferTarget();
      this.output = new Output({ format: new CmafOutputFormat(), target: this.fragmentTarget, initTarget: this.initTarget });
    }
    if (tracks.video) {
      this.video = new EncodedVideoPacketSource(tracks.video.codec);
      this.output.addVideoTrack(this.video);
    }
    if (tracks.audio) {
      this.audio = new EncodedAudioPacketSource(tracks.audio.codec);
      this.output.addAudioTrack(this.audio);
    }
  }

  static async open(path: string, container: SegmentContainer, tracks: SegmentTracks, initPath: string | null): Promise<SegmentWriter> {
    const w = new SegmentWriter(path, container, tracks, initPath);
    await w.output.start();
    return w;
  }

  /** Adds a video access unit (length-prefixed NAL units, as in FLV/MP4), with its decode and presentation times. */
  addVideo(data: Uint8Array, key: boolean, dtsS: number, ptsS: number, durationS: number): Promise<void> {
    const cfg = this.tracks.video;
    if (!this.video || !cfg) return Promise.resolve();
    const meta = this.videoConfigSent ? undefined : {
      decoderConfig: { codec: cfg.codecString, codedWidth: cfg.width, codedHeight: cfg.height, description: cfg.record },
    };
    this.videoConfigSent = true;
    this.videoPackets++;
    this.tsSink?.queueVideoDts(Math.round(dtsS * 90000));
    return this.video.add(new EncodedPacket(data, key ? 'key' : 'delta', ptsS, durationS > 0 ? durationS : DEFAULT_FRAME_S), meta);
  }

  /** Adds an audio frame (raw AAC or an MP3 frame). */
  addAudio(data: Uint8Array, ptsS: number, durationS: number): Promise<void> {
    const cfg = this.tracks.audio;
    if (!this.audio || !cfg) return Promise.resolve();
    const meta = this.audioConfigSent ? undefined : {
      decoderConfig: { codec: cfg.codecString, sampleRate: cfg.sampleRate, numberOfChannels: cfg.channels, ...(cfg.record ? { description: cfg.record } : {}) },
    };
    this.audioConfigSent = true;
    this.audioPackets++;
    return this.audio.add(new EncodedPacket(data, 'key', ptsS, durationS), meta);
  }

  /** Finishes the segment file (and writes the init segment, for CMAF). */
  async finish(): Promise<void> {
    await this.output.finalize();
    if (this.tsSink) await this.tsSink.close();
    if (this.fragmentTarget) {
      if (!this.fragmentTarget.buffer) throw new Error('the CMAF muxer wrote no fragment');
      await writeFile(this.path, new Uint8Array(this.fragmentTarget.buffer));
    }
    if (this.initTarget && this.initPath) {
      if (!this.initTarget.buffer) throw new Error('the CMAF muxer wrote no init segment');
      await writeFile(this.initPath, new Uint8Array(this.initTarget.buffer));
    }
  }

  /** Drops the segment without finishing it (ownership lost, handover, a failure). */
  async abort(): Promise<void> {
    // The segment is thrown away (and its file removed by the caller): a muxer that cannot cancel cleanly changes nothing.
    await this.output.cancel().catch(() => undefined);
    await this.tsSink?.discard();
  }
}
