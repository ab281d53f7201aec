// Writes one segment of a live stream from its encoded packets, in process:
// MPEG-TS, or CMAF (an fMP4 fragment plus its init segment), through mediabunny,
// streamed to the spool as it is muxed. Media is copied, never re-encoded.
import {
  BufferTarget, CmafOutputFormat, EncodedAudioPacketSource, EncodedPacket, EncodedVideoPacketSource, MpegTsOutputFormat, NullTarget, Output,
} from 'mediabunny';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import type { AudioTrackConfig, VideoTrackConfig } from './codec-config.js';

const CHUNK_BYTES = 256 * 1024;

/**
 * Collects the muxer's 188-byte TS packets into large chunks written to the
 * file in order: one copy per packet and one write per chunk, instead of a
 * general-purpose target's bookkeeping for every packet.
 */
class TsFileSink {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private file: Promise<FileHandle>;
  private writes: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;

  constructor(path: string) {
    this.file = open(path, 'w');
    this.file.catch(() => undefined);
  }

  append(packet: Uint8Array): void {
    if (this.used + packet.byteLength > this.chunk.length) this.flush();
    this.chunk.set(packet, this.used);
    this.used += packet.byteLength;
  }

  private flush(): void {
    if (this.used === 0) return;
    const data = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      await (await this.file).write(data);
    }).catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    });
  }

  async close(): Promise<void> {
    this.flush();
    await this.writes;
    await (await this.file).close();
    if (this.failure) throw this.failure;
  }

  async discard(): Promise<void> {
    this.used = 0;
    await this.writes;
    await (await this.file.catch(() => null))?.close();
  }
}

export type SegmentContainer = 'ts' | 'fmp4';

export interface SegmentTracks {
  video: VideoTrackConfig | null;
  audio: AudioTrackConfig | null;
}

const DEFAULT_FRAME_S = 0.04;

/** One segment being written. Packets arrive in decode order; timestamps in seconds on the recording's timeline. */
export class SegmentWriter {
  private readonly output: Output;
  private readonly video: EncodedVideoPacketSource | null = null;
  private readonly audio: EncodedAudioPacketSource | null = null;
  private readonly initTarget: BufferTarget | null = null;
  /** CMAF: the fragment, written at the end (one moof + mdat). */
  private readonly fragmentTarget: BufferTarget | null = null;
  private readonly tsSink: TsFileSink | null = null;
  private started: Promise<void>;
  private videoConfigSent = false;
  private audioConfigSent = false;
  private pending: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  videoPackets = 0;
  audioPackets = 0;

  constructor(readonly path: string, readonly container: SegmentContainer, private readonly tracks: SegmentTracks, private readonly initPath: string | null) {
    if (container === 'ts') {
      const sink = new TsFileSink(path);
      this.tsSink = sink;
      this.output = new Output({ format: new MpegTsOutputFormat({ onPacket: (data) => sink.append(data) }), target: new NullTarget() });
    } else {
      this.initTarget = new BufferTarget();
      this.fragmentTarget = new BufferTarget();
      this.output = new Output({ format: new CmafOutputFormat(), target: this.fragmentTarget, initTarget: this.initTarget });
    }
    if (tracks.video) {
      this.video = new EncodedVideoPacketSource(tracks.video.codec);
      this.output.addVideoTrack(this.video, { frameRate: undefined });
    }
    if (tracks.audio) {
      this.audio = new EncodedAudioPacketSource(tracks.audio.codec);
      this.output.addAudioTrack(this.audio);
    }
    this.started = this.output.start();
  }

  /** Queues a video access unit (length-prefixed NAL units, as in FLV/MP4). */
  addVideo(data: Uint8Array, key: boolean, ptsS: number, durationS: number): void {
    const cfg = this.tracks.video;
    if (!this.video || !cfg) return;
    const meta = this.videoConfigSent ? undefined : {
      decoderConfig: { codec: cfg.codecString, codedWidth: cfg.width, codedHeight: cfg.height, description: cfg.record },
    };
    this.videoConfigSent = true;
    this.videoPackets++;
    const packet = new EncodedPacket(data, key ? 'key' : 'delta', ptsS, durationS > 0 ? durationS : DEFAULT_FRAME_S);
    const source = this.video;
    this.enqueue(() => source.add(packet, meta));
  }

  /** Queues an audio frame (raw AAC or an MP3 frame). */
  addAudio(data: Uint8Array, ptsS: number, durationS: number): void {
    const cfg = this.tracks.audio;
    if (!this.audio || !cfg) return;
    const meta = this.audioConfigSent ? undefined : {
      decoderConfig: { codec: cfg.codecString, sampleRate: cfg.sampleRate, numberOfChannels: cfg.channels, ...(cfg.record ? { description: cfg.record } : {}) },
    };
    this.audioConfigSent = true;
    this.audioPackets++;
    const packet = new EncodedPacket(data, 'key', ptsS, durationS);
    const source = this.audio;
    this.enqueue(() => source.add(packet, meta));
  }

  private enqueue(op: () => Promise<void>): void {
    this.pending = this.pending.then(async () => {
      if (this.failure) return;
      await this.started;
      await op();
    }).catch((err: unknown) => {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
    });
  }

  /** Waits until the queued packets are muxed (backpressure for the reader). */
  drained(): Promise<void> {
    return this.pending;
  }

  /** Finishes the segment file (and writes the init segment, for CMAF). */
  async finish(): Promise<void> {
    await this.pending;
    if (this.failure) {
      await this.output.cancel().catch(() => undefined);
      await this.tsSink?.discard();
      throw this.failure;
    }
    await this.started;
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

  /** Drops the segment without finishing it (ownership lost, handover). */
  async abort(): Promise<void> {
    await this.pending.catch(() => undefined);
    await this.output.cancel().catch(() => undefined);
    await this.tsSink?.discard();
  }
}
