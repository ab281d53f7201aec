// The index's thumbnail work: catalogues stored thumbnails and files' thumbnail tracks
// (lr.evt.thumbnail.*), answers a stream's thumbnails in a time range, attaches cover and
// track to described files, and forgets thumbnail records past the segment retention.
import {
  CONSUMERS, INDEX_METHODS, STREAMS, SUBJECTS, consumeDurable, serve,
  type Bus, type CatalogFile, type Running, type SnapshotInfoQuery, type SnapshotInfoResult, type ThumbnailStored, type ThumbnailTrackStored,
} from '../../../libs/bus/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import type { CatalogueStore } from './catalogue-store.js';
import type { RetentionPolicy } from './retention.js';
import { ThumbnailCatalogue } from './thumbnail-catalogue.js';

const DAY_MS = 24 * 3600 * 1000;

export class ThumbnailIndex {
  private consumer: Running | null = null;
  private server: { stop(): void } | null = null;
  private catalogue!: ThumbnailCatalogue;

  constructor(private bus: Bus, private log: Logger) {}

  async start(store: CatalogueStore): Promise<void> {
    this.catalogue = new ThumbnailCatalogue(store.db);
    this.consumer = await consumeDurable<ThumbnailStored | ThumbnailTrackStored>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.indexThumbnails, filterSubject: SUBJECTS.thumbnailsAll,
      component: 'index', log: this.log, concurrency: 1,
    }, async (ev, msg) => {
      if (msg.subject === SUBJECTS.thumbnailStored) await this.catalogue.addThumbnail(ev as ThumbnailStored);
      else if (msg.subject === SUBJECTS.thumbnailTrack) await this.catalogue.addTrack(ev as ThumbnailTrackStored);
      else this.log.warn({ subject: msg.subject }, 'unknown thumbnail event ignored');
    });
    this.server = serve<SnapshotInfoQuery, SnapshotInfoResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.snapshotInfo), 'index', this.log, (q) => this.catalogue.snapshotInfo(q), 'index');
  }

  /** Files as described, with their cover image and thumbnail track where known. */
  withThumbnails<F extends CatalogFile>(files: F[]): Promise<F[]> {
    return this.catalogue.withThumbnails(files);
  }

  /** Thumbnail records live as long as segment records (LR_RETENTION_SEGMENT_DAYS, per domain where overridden). */
  async sweep(policy: Pick<RetentionPolicy, 'segmentDays' | 'domains'>, now = Date.now()): Promise<void> {
    const overridden = Object.keys(policy.domains);
    let n = await this.catalogue.expire(now - policy.segmentDays * DAY_MS, now - DAY_MS, { except: overridden });
    for (const d of overridden) n += await this.catalogue.expire(now - policy.domains[d].segmentDays * DAY_MS, now - DAY_MS, { only: d });
    if (n > 0) this.log.info({ thumbnails: n }, 'expired thumbnail records');
  }

  async stop(): Promise<void> {
    this.server?.stop();
    this.server = null;
    await this.consumer?.stop();
    this.consumer = null;
  }
}
