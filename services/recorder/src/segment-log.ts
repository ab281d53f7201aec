// The segment list of a recording lives on a log, not in the actor's snapshot:
// every closed segment is appended to lr.evt.segment.{recordingId}, and a file
// is packaged from the records of its sequence range. A snapshot thus stays the
// same size however long the recording runs, and any worker can package a file.
import { DeliverPolicy } from '@nats-io/jetstream';
import { STREAMS, SUBJECTS, publishDurable, readOrdered, type Bus } from '../../../libs/bus/index.js';
import type { SegmentRecord } from './stream-machine.js';

export interface LoggedSegment extends SegmentRecord {
  recordingId: string;
  generation: number;
}

export async function appendSegment(bus: Bus, recordingId: string, generation: number, segment: SegmentRecord): Promise<void> {
  const rec: LoggedSegment = { ...segment, recordingId, generation };
  await publishDurable(bus, SUBJECTS.recordingSegment(recordingId), rec, `${recordingId}:segrec:${segment.sequence}:g${generation}`);
}

const READ_TIMEOUT_MS = 30000;

/**
 * The records of segments [first, first + count) of a recording, in order. A
 * segment replayed after a takeover is logged again; the latest record wins.
 */
export async function readSegments(bus: Bus, recordingId: string, first: number, count: number): Promise<SegmentRecord[]> {
  const subject = SUBJECTS.recordingSegment(recordingId);
  const found = new Map<number, SegmentRecord>();
  // Read up to the log's last record as it is now, then stop: no waiting for more.
  const last = await bus.jsm.streams.getMessage(STREAMS.events, { last_by_subj: subject }).catch((err: unknown) => {
    if (/no message found|not found/i.test(String((err as Error).message))) return null;
    throw err;
  });
  if (last) {
    const messages = await readOrdered(bus, STREAMS.events, { filter_subjects: subject, deliver_policy: DeliverPolicy.All }, { maxMessages: 500 });
    const timer = setTimeout(() => messages.stop(), READ_TIMEOUT_MS);
    try {
      for await (const m of messages) {
        const rec = m.json<LoggedSegment>();
        if (rec.sequence >= first && rec.sequence < first + count) {
          const { recordingId: _r, generation: _g, ...segment } = rec;
          found.set(rec.sequence, segment);
        }
        if (m.seq >= last.seq) break;
      }
    } finally {
      clearTimeout(timer);
      messages.stop();
    }
  }
  const out: SegmentRecord[] = [];
  for (let seq = first; seq < first + count; seq++) {
    const s = found.get(seq);
    if (!s) throw new Error(`segment ${seq} of recording ${recordingId} is missing from its segment log`);
    out.push(s);
  }
  return out;
}
