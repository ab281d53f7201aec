// Which codecs can be recorded: those a TS (and fMP4) container carries and
// players decode. FLV codec ids as carried in RTMP tags.

const FLV_VIDEO: Record<number, string> = { 2: 'flv1', 3: 'screenvideo', 4: 'vp6', 5: 'vp6a', 6: 'screenvideo2', 7: 'h264', 12: 'h265', 13: 'av1' };
const FLV_AUDIO: Record<number, string> = { 0: 'pcm', 1: 'adpcm', 2: 'mp3', 3: 'pcm_le', 4: 'nellymoser16', 5: 'nellymoser8', 6: 'nellymoser', 7: 'g711a', 8: 'g711u', 10: 'aac', 11: 'speex', 14: 'mp3_8k' };
// Enhanced RTMP carries FourCCs instead of numeric ids.
const FOURCC_VIDEO: Record<string, string> = { avc1: 'h264', hvc1: 'h265', av01: 'av1', vp09: 'vp9' };

export const SUPPORTED_VIDEO = ['h264', 'h265', 'mpeg4'] as const;
export const SUPPORTED_AUDIO = ['aac', 'mp3'] as const;

export function flvVideoCodecName(id: number | string): string {
  if (typeof id === 'string') return FOURCC_VIDEO[id] ?? id;
  return FLV_VIDEO[id] ?? `flv_video_${id}`;
}

export function flvAudioCodecName(id: number): string {
  const name = FLV_AUDIO[id] ?? `flv_audio_${id}`;
  return name === 'mp3_8k' ? 'mp3' : name;
}

/** Null when recordable, otherwise a sentence naming the codec that is not. */
export function unsupportedCodecReason(video: string | null, audio: string | null): string | null {
  if (video === null && audio === null) return 'the stream carries neither audio nor video';
  if (video !== null && !(SUPPORTED_VIDEO as readonly string[]).includes(video)) {
    return `video codec ${video} is not recordable (supported: H.264, H.265, MPEG-4)`;
  }
  if (audio !== null && !(SUPPORTED_AUDIO as readonly string[]).includes(audio)) {
    return `audio codec ${audio} is not recordable (supported: AAC, MP3)`;
  }
  return null;
}
