// The index's thumbnail work: catalogues stored thumbnails and files' thumbnail tracks
// (lr.evt.thumbnail.*), answers a stream's thumbnails in a time range, attaches cover and
// track to described files, and forgets thumbnail records (and, when asked, their objects) past
// the segment retention.
import {
  CONSUMERS, INDEX_METHODS, STREAMS, SUBJECTS, consumeDurable, serve, streamToken,
  lastMessageOn, type Bus, type CatalogFile, type Running, type SnapshotInfoQuery, type SnapshotInfoResult, type StorageTarget, type StreamRef,
  type ThumbnailStored, type ThumbnailTrackStored
} from '../../../libs/bus/index.js';
import type { StorageBackend } from '../../../libs/storage/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import type { CatalogueStore } from './catalogue-store.js';
import type { RetentionPolicy } from './retention.js';
import { ThumbnailCatalogue } from './thumbnail-catalogue.js';
import { sweepThumbnails, type ThumbnailSweepResult } from './thumbnail-retention.js';

/**
 * Whether a stream is live, or was moments ago: anything of it on the media plane (kept for
 * LR_MEDIA_MAX_AGE_SECONDS; a live stream that is recorded or snapshotted publishes there).
 */
export async function onMediaPlane(bus: Bus, stream: StreamRef): Promise<boolean> {
  const last = await lastMessageOn(bus.jsm, STREAMS.media, SUBJECTS.media(streamToken(stream)));
  return last !== null;
}

export class ThumbnailIndex {
  private consumer: Running | null = null;
  private server: { stop(): void } | null = null;
  private catalogue!: ThumbnailCatalogue;

  constructor(private bus: Bus, private log: Logger, private backendFor: (target: StorageTarget) => StorageBackend) {}

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

  /**
   * Thumbnail records live as long as segment records (LR_RETENTION_SEGMENT_DAYS, per domain where
   * overridden); with deleteObjects their objects go too, except a live stream's "latest" object.
   */
  sweep(policy: Pick<RetentionPolicy, 'segmentDays' | 'domains' | 'deleteObjects'>, now = Date.now()): Promise<ThumbnailSweepResult> {
    return sweepThumbnails({ catalogue: this.catalogue, backendFor: this.backendFor, isLive: (s) => onMediaPlane(this.bus, s), log: this.log }, policy, now);
  }

  async stop(): Promise<void> {
    this.server?.stop();
    this.server = null;
    await this.consumer?.stop();
    this.consumer = null;
  }
}
