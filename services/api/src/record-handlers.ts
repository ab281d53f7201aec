import { status } from '@grpc/grpc-js';
import {
  INDEX_METHODS, RECORD_COMMANDS, SUBJECTS, call, isNoResponders, request, streamLabel, streamToken,
  type ActorMessage, type ActorReply, type Bus, type CatalogFile, type DescribeFileQuery, type DescribeFilesQuery,
  type DescribeFilesResult, type RecordCommand, type StorageTarget, type CreateIndexQuery, type CreateIndexResult,
  type DeleteRecordsQuery, type DeleteRecordsResult, type ContentQuery, type ContentRange,
} from '../../../libs/bus/index.js';
import { isSafeKey } from '../../../libs/naming/index.js';
import type * as pb from '../../../libs/proto/index.js';
import type {
  DescribeLiveStreamRecordIndexFileRequest, DescribeLiveStreamRecordIndexFileResponse,
  DescribeLiveStreamRecordIndexFilesRequest, DescribeLiveStreamRecordIndexFilesResponse,
  RealTimeRecordCommandRequest, RealTimeRecordCommandResponse, RecordIndexInfo,
} from '../../../libs/proto/index.js';
import { fileThumbnailFields } from './file-thumbnails.js';
import { ApiError, invalid, precondition } from './grpc-errors.js';
import { isConfiguredEndpoint } from '../../../libs/outbound/index.js';
import { localKeyConflict } from './local-key-conflict.js';
import { describeUsage } from './usage-handlers.js';
import { formatTime, intInRange, orderField, parseTime, recordIdField, requireText, shown, streamFields } from './request-fields.js';

const INDEX_DESCRIBE_FILES = SUBJECTS.indexRpc(INDEX_METHODS.describeFiles);
const INDEX_DESCRIBE_FILE = SUBJECTS.indexRpc(INDEX_METHODS.describeFile);
const INDEX_CREATE = SUBJECTS.indexRpc(INDEX_METHODS.createIndexFile);
const INDEX_DELETE = SUBJECTS.indexRpc(INDEX_METHODS.deleteRecords);
const INDEX_CONTENT = SUBJECTS.indexRpc(INDEX_METHODS.content);

const MAX_KEY = 1024;
const MAX_KEY_PART = 255;

/** S3 bucket naming rules (the subset every S3-compatible server accepts). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false; // not a URL at all: the caller names the field
  }
}

/** An actor's refusal as a status: "not found" is the caller's (no such recording), "internal" ours. */
const ACTOR_CODES: Record<string, status> = {
  failed_precondition: status.FAILED_PRECONDITION,
  not_found: status.NOT_FOUND,
  internal: status.INTERNAL,
};

export function toRecordIndexInfo(f: CatalogFile): RecordIndexInfo {
  return {
    recordId: f.recordId,
    recordUrl: f.url,
    ossObject: f.objectKey,
    ossBucket: f.storage.bucket,
    ossEndpoint: f.storage.endpoint,
    domainName: f.stream.domain,
    appName: f.stream.app,
    streamName: f.stream.stream,
    format: f.format,
    startTime: formatTime(f.startMs),
    endTime: formatTime(f.endMs),
    duration: f.durationMs / 1000,
    width: f.width,
    height: f.height,
    createTime: formatTime(f.createdMs),
    recordingId: f.recordingId,
    sequence: f.sequence,
    ...fileThumbnailFields(f),
  };
}

export class RecordHandlers {
  /**
   * signUrl: record_url as answered (signed for playback when the deployment serves it;
   * identity where playback is open). storageEndpoints: the oss_endpoint values a request
   * may name (configured ones only: the server signs requests to it with its credentials).
   */
  constructor(private bus: Bus, private s3Configured: boolean, private localRoot: string, private signUrl: (url: string) => string = (u) => u, private storageEndpoints: readonly string[] = []) {}

  private info(f: CatalogFile): RecordIndexInfo {
    return { ...toRecordIndexInfo(f), recordUrl: this.signUrl(f.url), ...fileThumbnailFields(f, this.signUrl) };
  }

  async describeFiles(req: DescribeLiveStreamRecordIndexFilesRequest): Promise<DescribeLiveStreamRecordIndexFilesResponse> {
    const stream = streamFields(req);
    const startMs = parseTime('start_time', req.startTime);
    const endMs = parseTime('end_time', req.endTime);
    if (endMs <= startMs) throw invalid('end_time', 'must be later than start_time');
    const pageNum = intInRange('page_num', req.pageNum, 1, 1, 1_000_000);
    const pageSize = intInRange('page_size', req.pageSize, 100, 1, 3000);
    const order = orderField(req.order);
    const result = await call<DescribeFilesQuery, DescribeFilesResult>(this.bus, INDEX_DESCRIBE_FILES, { stream, startMs, endMs, pageNum, pageSize, order });
    return {
      recordIndexInfoList: result.files.map((f) => this.info(f)),
      totalNum: result.total,
      pageNum,
      pageSize,
      order,
      totalPage: Math.ceil(result.total / pageSize),
    };
  }

  async describeFile(req: DescribeLiveStreamRecordIndexFileRequest): Promise<DescribeLiveStreamRecordIndexFileResponse> {
    const recordId = recordIdField('record_id', req.recordId);
    const anyStreamField = req.domainName || req.appName || req.streamName;
    const stream = anyStreamField ? streamFields(req) : null;
    const file = await call<DescribeFileQuery, CatalogFile>(this.bus, INDEX_DESCRIBE_FILE, { recordId, stream });
    return { recordIndexInfo: this.info(file) };
  }

  async createIndexFile(req: pb.CreateLiveStreamRecordIndexFilesRequest): Promise<pb.CreateLiveStreamRecordIndexFilesResponse> {
    const stream = streamFields(req);
    const startMs = parseTime('start_time', req.startTime);
    const endMs = parseTime('end_time', req.endTime);
    if (endMs <= startMs) throw invalid('end_time', 'must be later than start_time');
    let objectKey = requireText('oss_object', req.ossObject).replace(/^\/+/, '');
    if (!objectKey.endsWith('.m3u8')) objectKey += '.m3u8';
    if (!isSafeKey(objectKey)) throw invalid('oss_object', `is not a safe object key (letters, digits, - _ . / =, no empty, . or .. parts): ${shown(req.ossObject ?? '')}`);
    // S3 keys stop at 1024 bytes; on local disk each part is a file name, which stops at 255.
    if (objectKey.length > MAX_KEY) throw invalid('oss_object', `is longer than ${MAX_KEY} characters (${objectKey.length} with .m3u8)`);
    if (objectKey.split('/').some((part) => part.length > MAX_KEY_PART)) throw invalid('oss_object', `has a part longer than ${MAX_KEY_PART} characters`);
    const bucket = (req.ossBucket ?? '').trim();
    const endpoint = (req.ossEndpoint ?? '').trim();
    if (endpoint && !bucket) throw invalid('oss_bucket', 'is required when oss_endpoint is given');
    if (bucket && !this.s3Configured) throw invalid('oss_bucket', 'no S3-compatible object storage is configured in this deployment');
    if (bucket && !BUCKET_NAME.test(bucket)) throw invalid('oss_bucket', `is not a bucket name (3..63 lower-case letters, digits, . and -): ${shown(bucket)}`);
    if (endpoint && !isHttpUrl(endpoint)) throw invalid('oss_endpoint', `must be an http or https URL, got ${shown(endpoint)}`);
    if (endpoint && !isConfiguredEndpoint(endpoint, this.storageEndpoints)) throw invalid('oss_endpoint', `is not one of the storage endpoints configured in this deployment (LR_S3_ENDPOINT, LR_S3_ENDPOINTS): ${shown(endpoint)}`);
    const target: StorageTarget = bucket ? { kind: 's3', bucket, endpoint } : { kind: 'local', bucket: '', endpoint: '' };
    const conflict = target.kind === 'local' ? await localKeyConflict(this.localRoot, objectKey) : null;
    if (conflict) throw precondition(`oss_object: ${objectKey} cannot be written: ${conflict}`);
    const r = await call<CreateIndexQuery, CreateIndexResult>(this.bus, INDEX_CREATE, { stream, startMs, endMs, endIncluded: !!req.endTimeIncluded, target, objectKey }, 30000);
    return { recordInfo: this.info(r.file), segmentCount: r.segmentCount, discontinuityCount: r.discontinuityCount };
  }

  async deleteRecords(req: pb.DeleteLiveStreamRecordIndexFilesRequest): Promise<pb.DeleteLiveStreamRecordIndexFilesResponse> {
    const stream = streamFields(req);
    const given = req.recordId ?? [];
    if (given.length > 1000) throw invalid('record_id', `at most 1000 record ids per call, got ${given.length}`);
    const ids = given.map((id, i) => (id.trim() ? recordIdField(`record_id[${i}]`, id) : '')).filter(Boolean);
    if (ids.length === 0) throw invalid('record_id', 'at least one record id is required');
    const r = await call<DeleteRecordsQuery, DeleteRecordsResult>(this.bus, INDEX_DELETE, { stream, recordIds: ids, removeFile: !!req.removeFile }, 60000);
    return { recordDeleteInfoList: r.results, deletedObjects: r.deletedObjects };
  }

  async content(req: pb.DescribeLiveStreamRecordContentRequest): Promise<pb.DescribeLiveStreamRecordContentResponse> {
    const stream = streamFields(req);
    const startMs = parseTime('start_time', req.startTime);
    const endMs = parseTime('end_time', req.endTime);
    if (endMs <= startMs) throw invalid('end_time', 'must be later than start_time');
    const ranges = await call<ContentQuery, ContentRange[]>(this.bus, INDEX_CONTENT, { stream, startMs, endMs }, 30000);
    return { contentInfoList: ranges.map((r) => ({ startTime: formatTime(r.startMs), endTime: formatTime(r.endMs), duration: (r.endMs - r.startMs) / 1000 })) };
  }

  /** Usage figures per domain and month, from the catalogue (usage-handlers.ts). */
  async usage(req: pb.DescribeLiveRecordUsageRequest): Promise<pb.DescribeLiveRecordUsageResponse> {
    return describeUsage(this.bus, req);
  }

  async command(req: RealTimeRecordCommandRequest): Promise<RealTimeRecordCommandResponse> {
    const stream = streamFields(req);
    const command = requireText('command', req.command).toLowerCase();
    if (!(RECORD_COMMANDS as readonly string[]).includes(command)) {
      throw invalid('command', `must be one of ${RECORD_COMMANDS.join(', ')}, got ${shown(req.command ?? '')}`);
    }
    let reply: ActorReply;
    try {
      reply = await request<ActorMessage, ActorReply>(this.bus, SUBJECTS.actor(streamToken(stream)), { type: 'command', command: command as RecordCommand }, 15000);
    } catch (err) {
      if (isNoResponders(err)) {
        throw precondition(`stream ${streamLabel(stream)} has no recording: it is not live, or no recording template matched it`);
      }
      throw err;
    }
    if (!reply.ok) throw new ApiError(ACTOR_CODES[reply.code] ?? status.INTERNAL, reply.message);
    return { state: reply.phase, recordingId: reply.recordingId };
  }
}
