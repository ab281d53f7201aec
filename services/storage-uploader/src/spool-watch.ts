import { SUBJECTS, publishDurable, type Bus, type SpoolPressure } from '../../../libs/bus/index.js';
import { dirSize } from '../../../libs/storage/index.js';
import { meter, type Logger } from '../../../libs/telemetry/index.js';

/** Tells the recorders when uploads fall behind so far that the spool passes its limit (nothing is dropped). */
export class SpoolWatch {
  private timer: NodeJS.Timeout | null = null;
  private full = false;
  private bytes = 0;

  constructor(private bus: Bus, private dir: string, private maxBytes: number, private log: Logger) {}

  start(everyMs = 5000): void {
    meter('storage-uploader').createObservableGauge('liverecord_spool_bytes', { description: 'Bytes waiting in the spool' }).addCallback((r) => r.observe(this.bytes));
    this.timer = setInterval(() => {
      this.check().catch((err: Error) => this.log.error({ err: err.message }, 'spool check failed'));
    }, everyMs);
  }

  private async check(): Promise<void> {
    this.bytes = await dirSize(this.dir);
    const full = this.bytes > this.maxBytes;
    if (full === this.full) return;
    const ev: SpoolPressure = { bytes: this.bytes, limit: this.maxBytes, full, at: Date.now() };
    (full ? this.log.error.bind(this.log) : this.log.info.bind(this.log))(ev, full ? 'spool over its limit: storage is falling behind' : 'spool back under its limit');
    await publishDurable(this.bus, SUBJECTS.spoolPressure, ev);
    // Only once announced: a failed publish is tried again at the next check.
    this.full = full;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
