import { flvAudioCodecName, flvVideoCodecName } from '../../../libs/media/index.js';

// Learns a publish's codecs from its first audio and video packets: metadata
// arrives late or never, the packets always do.
// FLV packet flags from node-media-server: 0 audio header, 1 audio frame,
// 2 video header, 3 video keyframe, 4 video frame, 5 metadata.

export interface SniffedCodecs {
  video: string | null;
  audio: string | null;
}

export class CodecSniffer {
  video: string | null = null;
  audio: string | null = null;
  private firstPacketAt: number | null = null;

  /** Returns true when this packet taught something new. */
  observe(packet: { codec_type: number; codec_id: number | string; flags: number }, now: number): boolean {
    if (packet.codec_type !== 8 && packet.codec_type !== 9) return false;
    this.firstPacketAt ??= now;
    if (packet.codec_type === 9 && this.video === null) {
      this.video = flvVideoCodecName(packet.codec_id);
      return true;
    }
    if (packet.codec_type === 8 && this.audio === null) {
      this.audio = flvAudioCodecName(Number(packet.codec_id));
      return true;
    }
    return false;
  }

  /** Both elementary streams seen, or one seen and the other has not come within waitMs. */
  settled(now: number, waitMs: number): boolean {
    if (this.video !== null && this.audio !== null) return true;
    return this.firstPacketAt !== null && now - this.firstPacketAt >= waitMs;
  }

  result(): SniffedCodecs {
    return { video: this.video, audio: this.audio };
  }
}
