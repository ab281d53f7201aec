// The media library over gRPC: assets (SearchMedia, GetVideoInfo, UpdateVideoInfo,
// DeleteVideo), categories, processing template groups and tasks. Requests are
// validated here (errors name the field); the catalogue is the index's
// (lr.rpc.index.library_*), processing runs in services/library.
import {
  ASSET_STATUSES, SUBJECTS, TASK_STATUSES, libraryClient, publishDurable,
  type AssetSearchQuery, type AssetStatus, type Bus, type Category, type LibraryOps, type MediaAsset, type ProcessJob,
  type ProcessTask, type Rendition, type RenditionSpec, type TaskStatus, type TemplateGroup,
} from '../../../libs/bus/index.js';
import { isSafeName } from '../../../libs/naming/index.js';
import type * as pb from '../../../libs/proto/index.js';
import { invalid, notFound } from './grpc-errors.js';
import { domainField, formatTime, intInRange, nameField, parseTime, requireText, shown } from './request-fields.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export const MAX_TAGS = 16;
export const MAX_DELETE = 20;
export const MAX_TEMPLATES_PER_GROUP = 10;
const MAX_DIMENSION = 4096;

export function idField(field: string, value: string | undefined): string {
  const v = requireText(field, value);
  if (!ID.test(v)) throw invalid(field, `is not an id (letters, digits, - and _, 1..64 characters): ${shown(v)}`);
  return v;
}

function optionalId(field: string, value: string | undefined): string | null {
  return (value ?? '').trim() ? idField(field, value) : null;
}

/** Free text people read (titles, category names): bounded, one line. */
export function labelField(field: string, value: string | undefined, max: number): string {
  const v = requireText(field, value);
  if (Array.from(v).length > max) throw invalid(field, `at most ${max} characters, got ${Array.from(v).length}`);
  if (CONTROL.test(v)) throw invalid(field, `may not contain control characters: ${shown(v)}`);
  return v;
}

/** One tag: "|" and "," are what tag lists are joined and searched with. */
export function tagField(field: string, value: string | undefined): string {
  const v = labelField(field, value, 64);
  if (/[|,]/.test(v)) throw invalid(field, `may not contain "|" or ",": ${shown(v)}`);
  return v;
}

export function tagList(field: string, tags: string[]): string[] {
  if (tags.length > MAX_TAGS) throw invalid(field, `at most ${MAX_TAGS} tags, got ${tags.length}`);
  return [...new Set(tags.map((t, i) => tagField(`${field}[${i}]`, t)))];
}

function oneOf<T extends string>(field: string, value: string | undefined, allowed: readonly T[]): T | null {
  const v = (value ?? '').trim();
  if (!v) return null;
  const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (!hit) throw invalid(field, `must be one of ${allowed.join(', ')}, got ${shown(v)}`);
  return hit;
}

/** SearchMedia's request as a catalogue query. */
export function searchQuery(req: pb.SearchMediaRequest): AssetSearchQuery {
  const startMs = (req.startTime ?? '').trim() ? parseTime('start_time', req.startTime) : null;
  const endMs = (req.endTime ?? '').trim() ? parseTime('end_time', req.endTime) : null;
  if (startMs !== null && endMs !== null && endMs <= startMs) throw invalid('end_time', 'must be after start_time');
  const sort = (req.sortBy ?? '').trim() || 'CreationTime:Desc';
  const order = ({ 'creationtime:desc': 'desc', 'creationtime:asc': 'asc' } as const)[sort.toLowerCase()];
  if (!order) throw invalid('sort_by', `must be CreationTime:Desc or CreationTime:Asc, got ${shown(sort)}`);
  const tag = (req.tag ?? '').trim() ? tagField('tag', req.tag) : null;
  return {
    categoryId: optionalId('cate_id', req.cateId),
    domain: (req.domainName ?? '').trim() ? domainField('domain_name', req.domainName) : null,
    app: (req.appName ?? '').trim() ? nameField('app_name', req.appName) : null,
    stream: (req.streamName ?? '').trim() ? nameField('stream_name', req.streamName) : null,
    startMs, endMs,
    status: oneOf<AssetStatus>('status', req.status, ASSET_STATUSES),
    tag,
    title: (req.title ?? '').trim() ? labelField('title', req.title, 128) : null,
    source: oneOf('source', req.source, ['record', 'compose'] as const),
    pageNum: intInRange('page_no', req.pageNo, 1, 1, 1_000_000),
    pageSize: intInRange('page_size', req.pageSize, 10, 1, 100),
    order,
  };
}

/** A processing template group's renditions. */
export function renditionSpecs(list: pb.TranscodeTemplate[]): RenditionSpec[] {
  if (list.length === 0) throw invalid('transcode_template_list', 'needs at least one template');
  if (list.length > MAX_TEMPLATES_PER_GROUP) throw invalid('transcode_template_list', `at most ${MAX_TEMPLATES_PER_GROUP} templates, got ${list.length}`);
  const seen = new Set<string>();
  return list.map((t, i) => {
    const f = `transcode_template_list[${i}]`;
    const definition = requireText(`${f}.definition`, t.definition);
    if (!isSafeName(definition) || definition.length > 32) throw invalid(`${f}.definition`, `letters, digits, - and _ (1..32 characters), got ${shown(definition)}`);
    if (seen.has(definition)) throw invalid(`${f}.definition`, `"${definition}" is listed twice`);
    seen.add(definition);
    const dim = (name: string, v: number | undefined) => {
      const n = v ?? 0;
      // libx264 with 4:2:0 needs even sizes.
      if (!Number.isInteger(n) || n < 0 || n > MAX_DIMENSION || n % 2 !== 0) throw invalid(`${f}.${name}`, `must be an even number of pixels 0..${MAX_DIMENSION} (0 keeps the aspect ratio), got ${n}`);
      return n;
    };
    const width = dim('width', t.width);
    const height = dim('height', t.height);
    const container = (t.container ?? '').trim().toLowerCase() || 'mp4';
    if (container !== 'mp4') throw invalid(`${f}.container`, `must be mp4, got ${shown(t.container ?? '')}`);
    return {
      definition, width, height,
      videoBitrateKbps: intInRange(`${f}.video_bitrate`, t.videoBitrate, 0, 50, 50_000),
      audioBitrateKbps: intInRange(`${f}.audio_bitrate`, t.audioBitrate, 0, 16, 512),
      container: 'mp4',
    };
  });
}

function storageLocation(a: Pick<MediaAsset, 'storage'>): string {
  return a.storage.kind === 'local' ? 'local' : `s3:${a.storage.bucket}`;
}

function toCategory(c: Category): pb.VideoCategory {
  return { cateId: c.id, cateName: c.name, parentId: c.parentId ?? '', level: c.level };
}

function toGroup(g: TemplateGroup): pb.TranscodeTemplateGroup {
  return {
    transcodeTemplateGroupId: g.id, name: g.name, createTime: formatTime(g.createdMs),
    transcodeTemplateList: g.templates.map((t) => ({ definition: t.definition, width: t.width, height: t.height, videoBitrate: t.videoBitrateKbps, audioBitrate: t.audioBitrateKbps, container: t.container })),
  };
}

export function toTask(t: ProcessTask): pb.TranscodeTask {
  return {
    transcodeTaskId: t.taskId, videoId: t.assetId, templateGroupId: t.groupId, taskStatus: t.status, error: t.error, attempts: t.attempts,
    trigger: t.trigger, creationTime: formatTime(t.createdMs), completeTime: t.completedMs === null ? '' : formatTime(t.completedMs),
  };
}

export class LibraryHandlers {
  private readonly ops: LibraryOps;

  /** signUrl: playback URLs as answered (signed where the deployment serves local storage). */
  constructor(private readonly bus: Bus, private readonly signUrl: (url: string) => string = (u) => u) {
    this.ops = libraryClient(bus);
  }

  private rendition(r: Rendition): pb.VideoRendition {
    return {
      renditionId: r.renditionId, templateGroupId: r.groupId, definition: r.definition, format: r.format, width: r.width, height: r.height,
      duration: r.durationMs / 1000, size: r.size, url: this.signUrl(r.url), objectKey: r.objectKey, createTime: formatTime(r.createdMs),
    };
  }

  toVideo(a: MediaAsset): pb.VideoInfo {
    return {
      videoId: a.assetId, title: a.title, tags: a.tags, status: a.status, size: a.size, duration: a.durationMs / 1000,
      cateId: a.categoryId ?? '', cateName: a.categoryName ?? '', coverUrl: a.coverUrl ? this.signUrl(a.coverUrl) : '',
      storageLocation: storageLocation(a), domainName: a.stream.domain, appName: a.stream.app, streamName: a.stream.stream,
      format: a.format, source: a.source, recordId: a.recordId ?? '', recordingId: a.recordingId,
      startTime: formatTime(a.startMs), endTime: formatTime(a.endMs), createTime: formatTime(a.createdMs), modifyTime: formatTime(a.updatedMs),
      url: this.signUrl(a.url), objectKey: a.objectKey, width: a.width, height: a.height,
      renditions: a.renditions.map((r) => this.rendition(r)), spaceId: a.settings.spaceId, sourceVideoIds: a.sourceAssetIds,
    };
  }

  private async asset(field: string, id: string): Promise<MediaAsset> {
    const a = await this.ops.getAsset({ assetId: id });
    if (!a) throw notFound(`${field}: video ${id} not found`);
    return a;
  }

  async search(req: pb.SearchMediaRequest): Promise<pb.SearchMediaResponse> {
    const q = searchQuery(req);
    const page = await this.ops.searchAssets(q);
    return { mediaList: page.items.map((a) => this.toVideo(a)), total: page.total, pageNo: q.pageNum, pageSize: q.pageSize };
  }

  async get(req: pb.GetVideoInfoRequest): Promise<pb.GetVideoInfoResponse> {
    return { video: this.toVideo(await this.asset('video_id', idField('video_id', req.videoId))) };
  }

  async update(req: pb.UpdateVideoInfoRequest): Promise<pb.UpdateVideoInfoResponse> {
    const assetId = idField('video_id', req.videoId);
    const title = req.title !== undefined ? labelField('title', req.title, 128) : undefined;
    const categoryId = req.cateId !== undefined ? optionalId('cate_id', req.cateId) : undefined;
    const tags = req.updateTags ? tagList('tags', req.tags ?? []) : undefined;
    if ((req.tags ?? []).length > 0 && !req.updateTags) throw invalid('update_tags', 'must be set to replace the tags with tags');
    if (title === undefined && categoryId === undefined && tags === undefined) throw invalid('title', 'nothing to update: give title, cate_id or tags with update_tags');
    return { video: this.toVideo(await this.ops.updateAsset({ assetId, title, categoryId, tags })) };
  }

  async delete(req: pb.DeleteVideoRequest): Promise<pb.DeleteVideoResponse> {
    const ids = req.videoIds ?? [];
    if (ids.length === 0) throw invalid('video_ids', 'is required');
    if (ids.length > MAX_DELETE) throw invalid('video_ids', `at most ${MAX_DELETE} ids, got ${ids.length}`);
    const assetIds = [...new Set(ids.map((id, i) => idField(`video_ids[${i}]`, id)))];
    const r = await this.ops.deleteAssets({ assetIds });
    return { nonExistVideoIds: r.missing, deletedObjects: r.deletedObjects };
  }

  async addCategory(req: pb.AddCategoryRequest): Promise<pb.AddCategoryResponse> {
    const name = labelField('cate_name', req.cateName, 64);
    return { category: toCategory(await this.ops.addCategory({ name, parentId: optionalId('parent_id', req.parentId) })) };
  }

  async getCategories(req: pb.GetCategoriesRequest): Promise<pb.GetCategoriesResponse> {
    const r = await this.ops.getCategories({
      categoryId: optionalId('cate_id', req.cateId),
      pageNum: intInRange('page_no', req.pageNo, 1, 1, 1_000_000),
      pageSize: intInRange('page_size', req.pageSize, 10, 1, 100),
    });
    return { ...(r.category ? { category: toCategory(r.category) } : {}), subCategories: r.children.items.map(toCategory), subTotal: r.children.total };
  }

  async deleteCategory(req: pb.DeleteCategoryRequest): Promise<pb.DeleteCategoryResponse> {
    await this.ops.deleteCategory({ categoryId: idField('cate_id', req.cateId) });
    return {};
  }

  async addGroup(req: pb.AddTranscodeTemplateGroupRequest): Promise<pb.AddTranscodeTemplateGroupResponse> {
    const name = labelField('name', req.name, 128);
    const id = optionalId('transcode_template_group_id', req.transcodeTemplateGroupId);
    const templates = renditionSpecs(req.transcodeTemplateList ?? []);
    return { transcodeTemplateGroup: toGroup(await this.ops.addGroup({ id, name, templates })) };
  }

  async listGroups(): Promise<pb.ListTranscodeTemplateGroupResponse> {
    return { transcodeTemplateGroupList: (await this.ops.listGroups({})).map(toGroup) };
  }

  async deleteGroup(req: pb.DeleteTranscodeTemplateGroupRequest): Promise<pb.DeleteTranscodeTemplateGroupResponse> {
    await this.ops.deleteGroup({ groupId: idField('transcode_template_group_id', req.transcodeTemplateGroupId) });
    return {};
  }

  async submit(req: pb.SubmitTranscodeJobsRequest): Promise<pb.SubmitTranscodeJobsResponse> {
    const assetId = idField('video_id', req.videoId);
    const groupId = idField('template_group_id', req.templateGroupId);
    await this.asset('video_id', assetId);
    if (!(await this.ops.getGroup({ groupId }))) throw notFound(`template_group_id: transcode template group ${groupId} not found`);
    const { task } = await this.ops.createTask({ assetId, groupId, trigger: 'manual' });
    const job: ProcessJob = { taskId: task.taskId };
    await publishDurable(this.bus, SUBJECTS.libraryProcess, job, `process:${task.taskId}`);
    return { transcodeTask: toTask(task) };
  }

  async listTasks(req: pb.ListTranscodeTaskRequest): Promise<pb.ListTranscodeTaskResponse> {
    const page = await this.ops.listTasks({
      assetId: optionalId('video_id', req.videoId),
      status: oneOf<TaskStatus>('task_status', req.taskStatus, TASK_STATUSES),
      pageNum: intInRange('page_no', req.pageNo, 1, 1, 1_000_000),
      pageSize: intInRange('page_size', req.pageSize, 10, 1, 100),
    });
    return { transcodeTaskList: page.items.map(toTask), total: page.total };
  }

  async getTask(req: pb.GetTranscodeTaskRequest): Promise<pb.GetTranscodeTaskResponse> {
    const taskId = idField('transcode_task_id', req.transcodeTaskId);
    const task = await this.ops.getTask({ taskId });
    if (!task) throw notFound(`transcode_task_id: task ${taskId} not found`);
    return { transcodeTask: toTask(task) };
  }
}
