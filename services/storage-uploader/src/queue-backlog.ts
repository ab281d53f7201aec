import type { MsgRequest } from '@nats-io/jetstream';
import type { Bus, UploadJob } from '../../../libs/bus/index.js';
import { recordingOf } from './recording-order.js';

/**
 * The durable half of the upload ordering: which jobs are still in the work queue,
 * by recording. LR_UPLOADS is a work-queue stream, so a job stays in it until it is
 * acknowledged, whichever uploader (or which incarnation, before a crash) holds it.
 *
 * One snapshot serves every waiting file: a scan of the messages between the
 * consumer's ack floor and its last delivery (deleted, i.e. done, ones are skipped
 * by the server), taken at most once per `maxAgeMs`; this process's own
 * acknowledgements are applied to it at once, so within one uploader a file
 * proceeds as soon as its recording's last earlier job is acknowledged.
 */
export class QueueBacklog {
  private present = new Map<number, string>();
  /** Every sequence up to here is reflected in `present`. */
  private scannedTo = 0;
  private scannedAt = 0;
  private scan: Promise<void> | null = null;
  private readonly ackedDuringScan = new Set<number>();

  constructor(private bus: Bus, private stream: string, private durable: string, private subject: string) {}

  /** This process acknowledged the job: it is out of the queue for good. */
  acked(seq: number): void {
    this.present.delete(seq);
    if (this.scan) this.ackedDuringScan.add(seq);
  }

  /** Stream sequences of jobs of `recordingId` before `seq` still in the queue, from a snapshot at most `maxAgeMs` old. */
  async earlierJobs(recordingId: string, seq: number, maxAgeMs: number): Promise<number[]> {
    if (this.scannedTo < seq - 1 || Date.now() - this.scannedAt > maxAgeMs) await this.rescan();
    const out: number[] = [];
    for (const [s, rec] of this.present) if (s < seq && rec === recordingId) out.push(s);
    return out.sort((a, b) => a - b);
  }

  private rescan(): Promise<void> {
    this.scan ??= this.readQueue().finally(() => {
      this.scan = null;
      this.ackedDuringScan.clear();
    });
    return this.scan;
  }

  private async readQueue(): Promise<void> {
    const startedAt = Date.now();
    const info = await this.bus.jsm.consumers.info(this.stream, this.durable);
    const end = info.delivered.stream_seq;
    const present = new Map<number, string>();
    for (let next = info.ack_floor.stream_seq + 1; next <= end;) {
      // STREAM.MSG.GET takes next_by_subj (the first message at or after seq), though the
      // client's type lists it only for direct gets, which this stream does not enable.
      const m = await this.bus.jsm.streams.getMessage(this.stream, { seq: next, next_by_subj: this.subject } as unknown as MsgRequest);
      if (!m || m.seq > end) break;
      let rec: string;
      try {
        rec = recordingOf(m.json<UploadJob>());
      } catch {
        rec = ''; // malformed: the consumer terminates (and logs) it; it holds back no recording
      }
      present.set(m.seq, rec);
      next = m.seq + 1;
    }
    for (const s of this.ackedDuringScan) present.delete(s);
    this.present = present;
    this.scannedTo = end;
    this.scannedAt = startedAt;
  }
}
