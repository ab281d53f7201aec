import type { UploadJob } from '../../../libs/bus/index.js';

/**
 * The recording an upload job belongs to. The recorder publishes a recording's jobs
 * in order (segments before the files that list them), so this is the ordering key.
 * Segment and file jobs carry it in their metadata; init jobs only in their id
 * (`{recordingId}:init:…`), unless the job carries an explicit `recordingId`.
 */
export function recordingOf(job: UploadJob): string {
  const explicit = (job as { recordingId?: unknown }).recordingId;
  if (typeof explicit === 'string' && explicit) return explicit;
  if (job.kind === 'segment') return job.segment.recordingId;
  if (job.kind === 'file') return job.file.recordingId;
  return job.id.split(':')[0];
}

/**
 * Which jobs of each recording this process is storing right now, by stream
 * sequence, and a signal whenever that changes. A file job waits here, without
 * polling, for the earlier jobs of its recording that this process is handling.
 */
export class RecordingOrder {
  private readonly running = new Map<string, Set<number>>();
  private readonly listeners = new Map<string, Set<() => void>>();

  started(recordingId: string, seq: number): void {
    let set = this.running.get(recordingId);
    if (!set) this.running.set(recordingId, (set = new Set()));
    set.add(seq);
    this.notify(recordingId);
  }

  finished(recordingId: string, seq: number): void {
    const set = this.running.get(recordingId);
    if (!set?.delete(seq)) return;
    if (set.size === 0) this.running.delete(recordingId);
    this.notify(recordingId);
  }

  /** Jobs of the recording before `seq` that are being stored here now. */
  runningBefore(recordingId: string, seq: number): number[] {
    return [...(this.running.get(recordingId) ?? [])].filter((s) => s < seq);
  }

  /** Resolves at the next start or finish of a job of the recording (or when the signal aborts). */
  nextChange(recordingId: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.listeners.get(recordingId);
      if (!set) this.listeners.set(recordingId, (set = new Set()));
      const done = () => {
        const s = this.listeners.get(recordingId);
        s?.delete(done);
        if (s?.size === 0) this.listeners.delete(recordingId);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
      if (signal?.aborted) done();
    });
  }

  /** Recordings with jobs in progress or waiters (for tests and leak checks). */
  get size(): number {
    return new Set([...this.running.keys(), ...this.listeners.keys()]).size;
  }

  private notify(recordingId: string): void {
    for (const fn of [...(this.listeners.get(recordingId) ?? [])]) fn();
  }
}
