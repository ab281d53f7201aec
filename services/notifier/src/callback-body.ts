import type { FileStored, RecordingNotice } from '../../../libs/bus/index.js';

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
