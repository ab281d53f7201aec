import type { StreamRef } from './payloads.js';

// Every subject, stream and bucket name of the system. Services never write
// subject strings of their own.

export const STREAMS = {
  /** Durable, replayable log of everything that happened. */
  events: 'LR_EVENTS',
  /** Work queue: a live stream to be taken by one recorder worker. */
  assign: 'LR_ASSIGN',
  /** Work queue: spool files to move into storage. */
  uploads: 'LR_UPLOADS',
  /** The media plane: every live stream's packets, short retention, replayable from a sequence. */
  media: 'LR_MEDIA',
  /** Work queue of the media library: merges (compose) and processing jobs, each taken by one library worker. */
  libraryJobs: 'LR_LIBRARY_JOBS',
} as const;

export const SUBJECTS = {
  eventsAll: 'lr.evt.>',
  ingestAll: 'lr.evt.ingest.>',
  ingestPublish: 'lr.evt.ingest.publish',
  ingestUnpublish: 'lr.evt.ingest.unpublish',
  /** A publish (or RTMP play) refused by publish authentication, with the reason; nothing of it is recorded. */
  ingestRefused: 'lr.evt.ingest.refused',
  /** A mutating gRPC call (audit trail): method, the caller's API key id, outcome. */
  apiAudit: 'lr.evt.api.audit',
  /** An outbound request (callback, on-demand, storage) refused by the outbound guard. */
  outboundRefused: 'lr.evt.outbound.refused',
  matchDecision: 'lr.evt.match.decision',
  recordingState: 'lr.evt.recording.state',
  recordingNotice: 'lr.evt.recording.notice',
  storageAll: 'lr.evt.storage.>',
  segmentStored: 'lr.evt.storage.segment',
  fileStored: 'lr.evt.storage.file',
  timerFired: 'lr.evt.timer.fired',
  callbackFailed: 'lr.evt.callback.failed',
  spoolPressure: 'lr.evt.spool.pressure',
  /** Segments closed by a recording, in order: the recording's segment list lives here, not in its snapshot. */
  recordingSegment: (recordingId: string) => `lr.evt.segment.${recordingId}`,
  recordingSegmentsAll: 'lr.evt.segment.>',
  assign: 'lr.work.assign',
  upload: 'lr.work.upload',
  mediaAll: 'lr.media.>',
  /** The media plane subject of one stream (binary packet batches, libs/media/media-batch.ts). */
  media: (token: string) => `lr.media.${token}`,
  /** Request/reply inbox of one stream actor. */
  actor: (token: string) => `lr.actor.${token}`,
  /** Request/reply queries answered by the index service. */
  indexRpc: (method: IndexMethod) => `lr.rpc.index.${method}`,
  /** Request/reply questions about actors, answered by any recorder worker (queue group). */
  recorderRpc: (method: RecorderMethod) => `lr.rpc.recorder.${method}`,
  /** Request/reply template, callback and decision management answered by the matcher. */
  matcherRpc: (method: MatcherMethod) => `lr.rpc.matcher.${method}`,
  /** Request/reply transcoding-template management answered by the transcoder (queue group). */
  transcoderRpc: (method: TranscoderMethod) => `lr.rpc.transcoder.${method}`,
  /** A rendition's transcoding began, ended or failed (libs/bus/transcode-payloads.ts). */
  transcodeState: 'lr.evt.transcode.state',
  /** An error that escaped every handler of a process (libs/runtime/escaped-errors.ts): logged, counted and evented. */
  processError: 'lr.evt.process.error',
  // ---- Media library (services/library, libs/bus/library-payloads.ts) ----
  /** An asset is ready (registered, or merged): an asset_ready callback. */
  libraryAssetReady: 'lr.evt.library.asset_ready',
  /** A processing task finished (succeeded or failed): a process_finished callback. */
  libraryProcessFinished: 'lr.evt.library.process_finished',
  libraryEventsAll: 'lr.evt.library.>',
  libraryCompose: 'lr.work.library.compose',
  libraryProcess: 'lr.work.library.process',
  libraryJobsAll: 'lr.work.library.>',
  /** The library's catalogue operations, answered by the index (queue group). */
  libraryOp: (op: string) => `lr.rpc.index.library_${op}`,
  // ---- end of media library ----
  /** A storage writer's view of its backend (libs/runtime/storage-health.ts); the api reports it at /healthz. */
  storageHealth: 'lr.evt.health.storage',
  /** A thumbnail stored by a recorder (libs/bus/thumbnail-payloads.ts). */
  thumbnailStored: 'lr.evt.thumbnail.stored',
  /** A recorded file's sprite sheets and WebVTT thumbnail track, stored. */
  thumbnailTrack: 'lr.evt.thumbnail.track',
  thumbnailsAll: 'lr.evt.thumbnail.>',
} as const;

export const INDEX_METHODS = {
  describeFiles: 'describe_files',
  describeFile: 'describe_file',
  createIndexFile: 'create_index_file',
  deleteRecords: 'delete_records',
  content: 'content',
  /** Usage figures per domain and month (peak recording channels, recorded minutes per format). */
  usage: 'usage',
  /** Streams recording now, per domain. */
  liveChannels: 'live_channels',
  /** A stream's catalogued thumbnails in a time range. */
  snapshotInfo: 'snapshot_info',
} as const;
export type IndexMethod = (typeof INDEX_METHODS)[keyof typeof INDEX_METHODS];

export const RECORDER_METHODS = {
  /** Does a stream have an actor (hosted or waiting for adoption)? */
  lookup: 'lookup',
} as const;
export type RecorderMethod = (typeof RECORDER_METHODS)[keyof typeof RECORDER_METHODS];

export const MATCHER_METHODS = {
  addTemplate: 'add_template',
  updateTemplate: 'update_template',
  addVodTemplate: 'add_vod_template',
  deleteTemplate: 'delete_template',
  listTemplates: 'list_templates',
  putNotify: 'put_notify',
  getNotify: 'get_notify',
  deleteNotify: 'delete_notify',
  lastDecision: 'last_decision',
} as const;
export type MatcherMethod = (typeof MATCHER_METHODS)[keyof typeof MATCHER_METHODS];

export const TRANSCODER_METHODS = {
  addTemplate: 'add_template',
  listTemplates: 'list_templates',
  deleteTemplate: 'delete_template',
} as const;
export type TranscoderMethod = (typeof TRANSCODER_METHODS)[keyof typeof TRANSCODER_METHODS];

export const BUCKETS = {
  /** Actor snapshots, one per live stream with a recording actor. */
  actors: 'lr_actors',
  /** Ownership leases of actors (TTL bucket, compare-and-set). */
  leases: 'lr_leases',
  /** Durable deadlines of the splice-timer. */
  timers: 'lr_timers',
  /** Recording templates (object storage and media library), keyed by (domain, app, stream). */
  templates: 'lr_templates',
  /** Recording callback configuration per domain. */
  notify: 'lr_notify',
  /** The last publish decision per stream. */
  decisions: 'lr_decisions',
  /** Transcoding templates keyed by (domain, app, template id). */
  transcodeTemplates: 'lr_transcode_templates',
  /** Renditions some recording needs now, keyed by (source stream, template id): the matcher writes, transcoders claim. */
  transcodeDemand: 'lr_transcode_demand',
  /** Which transcoder runs which rendition (TTL bucket, compare-and-set). */
  transcodeLeases: 'lr_transcode_leases',
  /** What a master playlist says of each variant (codecs), by source and by rendition stream. */
  transcodeVariants: 'lr_transcode_variants',
  /** Callback deliveries by event id (notifier): each id delivered once. */
  callbacks: 'lr_callbacks',
  /** API keys by key id: scope, name and the SHA-256 of the secret (never the secret). */
  apiKeys: 'lr_api_keys',
  /** Publish signing keys per domain set over gRPC (they override LR_PUBLISH_AUTH_KEYS). */
  publishAuth: 'lr_publish_auth',
  /** Snapshot (thumbnail) configurations keyed by (domain, app); the api writes, recorders watch. */
  snapshotConfigs: 'lr_snapshot_configs',
} as const;

export const CONSUMERS = {
  matcher: 'matcher',
  /** The matcher's reader of recording state changes (a manual start or stop starts or stops the renditions). */
  matcherRecordings: 'matcher-recordings',
  recorder: 'recorder',
  /** The transcoder's reader of stored files (master playlists over source and renditions). */
  transcoderMaster: 'transcoder-master',
  uploader: 'storage-uploader',
  index: 'index',
  /** The index's reader of recording state changes (which recordings are live now). */
  indexRecordings: 'index-recordings',
  /** The media library's readers: stored files (assets), recording ends (merges), and its two work queues. */
  libraryFiles: 'library-files',
  libraryRecordings: 'library-recordings',
  libraryCompose: 'library-compose',
  libraryProcess: 'library-process',
  /** The index's reader of stored thumbnails and thumbnail tracks. */
  indexThumbnails: 'index-thumbnails',
  /** Recorders' reader of publish decisions: thumbnails of live streams that are not recorded (one worker per decision). */
  recorderSnapshots: 'recorder-snapshots',
} as const;

/**
 * A subject- and key-safe token for a stream. Domains contain dots, which NATS
 * treats as separators, so the triple is base64url-encoded.
 */
export function streamToken(ref: StreamRef): string {
  return Buffer.from(`${ref.domain}/${ref.app}/${ref.stream}`, 'utf8').toString('base64url');
}

export function streamLabel(ref: StreamRef): string {
  return `${ref.domain}/${ref.app}/${ref.stream}`;
}
