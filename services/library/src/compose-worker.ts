// AutoCompose: the cycle files of one recording and format, merged into one new
// asset (originals kept). m3u8: one playlist over the same segments; flv and mp4:
// the files joined end to end with ffmpeg's concat demuxer, media copied.
import { mkdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { RpcFailure, type ComposeCandidate, type LibraryOps, type MediaAsset, type RegisterResult } from '../../../libs/bus/index.js';
import { concatFiles, probeMedia } from '../../../libs/media/index.js';
import { escapedTime, fileExtension } from '../../../libs/naming/index.js';
import type { StorageBackend, StorageRegistry } from '../../../libs/storage/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import { composedAssetId, mergedCoverKey } from './asset-registration.js';
import { download, readBytes, readText } from './object-files.js';
import { mergePlaylists } from './playlist-merge.js';

const CONTENT_TYPES: Record<string, string> = { m3u8: 'application/vnd.apple.mpegurl', flv: 'video/x-flv', mp4: 'video/mp4' };

/** Stored beside the first original: an m3u8 merge references the originals' segments relative to it. */
export function mergedKey(first: Pick<MediaAsset, 'objectKey' | 'startMs' | 'format'>, endMs: number): string {
  return posix.join(posix.dirname(first.objectKey), `${escapedTime(first.startMs)}_${escapedTime(endMs)}_merged${fileExtension(first.format)}`);
}

export class ComposeWorker {
  constructor(
    private readonly ops: LibraryOps,
    private readonly storage: StorageRegistry,
    private readonly workDir: string,
    private readonly log: Logger,
    /** created: false when the merge was registered before (a redelivered job). */
    private readonly onReady: (asset: MediaAsset, created: boolean) => Promise<void>,
  ) {}

  async run(job: ComposeCandidate): Promise<void> {
    const assetId = composedAssetId(job.recordingId, job.format);
    const existing = await this.ops.getAsset({ assetId });
    // Merged before (a redelivered job): what follows the merge is idempotent, so it runs again.
    if (existing) return this.onReady(existing, false);
    const originals: MediaAsset[] = [];
    for (const id of job.assetIds) {
      const a = await this.ops.getAsset({ assetId: id });
      if (!a) {
        this.log.warn({ recordingId: job.recordingId, format: job.format, missing: id }, 'a cycle file was deleted before the merge; not merged');
        return;
      }
      originals.push(a);
    }
    const first = originals[0];
    const last = originals[originals.length - 1];
    const key = mergedKey(first, last.endMs);
    const backend = this.storage.backendFor(first.storage);
    let size: number;
    let durationMs: number;
    let width = first.width;
    let height = first.height;
    if (job.format === 'm3u8') {
      const sources = [];
      for (const a of originals) sources.push({ key: a.objectKey, text: await readText(backend, a.objectKey) });
      const merged = mergePlaylists(sources, key);
      size = (await backend.putBytes(key, Buffer.from(merged.text), CONTENT_TYPES.m3u8)).size;
      durationMs = merged.durationMs;
    } else {
      const dir = join(this.workDir, `compose-${assetId}`);
      await mkdir(dir, { recursive: true });
      try {
        const inputs: string[] = [];
        for (const [i, a] of originals.entries()) {
          const path = join(dir, `${i}${fileExtension(a.format)}`);
          await download(backend, a.objectKey, path);
          inputs.push(path);
        }
        const out = join(dir, `merged${fileExtension(job.format)}`);
        await concatFiles(inputs, join(dir, 'list.txt'), out, job.format === 'mp4' ? 'mp4' : 'flv');
        const probed = await probeMedia(out);
        durationMs = probed.durationMs;
        width = probed.width || width;
        height = probed.height || height;
        size = (await backend.put(key, out, CONTENT_TYPES[job.format])).size;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const coverKey = await this.copyCover(backend, first, mergedCoverKey(key));
    let registered: RegisterResult;
    try {
      registered = await this.ops.registerAsset({
        assetId, title: first.stream.stream, tags: first.settings.tags, categoryName: first.settings.category,
        stream: first.stream, recordingId: job.recordingId, format: job.format, source: 'compose', recordId: null,
        sourceAssetIds: originals.map((a) => a.assetId), objectKey: key, storage: first.storage, url: backend.urlOf(key),
        size, durationMs, width, height, startMs: first.startMs, endMs: last.endMs, sequence: 0, settings: first.settings,
        coverUrl: coverKey ? backend.urlOf(coverKey) : null,
      });
    } catch (err) {
      // An original was deleted while this merge was made (DeleteVideo): an m3u8 merge could name
      // segments that went with it, and a merge of a recording the user is deleting is not wanted
      // anyway. The catalogue refuses it; what this job stored is deleted again.
      if (!(err instanceof RpcFailure && err.error.code === 'not_found')) throw err;
      await backend.delete(key);
      if (coverKey) await backend.delete(coverKey);
      this.log.warn({ recordingId: job.recordingId, format: job.format, assetId, err: err.message }, 'a cycle file was deleted while it was merged; merge discarded');
      return;
    }
    const { asset, created } = registered;
    this.log.info({ assetId, recordingId: job.recordingId, format: job.format, files: originals.length, objectKey: key, durationMs }, 'cycle files merged into one asset');
    await this.onReady(asset, created);
  }

  /**
   * Copies the first file's cover to the merge's own key (the first file's may be deleted
   * long before the merge); null when it has none or it cannot be read (the merge has no cover then).
   */
  private async copyCover(backend: StorageBackend, first: MediaAsset, coverKey: string): Promise<string | null> {
    if (!first.coverUrl) return null;
    // Every backend's URL of a key is its URL of '' followed by the key (covers' keys need no escaping).
    const base = backend.urlOf('');
    if (!first.coverUrl.startsWith(base)) {
      this.log.warn({ assetId: first.assetId, coverUrl: first.coverUrl }, 'the first file\'s cover is not in the merge\'s storage; the merge has no cover');
      return null;
    }
    const from = first.coverUrl.slice(base.length).split('/').map(decodeURIComponent).join('/');
    let image: Buffer;
    try {
      image = await readBytes(backend, from);
    } catch (err) {
      this.log.warn({ assetId: first.assetId, objectKey: from, err: (err as Error).message }, 'the first file\'s cover could not be read; the merge has no cover');
      return null;
    }
    await backend.putBytes(coverKey, image, 'image/jpeg');
    return coverKey;
  }
}
