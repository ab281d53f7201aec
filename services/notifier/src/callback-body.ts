import type { AssetReady, FileStored, MediaAsset, ProcessFinished, RecordingNotice } from '../../../libs/bus/index.js';

// The JSON bodies of the callbacks. Times are Unix seconds, as encoders' and
// customers' existing callback receivers expect.

export function fileCallbackBody(id: string, ev: FileStored): Record<string, unknown> {
  const f = ev.file;
  return {
    id,
    event: 'record_file',
    domain: f.stream.domain,
    app: f.stream.app,
    stream: f.stream.stream,
    uri: ev.objectKey,
    url: ev.url,
    format: f.format,
    duration: f.durationMs / 1000,
    start_time: Math.floor(f.startMs / 1000),
    stop_time: Math.floor(f.endMs / 1000),
    recording_id: f.recordingId,
    record_id: `${f.recordingId}-${f.format}-${f.sequence}`,
    push_args: f.pushArgs,
  };
}

export function noticeCallbackBody(id: string, ev: RecordingNotice): Record<string, unknown> {
  return {
    id,
    event: ev.notice,
    domain: ev.stream.domain,
    app: ev.stream.app,
    stream: ev.stream.stream,
    recording_id: ev.recordingId,
    time: Math.floor(ev.at / 1000),
    push_args: ev.pushArgs,
  };
}

// ---- Media library (services/library): asset_ready and process_finished. ----

function assetFields(a: MediaAsset): Record<string, unknown> {
  return {
    domain: a.stream.domain,
    app: a.stream.app,
    stream: a.stream.stream,
    video_id: a.assetId,
    title: a.title,
    format: a.format,
    source: a.source,
    uri: a.objectKey,
    url: a.url,
    duration: a.durationMs / 1000,
    recording_id: a.recordingId,
    cate_id: a.categoryId ?? '',
    tags: a.tags,
  };
}

export function assetReadyBody(id: string, ev: AssetReady): Record<string, unknown> {
  return { id, event: 'asset_ready', ...assetFields(ev.asset), source_video_ids: ev.asset.sourceAssetIds, time: Math.floor(ev.at / 1000) };
}

export function processFinishedBody(id: string, ev: ProcessFinished): Record<string, unknown> {
  const t = ev.task;
  return {
    id,
    event: 'process_finished',
    ...assetFields(ev.asset),
    task_id: t.taskId,
    template_group_id: t.groupId,
    status: t.status,
    error: t.error,
    attempts: t.attempts,
    renditions: ev.asset.renditions.filter((r) => r.groupId === t.groupId).map((r) => ({
      definition: r.definition, uri: r.objectKey, url: r.url, width: r.width, height: r.height, duration: r.durationMs / 1000, size: r.size,
    })),
    time: Math.floor(ev.at / 1000),
  };
}
