// Every payload that crosses NATS. Producers and consumers import these types;
// nothing else defines a message shape.
import type { VodFileSettings } from './library-payloads.js';

export interface StreamRef {
  domain: string;
  app: string;
  stream: string;
}

export type RecordFormat = 'm3u8' | 'cmaf' | 'flv' | 'mp4';
export const RECORD_FORMATS: readonly RecordFormat[] = ['m3u8', 'cmaf', 'flv', 'mp4'];

export interface CodecInfo {
  /** h264, h265, mpeg4, or the FLV name of an unsupported codec; null when the stream has no video. */
  video: string | null;
  audio: string | null;
  width: number;
  height: number;
  fps: number;
  /** kbit/s from the encoder's metadata, 0 when unknown. */
  videoBitrateKbps: number;
}

/** A publisher went live on an ingest node. */
export interface IngestPublished {
  stream: StreamRef;
  sessionId: string;
  nodeId: string;
  clientAddress: string;
  /** The host the encoder connected to (from the tcUrl), before domain mapping. */
  host: string;
  codecs: CodecInfo;
  /** Publish URL query parameters, already URL-decoded. */
  params: Record<string, string | string[]>;
  /** Where the session's packets are on the media plane. */
  media: MediaOrigin;
  at: number;
  /** Set when the stream is a rendition made by the transcoder, not a publisher's push. */
  rendition?: RenditionOrigin;
}

/** What a rendition stream was transcoded from, and for which recording template. */
export interface RenditionOrigin {
  source: StreamRef;
  sourceSessionId: string;
  /** The transcoding template (its id is the stream name's suffix). */
  transcodeTemplateId: string;
  /** The recording template whose transcode_record_format the rendition is recorded with. */
  recordTemplateId: string;
}

/** The media-plane position of one publish session. */
export interface MediaOrigin {
  /** Subject of the stream's packets (lr.media.{token}). */
  subject: string;
  /** Sequence of the session's first batch in LR_MEDIA; null when it is not known (then startMs applies). */
  startSeq: number | null;
  /** When the session began (ms): where a consumer starts when startSeq is null. */
  startMs: number;
}

export interface IngestUnpublished {
  stream: StreamRef;
  sessionId: string;
  nodeId: string;
  at: number;
}

/** A publish or RTMP play refused by publish authentication (lr.evt.ingest.refused). */
export interface IngestRefused {
  stream: StreamRef;
  kind: 'publish' | 'play';
  sessionId: string;
  nodeId: string;
  clientAddress: string;
  /** missing, malformed, expired, tampered (signed with no key of the domain), no_key (the domain has none), play_disabled. */
  reason: string;
  at: number;
}

export type TriggerMode = 0 | 1 | 2 | 7;

export interface StorageTarget {
  kind: 'local' | 's3';
  bucket: string;
  endpoint: string;
}

export interface FormatPlan {
  format: RecordFormat;
  cycleSeconds: number;
  /** Object key pattern of the format's files, without extension. */
  filePattern: string;
}

/** What one recording writes: resolved from the template and trigger before the actor starts. */
export interface RecordingPlan {
  templateId: string;
  trigger: TriggerMode;
  delaySeconds: number;
  sliceSeconds: number;
  segmentContainer: 'ts' | 'fmp4';
  /** Object key pattern of segments, without extension. */
  segmentPattern: string;
  formats: FormatPlan[];
  storage: StorageTarget;
  /** The publish URL's callback_* parameters, handed back in file callbacks. */
  pushArgs: Record<string, string>;
  /** A media-library template's target (its files become media assets); absent for object storage. */
  vod?: VodSettings & { templateId: string };
}

export interface MatchDecision {
  stream: StreamRef;
  sessionId: string;
  record: boolean;
  /** Machine-readable reason: recording, no_template, unsupported_codec, ... */
  reason: string;
  detail: string;
  templateId: string | null;
  trigger: TriggerMode | null;
  plan: RecordingPlan | null;
  at: number;
  /** The publish decided on: a manual start asks for the template's renditions of this session. */
  publish?: IngestPublished;
}

/** Hands a live stream to a recorder worker (work queue: exactly one worker takes it). */
export interface RecordAssignment {
  recordingId: string;
  plan: RecordingPlan;
  publish: IngestPublished;
  /** False for manual mode: the actor waits, live, for a start command. */
  startRecording: boolean;
}

export type RecordCommand = 'start' | 'stop' | 'cancel_delay' | 'restart';
export const RECORD_COMMANDS: readonly RecordCommand[] = ['start', 'stop', 'cancel_delay', 'restart'];

/** Messages to one stream actor, on its inbox subject (request/reply). */
export type ActorMessage =
  | { type: 'publish'; publish: IngestPublished }
  | { type: 'unpublish'; unpublish: IngestUnpublished }
  | { type: 'command'; command: RecordCommand }
  | { type: 'timer'; timerId: string }
  | { type: 'status' };

export type ActorReply =
  | { ok: true; phase: string; recordingId: string }
  | { ok: false; code: 'failed_precondition' | 'not_found' | 'internal'; message: string; phase?: string };

export interface RecordingStateChanged {
  stream: StreamRef;
  recordingId: string;
  phase: string;
  previous: string;
  reason: string;
  at: number;
  /** When the recording ended (ended, failed): how many files of each format it made (the media library merges them). */
  files?: Partial<Record<RecordFormat, number>>;
}

export interface SegmentMeta {
  stream: StreamRef;
  recordingId: string;
  sequence: number;
  startMs: number;
  endMs: number;
  durationMs: number;
  discontinuity: boolean;
}

export interface FileMeta {
  stream: StreamRef;
  recordingId: string;
  format: RecordFormat;
  sequence: number;
  startMs: number;
  endMs: number;
  durationMs: number;
  width: number;
  height: number;
  segmentKeys: string[];
  pushArgs: Record<string, string>;
  /** A media-library recording's file: the template's settings of its format (the library registers it as an asset). */
  vod?: VodFileSettings;
}

/** recordingId orders a recording's jobs in the uploader (optional: older jobs carry it as the prefix of their id). */
export type UploadJob =
  | { kind: 'init'; id: string; recordingId?: string; spoolPath: string; objectKey: string; storage: StorageTarget; contentType: string }
  | { kind: 'segment'; id: string; recordingId?: string; spoolPath: string; objectKey: string; storage: StorageTarget; contentType: string; segment: SegmentMeta }
  | { kind: 'file'; id: string; recordingId?: string; spoolPath: string; objectKey: string; storage: StorageTarget; contentType: string; file: FileMeta };

export interface StoredObject {
  objectKey: string;
  storage: StorageTarget;
  size: number;
  sha256: string;
  url: string;
}

export interface SegmentStored extends StoredObject { segment: SegmentMeta }
export interface FileStored extends StoredObject { file: FileMeta }

/** A durable deadline kept by the splice-timer. */
export interface TimerEntry {
  timerId: string;
  stream: StreamRef;
  deadline: number;
}

export interface RpcError {
  code: 'invalid_argument' | 'not_found' | 'failed_precondition' | 'already_exists' | 'internal';
  message: string;
}
export type RpcReply<T> = { ok: true; result: T } | { ok: false; error: RpcError };

/** record_started, record_paused, record_resumed: the status notices of the callbacks. */
export interface RecordingNotice {
  stream: StreamRef;
  recordingId: string;
  notice: string;
  pushArgs: Record<string, string>;
  at: number;
}

/** A catalogued recording file as the index returns it. */
export interface CatalogFile {
  recordId: string;
  stream: StreamRef;
  recordingId: string;
  format: RecordFormat;
  sequence: number;
  objectKey: string;
  storage: StorageTarget;
  url: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  width: number;
  height: number;
  size: number;
  createdMs: number;
}

export interface DescribeFilesQuery {
  stream: StreamRef;
  startMs: number;
  endMs: number;
  pageNum: number;
  pageSize: number;
  order: 'asc' | 'desc';
}

export interface DescribeFilesResult {
  files: CatalogFile[];
  total: number;
}

export interface DescribeFileQuery {
  recordId: string;
  /** When given, the record must belong to this stream. */
  stream: StreamRef | null;
}

export interface TemplateFormat {
  format: RecordFormat;
  cycleSeconds: number;
  /** Segment length (m3u8 and cmaf). */
  sliceSeconds: number;
  /** Naming convention of files, without extension. */
  filePattern: string;
  /** Naming convention of segments, without extension. */
  segmentPattern: string;
}

export interface VodFormatSettings {
  format: RecordFormat;
  autoCompose: boolean;
  videoProcess: string[];
  processMethod: string;
  processTemplateId: string;
  category: string;
  tags: string[];
}

/** Media-library target of a vod template. */
export interface VodSettings {
  spaceId: string;
  storageLocation: string;
  formats: VodFormatSettings[];
}

/** A recording template: what to record for streams matching (domain, app, stream). */
export interface RecordTemplate {
  /** Derived from (domain, app, stream): one template per key, whatever its kind. */
  id: string;
  /** Object storage (oss) or media library (vod) target. */
  kind: 'oss' | 'vod';
  domain: string;
  app: string;
  stream: string;
  trigger: TriggerMode;
  delaySeconds: number;
  recordContent: ('raw' | 'transcode')[];
  formats: TemplateFormat[];
  transcodeFormats: TemplateFormat[];
  transcodeTemplates: string[];
  storage: StorageTarget;
  vod: VodSettings | null;
  createdMs: number;
  updatedMs: number;
}

/** Recording callbacks of one domain. */
export interface NotifyConfig {
  domain: string;
  notifyUrl: string;
  onDemandUrl: string;
  needStatusNotify: boolean;
  /** Secret: never logged, never returned by the API. */
  authKey: string;
  updatedMs: number;
}

/** The formats this build's recorder packages; templates may ask only for these. */
export const PACKAGED_FORMATS: readonly RecordFormat[] = ['m3u8', 'cmaf', 'flv', 'mp4'];

/** Management requests answered by the matcher (lr.rpc.matcher.*). */
export interface TemplateListQuery {
  kind: 'oss' | 'vod';
  domain: string;
  app: string;
  stream: string;
}

export interface TemplateKeyQuery {
  kind: 'oss' | 'vod';
  domain: string;
  app: string;
  stream: string;
}

export interface CreateIndexQuery {
  stream: StreamRef;
  startMs: number;
  endMs: number;
  endIncluded: boolean;
  target: StorageTarget;
  objectKey: string;
}

export interface CreateIndexResult {
  file: CatalogFile;
  segmentCount: number;
  discontinuityCount: number;
}

export interface DeleteRecordsQuery {
  stream: StreamRef;
  recordIds: string[];
  removeFile: boolean;
}

export interface DeleteRecordsResult {
  results: { recordId: string; message: 'OK' | 'NOT_FOUND' }[];
  deletedObjects: number;
}

export interface ContentQuery {
  stream: StreamRef;
  startMs: number;
  endMs: number;
}

export interface ContentRange {
  startMs: number;
  endMs: number;
}

/** The spool is above (or back under) its size limit: storage is falling behind. */
export interface SpoolPressure {
  bytes: number;
  limit: number;
  full: boolean;
  at: number;
}

/** The recorder's answer to "does this stream have an actor?" (lr.rpc.recorder.lookup). */
export interface ActorLookup {
  exists: boolean;
  /** The worker holding its lease; null while it waits for adoption. */
  owner: string | null;
}
