// What a stored file of a media-library recording becomes in the library. Pure.
import { createHash } from 'node:crypto';
import type { AssetRegistration, FileStored, RecordFormat, VodFileSettings } from '../../../libs/bus/index.js';

/** Asset ids are derived from what identifies the asset, so a redelivered event registers nothing new. */
export function assetIdOf(identity: string): string {
  return `v${createHash('sha256').update(identity).digest('hex').slice(0, 31)}`;
}

/** The catalogue's record id of a recorder's file (services/index fileRecordId). */
export function recordIdOf(recordingId: string, format: string, sequence: number): string {
  return `${recordingId}-${format}-${sequence}`;
}

export function originalAssetId(recordingId: string, format: string, sequence: number): string {
  return assetIdOf(`record\n${recordIdOf(recordingId, format, sequence)}`);
}

export function composedAssetId(recordingId: string, format: RecordFormat): string {
  return assetIdOf(`compose\n${recordingId}\n${format}`);
}

/** null for a file that is not a media-library recording's. */
export function registrationOf(ev: FileStored): AssetRegistration | null {
  const f = ev.file;
  if (!f.vod) return null;
  const settings: VodFileSettings = f.vod;
  return {
    assetId: originalAssetId(f.recordingId, f.format, f.sequence),
    // The vendor's rule: a media-library recording is named after its stream.
    title: f.stream.stream,
    tags: settings.tags,
    categoryName: settings.category,
    stream: f.stream,
    recordingId: f.recordingId,
    format: f.format,
    source: 'record',
    recordId: recordIdOf(f.recordingId, f.format, f.sequence),
    sourceAssetIds: [],
    objectKey: ev.objectKey,
    storage: ev.storage,
    url: ev.url,
    size: ev.size,
    durationMs: f.durationMs,
    width: f.width,
    height: f.height,
    startMs: f.startMs,
    endMs: f.endMs,
    sequence: f.sequence,
    settings,
  };
}

/** Which automatic processing an asset gets: its format's template group, when video_process names its kind. */
export function processingOf(settings: VodFileSettings, source: 'record' | 'compose'): { groupId: string; trigger: 'origin' | 'compose' } | null {
  const trigger = source === 'record' ? 'origin' : 'compose';
  if (!settings.videoProcess.includes(trigger) || !settings.processTemplateId) return null;
  return { groupId: settings.processTemplateId, trigger };
}

/**
 * A merge's own cover image (a copy of its first file's): beside the merged object, named
 * after all of it (the formats of one recording merge into objects that differ only by their
 * extension), so it is that merge's alone and goes with it (DeleteVideo, services/index library-rpc.ts).
 */
export function mergedCoverKey(mergedKey: string): string {
  return `${mergedKey}.cover.jpg`;
}
