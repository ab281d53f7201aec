import ffmpeg from 'fluent-ffmpeg';

export interface ProbedStream {
  codecType: string;
  codecName: string;
  width: number;
  height: number;
}

export interface ProbeResult {
  formatName: string;
  durationSec: number;
  streams: ProbedStream[];
}

export function probe(input: string): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(input, (err, data) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      resolve({
        formatName: data.format.format_name ?? '',
        durationSec: Number(data.format.duration ?? 0) || 0,
        streams: data.streams.map((s) => ({
          codecType: s.codec_type ?? '',
          codecName: s.codec_name ?? '',
          width: s.width ?? 0,
          height: s.height ?? 0,
        })),
      });
    });
  });
}
