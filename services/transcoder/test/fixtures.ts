// Shared by the transcoder's broker-backed tests: a source session on the media
// plane (made by the ingest's own publisher), its demand, and a template.
import { readFileSync } from 'node:fs';
import { SUBJECTS, streamToken, type Bus, type StreamRef, type TranscodeDemand, type TranscodeTemplate } from '../../../libs/bus/index.js';
import { FlvStreamReader } from '../../../libs/media/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { makeTestMedia } from '../../../test-kit/index.js';
import { MediaPublisher } from '../../ingest/src/media-publisher.js';

export const log = componentLogger('transcoder-test');
export const counters = { batches: () => undefined, bytes: () => undefined, failures: () => undefined };

export const TEMPLATE: TranscodeTemplate = {
  domain: 'localhost', app: '*', id: 'ld', type: 'h264', width: 0, height: 180, fps: 25, gop: 25, videoKbps: 200, audioKbps: 48, createdMs: 0, updatedMs: 0,
};

/** Puts a test file's packets on the media plane as one live session of `source` (not ended: `publisher.end()` ends it). */
export async function publishSource(bus: Bus, source: StreamRef, sessionId: string, seconds: number): Promise<{ publisher: MediaPublisher; startSeq: number }> {
  const publisher = new MediaPublisher(bus, SUBJECTS.media(streamToken(source)), sessionId, 1000, log, counters);
  for (const t of new FlvStreamReader().push(readFileSync(makeTestMedia('h264-aac', seconds)))) {
    publisher.onPacket({ codec_type: t.type, flags: 0, dts: t.timestampMs, size: t.body.length, data: t.body });
  }
  return { publisher, startSeq: await publisher.firstSeq };
}

export function demandOf(source: StreamRef, sourceSessionId: string, startSeq: number | null): TranscodeDemand {
  return {
    source, sourceSessionId, media: { subject: SUBJECTS.media(streamToken(source)), startSeq, startMs: Date.now() },
    sourceCodecs: { video: 'h264', audio: 'aac', width: 640, height: 360, fps: 25, videoBitrateKbps: 800 },
    params: {}, transcodeTemplateId: TEMPLATE.id, recordTemplateId: 'r1', at: Date.now(),
  };
}
