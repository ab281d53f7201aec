// Learns a stream's RFC 6381 codec strings (for a master playlist's CODECS)
// and its picture size from the configuration records that pass by.
import { TAG_VIDEO, aacTrackConfig, avcTrackConfig, hevcTrackConfig, parseAudioTag, parseVideoTag } from '../../../libs/media/index.js';

export class CodecWatch {
  private video: string | null = null;
  private audio: string | null = null;
  width = 0;
  height = 0;

  see(type: number, body: Buffer): void {
    if (type === TAG_VIDEO) {
      const info = parseVideoTag(body);
      if (!info.isConfig || !info.codec) return;
      const record = body.subarray(info.payloadOffset);
      try {
        const c = info.codec === 'avc' ? avcTrackConfig(record, { width: 0, height: 0 }) : hevcTrackConfig(record, { width: 0, height: 0 });
        this.video = c.codecString;
        this.width = c.width;
        this.height = c.height;
      } catch {
        // A malformed record leaves the codec unknown: the master playlist then omits CODECS.
        this.video = null;
      }
      return;
    }
    const info = parseAudioTag(body);
    if (info.codec === 'aac' && info.isConfig) {
      try {
        this.audio = aacTrackConfig(body.subarray(info.payloadOffset)).codecString;
      } catch {
        this.audio = null;
      }
    } else if (info.codec === 'mp3') {
      this.audio = 'mp4a.40.34';
    }
  }

  get hasAudio(): boolean {
    return this.audio !== null;
  }

  /** "avc1.64001f,mp4a.40.2"; '' while the video codec is not known. */
  codecs(): string {
    if (!this.video) return '';
    return this.audio ? `${this.video},${this.audio}` : this.video;
  }
}
