// Validation of template requests into RecordTemplate. Pure: every error names
// the request field in proto style, and nothing invalid reaches the store.
import { PACKAGED_FORMATS, RECORD_FORMATS, streamToken, type RecordFormat, type RecordTemplate, type TemplateFormat, type TriggerMode, type VodFormatSettings } from '../../../libs/bus/index.js';
import { inRange, type RecordLimits } from '../../../libs/config/index.js';
import { DEFAULT_FILE_PATTERN, DEFAULT_SEGMENT_PATTERN, DEFAULT_TRANSCODE_FILE_PATTERN, DEFAULT_TRANSCODE_SEGMENT_PATTERN, isSafeDomain, isSafeName, patternProblem } from '../../../libs/naming/index.js';
import type { AddLiveAppRecordConfigRequest, AddLiveRecordVodConfigRequest, RecordFormat as ProtoRecordFormat } from '../../../libs/proto/index.js';

export class ValidationError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
  }
}

export const TRIGGER_MODES: readonly TriggerMode[] = [0, 1, 2, 7];
export const DEFAULT_DELAY_SECONDS = 180;
export const DEFAULT_CYCLE_SECONDS = 180 * 60;
export const DEFAULT_SLICE_SECONDS = 30;
export const MAX_TRANSCODE_TEMPLATES = 10;


import { isConfiguredEndpoint } from '../../../libs/outbound/index.js';

export interface StorageCapabilities {
  /** Whether object storage other than local disk is configured. */
  s3: boolean;
  packaged: readonly RecordFormat[];
  /** The storage endpoints a template may name (configured ones); absent: any (unit tests of other rules). */
  endpoints?: readonly string[];
}

export const LOCAL_ONLY: StorageCapabilities = { s3: false, packaged: PACKAGED_FORMATS };

export function templateKeyFields(req: { domainName?: string; appName?: string; streamName?: string }): { domain: string; app: string; stream: string } {
  const domain = (req.domainName ?? '').trim().toLowerCase();
  if (!domain) throw new ValidationError('domain_name', 'is required');
  if (!isSafeDomain(domain)) throw new ValidationError('domain_name', `is not a valid domain name: "${domain}"`);
  const app = (req.appName ?? '').trim();
  const stream = (req.streamName ?? '').trim();
  if (!app) throw new ValidationError('app_name', 'is required ("*" for every app)');
  if (app !== '*' && !isSafeName(app)) throw new ValidationError('app_name', `must be "*" or letters, digits, - and _ (1..128), got "${app}"`);
  if (!stream) throw new ValidationError('stream_name', 'is required ("*" for every stream)');
  if (stream !== '*' && !isSafeName(stream)) throw new ValidationError('stream_name', `must be "*" or letters, digits, - and _ (1..128), got "${stream}"`);
  return { domain, app, stream };
}

export function templateId(key: { domain: string; app: string; stream: string }): string {
  return streamToken(key);
}

function trigger(value: number | undefined): TriggerMode {
  const v = value ?? 0;
  if (!(TRIGGER_MODES as readonly number[]).includes(v)) throw new ValidationError('on_demand', `must be 0 (automatic), 1 (on-demand callback), 2 (ingest parameter) or 7 (manual), got ${v}`);
  return v as TriggerMode;
}

function seconds(field: string, value: number | undefined, def: number, range: { min: number; max: number }): number {
  if (!value) return def;
  if (!Number.isInteger(value) || !inRange(value, range)) throw new ValidationError(field, `must be ${range.min}..${range.max} seconds, got ${value}`);
  return value;
}

function pattern(field: string, value: string | undefined, def: string): string {
  const p = (value ?? '').trim() || def;
  const problem = patternProblem(p);
  if (problem) throw new ValidationError(field, problem);
  return p;
}

function formatName(field: string, value: string | undefined, allowed: readonly RecordFormat[], caps: StorageCapabilities): RecordFormat {
  const f = (value ?? '').trim().toLowerCase();
  if (!f) throw new ValidationError(field, 'is required');
  if (!(allowed as readonly string[]).includes(f)) throw new ValidationError(field, `unknown format "${value}" (one of ${allowed.join(', ')})`);
  if (!caps.packaged.includes(f as RecordFormat)) throw new ValidationError(field, `format ${f} is not available in this build (available: ${caps.packaged.join(', ')})`);
  return f as RecordFormat;
}

function exclusiveFormats(field: string, formats: { format: RecordFormat }[]): void {
  const seen = new Set<string>();
  for (const f of formats) {
    if (seen.has(f.format)) throw new ValidationError(field, `lists ${f.format} twice`);
    seen.add(f.format);
  }
  if (seen.has('m3u8') && seen.has('cmaf')) throw new ValidationError(field, 'm3u8 and cmaf cannot be recorded together');
}

function ossFormats(field: string, list: ProtoRecordFormat[], limits: RecordLimits, caps: StorageCapabilities, transcode: boolean): TemplateFormat[] {
  const out = list.map((rf, i): TemplateFormat => {
    const f = `${field}[${i}]`;
    const format = formatName(`${f}.format`, rf.format, RECORD_FORMATS, caps);
    const segmented = format === 'm3u8' || format === 'cmaf';
    if (!segmented && rf.sliceDuration) throw new ValidationError(`${f}.slice_duration`, 'applies to m3u8 and cmaf only');
    return {
      format,
      cycleSeconds: seconds(`${f}.cycle_duration`, rf.cycleDuration, DEFAULT_CYCLE_SECONDS, limits.cycleSeconds),
      sliceSeconds: seconds(`${f}.slice_duration`, rf.sliceDuration, DEFAULT_SLICE_SECONDS, limits.sliceSeconds),
      filePattern: pattern(`${f}.oss_object_prefix`, rf.ossObjectPrefix, transcode ? DEFAULT_TRANSCODE_FILE_PATTERN : DEFAULT_FILE_PATTERN),
      segmentPattern: pattern(`${f}.slice_oss_object_prefix`, rf.sliceOssObjectPrefix, transcode ? DEFAULT_TRANSCODE_SEGMENT_PATTERN : DEFAULT_SEGMENT_PATTERN),
    };
  });
  exclusiveFormats(field, out);
  return out;
}

function transcodeTemplates(list: string[] | undefined): string[] {
  const ids = (list ?? []).map((s) => s.trim());
  if (ids.length > MAX_TRANSCODE_TEMPLATES) throw new ValidationError('transcode_templates', `at most ${MAX_TRANSCODE_TEMPLATES} transcoding templates, got ${ids.length}`);
  ids.forEach((id, i) => {
    if (!isSafeName(id)) throw new ValidationError(`transcode_templates[${i}]`, `is not a valid template id: "${id}"`);
  });
  if (new Set(ids).size !== ids.length) throw new ValidationError('transcode_templates', 'lists a template twice');
  return ids;
}

/** An object-storage template from an Add/Update request. */
export function validateOssTemplate(req: AddLiveAppRecordConfigRequest, limits: RecordLimits, caps: StorageCapabilities, now: number, createdMs = now): RecordTemplate {
  const key = templateKeyFields(req);
  const formats = ossFormats('record_format', req.recordFormat ?? [], limits, caps, false);
  const transcodeFormats = ossFormats('transcode_record_format', req.transcodeRecordFormat ?? [], limits, caps, true);
  const transcode = transcodeTemplates(req.transcodeTemplates);
  if (formats.length === 0 && transcodeFormats.length === 0) throw new ValidationError('record_format', 'needs at least one format');
  if (transcodeFormats.length > 0 && transcode.length === 0) throw new ValidationError('transcode_templates', 'is required when transcode_record_format is given');
  if (transcode.length > 0 && transcodeFormats.length === 0) throw new ValidationError('transcode_record_format', 'is required when transcode_templates is given');
  const mode = trigger(req.onDemand);
  // A start command starts the source's recording, and its renditions with it: renditions alone have none to start.
  if (mode === 7 && formats.length === 0) throw new ValidationError('on_demand', 'the manual trigger (7) needs record_format: a template of renditions only records no source stream, so no start command could start it');
  const bucket = (req.ossBucket ?? '').trim();
  const endpoint = (req.ossEndpoint ?? '').trim();
  if ((bucket || endpoint) && !caps.s3) throw new ValidationError(bucket ? 'oss_bucket' : 'oss_endpoint', 'no S3-compatible object storage is configured in this deployment; leave oss_bucket and oss_endpoint empty for local storage');
  if (endpoint && !bucket) throw new ValidationError('oss_bucket', 'is required when oss_endpoint is given');
  // The server signs requests to the endpoint with its own S3 credentials: only configured endpoints, never one a caller invents.
  if (endpoint && caps.endpoints && !isConfiguredEndpoint(endpoint, caps.endpoints)) throw new ValidationError('oss_endpoint', `is not one of the storage endpoints configured in this deployment (LR_S3_ENDPOINT, LR_S3_ENDPOINTS): "${endpoint.slice(0, 200)}"`);
  return {
    id: templateId(key), kind: 'oss', ...key,
    trigger: mode,
    delaySeconds: seconds('delay_time', req.delayTime, DEFAULT_DELAY_SECONDS, limits.delaySeconds),
    recordContent: [...(formats.length ? ['raw' as const] : []), ...(transcode.length ? ['transcode' as const] : [])],
    formats, transcodeFormats, transcodeTemplates: transcode,
    storage: bucket ? { kind: 's3', bucket, endpoint } : { kind: 'local', bucket: '', endpoint: '' },
    vod: null, createdMs, updatedMs: now,
  };
}

/** A media-library template from an AddLiveRecordVodConfig request. */
export function validateVodTemplate(req: AddLiveRecordVodConfigRequest, limits: RecordLimits, caps: StorageCapabilities, now: number): RecordTemplate {
  const key = templateKeyFields(req);
  const content = (req.recordContent?.length ? req.recordContent : ['raw']).map((c) => c.trim().toLowerCase());
  content.forEach((c, i) => {
    if (c !== 'raw' && c !== 'transcode') throw new ValidationError(`record_content[${i}]`, `must be raw or transcode, got "${c}"`);
  });
  const transcode = transcodeTemplates(req.transcodeTemplates);
  if (content.includes('transcode') && transcode.length === 0) throw new ValidationError('transcode_templates', 'is required when record_content includes transcode');
  if (!content.includes('transcode') && transcode.length > 0) throw new ValidationError('record_content', 'must include transcode when transcode_templates is given');
  const mode = trigger(req.onDemand);
  if (mode === 7 && !content.includes('raw')) throw new ValidationError('on_demand', 'the manual trigger (7) needs record_content to include raw: a template of renditions only records no source stream, so no start command could start it');
  const cycleSeconds = seconds('cycle_duration', req.cycleDuration, DEFAULT_CYCLE_SECONDS, limits.cycleSeconds);
  const list = req.recordFormat ?? [];
  if (list.length === 0) throw new ValidationError('record_format', 'needs at least one format');
  const settings: VodFormatSettings[] = [];
  const formats = list.map((rf, i): TemplateFormat => {
    const f = `record_format[${i}]`;
    const format = formatName(`${f}.format`, rf.format, ['m3u8', 'flv', 'mp4'], caps);
    if (format !== 'm3u8' && rf.sliceDuration) throw new ValidationError(`${f}.slice_duration`, 'applies to m3u8 only');
    const videoProcess = (rf.videoProcess ?? []).map((v) => v.trim().toLowerCase());
    videoProcess.forEach((v, j) => {
      if (v !== 'origin' && v !== 'compose') throw new ValidationError(`${f}.video_process[${j}]`, `must be origin or compose, got "${v}"`);
    });
    if (videoProcess.includes('compose') && !rf.autoCompose) throw new ValidationError(`${f}.video_process`, 'compose needs auto_compose');
    const method = (rf.processMethod ?? '').trim().toLowerCase();
    // A workflow would be accepted and then fail every task: refused here, where the caller sees it.
    if (method === 'workflow') throw new ValidationError(`${f}.process_method`, 'workflow is not available in this deployment; use transcode with a transcode template group (AddTranscodeTemplateGroup)');
    if (method && method !== 'transcode') throw new ValidationError(`${f}.process_method`, `must be transcode, got "${rf.processMethod}"`);
    if (videoProcess.length > 0 && !method) throw new ValidationError(`${f}.process_method`, 'is required when video_process is given');
    if (videoProcess.length > 0 && !(rf.processTemplateId ?? '').trim()) throw new ValidationError(`${f}.process_template_id`, 'is required when video_process is given');
    settings.push({
      format, autoCompose: !!rf.autoCompose, videoProcess, processMethod: method,
      processTemplateId: (rf.processTemplateId ?? '').trim(), category: (rf.category ?? '').trim(), tags: (rf.tags ?? []).map((t) => t.trim()).filter(Boolean),
    });
    return {
      format, cycleSeconds,
      sliceSeconds: seconds(`${f}.slice_duration`, rf.sliceDuration, DEFAULT_SLICE_SECONDS, limits.sliceSeconds),
      filePattern: DEFAULT_FILE_PATTERN, segmentPattern: DEFAULT_SEGMENT_PATTERN,
    };
  });
  exclusiveFormats('record_format', formats);
  return {
    id: templateId(key), kind: 'vod', ...key,
    trigger: mode,
    delaySeconds: seconds('delay_time', req.delayTime, DEFAULT_DELAY_SECONDS, limits.delaySeconds),
    recordContent: content as ('raw' | 'transcode')[],
    formats: content.includes('raw') ? formats : [],
    transcodeFormats: content.includes('transcode') ? formats.map((f) => ({ ...f, filePattern: DEFAULT_TRANSCODE_FILE_PATTERN, segmentPattern: DEFAULT_TRANSCODE_SEGMENT_PATTERN })) : [],
    transcodeTemplates: transcode,
    storage: { kind: 'local', bucket: '', endpoint: '' },
    vod: { spaceId: (req.spaceId ?? '').trim(), storageLocation: (req.storageLocation ?? '').trim(), formats: settings },
    createdMs: now, updatedMs: now,
  };
}

/** A transcoded rendition is recorded only when its transcoding template's app is * or the recording template's app. */
export function transcodeRecordable(transcodeTemplateApp: string, recordTemplateApp: string): boolean {
  return transcodeTemplateApp === '*' || transcodeTemplateApp === recordTemplateApp;
}
