// Fills a running system's catalogue the way the storage-uploader does, by
// publishing its events, so tests of queries need no hours of real recording.
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { SUBJECTS, type FileStored, type SegmentStored, type StreamRef } from '../libs/bus/index.js';

export interface SeedOptions {
  stream: StreamRef;
  recordingId: string;
  /** Start of the first segment (ms); each segment and file follows the previous one. */
  startMs: number;
  segments?: number;
  segmentMs?: number;
  files?: number;
  fileMs?: number;
}

const LOCAL = { kind: 'local' as const, bucket: '', endpoint: '' };

/** Publishes `segments` SegmentStored and `files` FileStored events (m3u8); msgIDs are stable, so a repeat adds nothing. */
export async function seedCatalogue(natsUrl: string, o: SeedOptions): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc, { timeout: 10000 });
  const base = `record/${o.stream.app}/${o.stream.stream}`;
  const segmentMs = o.segmentMs ?? 2000;
  const fileMs = o.fileMs ?? 60000;
  const pending: Promise<unknown>[] = [];
  const flush = async (force = false) => {
    if (force || pending.length >= 256) await Promise.all(pending.splice(0));
  };
  try {
    for (let i = 0; i < (o.segments ?? 0); i++) {
      const startMs = o.startMs + i * segmentMs;
      const ev: SegmentStored = {
        objectKey: `${base}/${Math.floor(startMs / 1000)}_${i}.ts`, storage: LOCAL, size: 1000, sha256: '0'.repeat(64), url: `http://127.0.0.1/${base}/${i}.ts`,
        segment: { stream: o.stream, recordingId: o.recordingId, sequence: i, startMs, endMs: startMs + segmentMs, durationMs: segmentMs, discontinuity: false },
      };
      pending.push(js.publish(SUBJECTS.segmentStored, JSON.stringify(ev), { msgID: `seed-seg-${o.recordingId}-${i}` }));
      await flush();
    }
    for (let i = 0; i < (o.files ?? 0); i++) {
      const startMs = o.startMs + i * fileMs;
      const ev: FileStored = {
        objectKey: `${base}/file-${i}.m3u8`, storage: LOCAL, size: 100, sha256: '0'.repeat(64), url: `http://127.0.0.1/${base}/file-${i}.m3u8`,
        file: { stream: o.stream, recordingId: o.recordingId, format: 'm3u8', sequence: i, startMs, endMs: startMs + fileMs, durationMs: fileMs, width: 640, height: 360, segmentKeys: [], pushArgs: {} },
      };
      pending.push(js.publish(SUBJECTS.fileStored, JSON.stringify(ev), { msgID: `seed-file-${o.recordingId}-${i}` }));
      await flush();
    }
    await flush(true);
  } finally {
    await nc.close();
  }
}
