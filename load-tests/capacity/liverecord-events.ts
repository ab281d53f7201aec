// Reads liverecord's durable event log (JetStream stream LR_EVENTS) once, after the
// measurement, for the timing figures. Only subjects and payload fields that are part
// of libs/bus (the system's contract between services) are used; the time an event
// was stored is JetStream's own timestamp, so no payload field is needed for it.
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { STREAMS, SUBJECTS, type FileStored, type IngestUnpublished, type SegmentStored } from '../../libs/bus/index.js';

export interface StoredSegmentEvent {
  stream: string;
  /** When the storage event was written (JetStream timestamp), epoch ms. */
  storedAtMs: number;
  /** The segment's end as the recorder states it (SegmentMeta.endMs), epoch ms. */
  segmentEndMs: number;
}

export interface StoredFileEvent {
  stream: string;
  format: string;
  storedAtMs: number;
}

export interface EventLog {
  /** Last unpublish time of each stream (IngestUnpublished.at), epoch ms. */
  unpublishedAtMs: Map<string, number>;
  segments: StoredSegmentEvent[];
  files: StoredFileEvent[];
  totalEvents: number;
}

/** Every event of LR_EVENTS, read with one ordered consumer; bounded by a deadline. */
export async function readEventLog(natsUrl: string, timeoutMs = 60_000): Promise<EventLog> {
  const log: EventLog = { unpublishedAtMs: new Map(), segments: [], files: [], totalEvents: 0 };
  const nc = await connect({ servers: natsUrl });
  try {
    const js = jetstream(nc);
    // nats-server 2.9 allows one filter subject per consumer: read everything, filter here.
    const consumer = await js.consumers.get(STREAMS.events, { filter_subjects: SUBJECTS.eventsAll });
    const deadline = Date.now() + timeoutMs;
    let caughtUp = false;
    while (!caughtUp && Date.now() < deadline) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        log.totalEvents++;
        const storedAtMs = Number(m.info.timestampNanos) / 1e6;
        if (m.subject === SUBJECTS.segmentStored) {
          const ev = m.json<SegmentStored>();
          log.segments.push({ stream: ev.segment.stream.stream, storedAtMs, segmentEndMs: ev.segment.endMs });
        } else if (m.subject === SUBJECTS.fileStored) {
          const ev = m.json<FileStored>();
          log.files.push({ stream: ev.file.stream.stream, format: ev.file.format, storedAtMs });
        } else if (m.subject === SUBJECTS.ingestUnpublish) {
          const ev = m.json<IngestUnpublished>();
          const prev = log.unpublishedAtMs.get(ev.stream.stream) ?? 0;
          log.unpublishedAtMs.set(ev.stream.stream, Math.max(prev, ev.at));
        }
        if (m.info.pending === 0) {
          caughtUp = true;
          break; // ends the pull early instead of waiting for it to expire
        }
      }
      if (got === 0) caughtUp = true; // an empty fetch: nothing more to read
    }
    return log;
  } finally {
    await nc.close();
  }
}
