// Payloads of the media library (VOD): assets registered from media-library
// templates, their renditions, categories, processing template groups and tasks,
// and the operations on the library's catalogue tables (answered by the index).
import type { Page } from './rpc.js';
import type { RecordFormat, StorageTarget, StreamRef, VodFormatSettings } from './payloads.js';

/** What a file of a media-library recording carries to the library: the template's settings of its format. */
export interface VodFileSettings extends VodFormatSettings {
  templateId: string;
  spaceId: string;
  storageLocation: string;
}

/** record: one cycle file; compose: the merge of a recording's cycle files of one format. */
export type AssetSource = 'record' | 'compose';
export const ASSET_STATUSES = ['Normal', 'Processing', 'ProcessFailed'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

export interface Rendition {
  renditionId: string;
  assetId: string;
  groupId: string;
  definition: string;
  format: string;
  objectKey: string;
  storage: StorageTarget;
  url: string;
  width: number;
  height: number;
  durationMs: number;
  size: number;
  createdMs: number;
}

export interface MediaAsset {
  assetId: string;
  title: string;
  tags: string[];
  status: AssetStatus;
  categoryId: string | null;
  categoryName: string | null;
  /** Nullable until a cover image is made (thumbnails). */
  coverUrl: string | null;
  stream: StreamRef;
  recordingId: string;
  format: RecordFormat;
  source: AssetSource;
  /** The catalogued recording file (source record). */
  recordId: string | null;
  /** source compose: the merged assets, in order. */
  sourceAssetIds: string[];
  objectKey: string;
  storage: StorageTarget;
  url: string;
  size: number;
  durationMs: number;
  width: number;
  height: number;
  startMs: number;
  endMs: number;
  sequence: number;
  settings: VodFileSettings;
  createdMs: number;
  updatedMs: number;
  renditions: Rendition[];
}

/** An asset to catalogue (idempotent by assetId). */
export type AssetRegistration = Omit<MediaAsset, 'categoryId' | 'categoryName' | 'status' | 'coverUrl' | 'createdMs' | 'updatedMs' | 'renditions'> & {
  /** Category by name (the template's category): found or created at the top level. */
  categoryName: string;
  /** A merge's cover (its first file's); a recorded file's comes from its thumbnail track. */
  coverUrl?: string | null;
};

/** The cycle files of a recording's format, all registered, ready to merge. */
export interface ComposeCandidate {
  recordingId: string;
  format: RecordFormat;
  assetIds: string[];
}

export interface RegisterResult {
  asset: MediaAsset;
  created: boolean;
  compose: ComposeCandidate[];
}

export interface AssetSearchQuery {
  categoryId: string | null;
  domain: string | null;
  app: string | null;
  stream: string | null;
  startMs: number | null;
  endMs: number | null;
  status: AssetStatus | null;
  tag: string | null;
  title: string | null;
  source: AssetSource | null;
  pageNum: number;
  pageSize: number;
  order: 'asc' | 'desc';
}

export interface AssetUpdate {
  assetId: string;
  title?: string;
  /** null: no category. */
  categoryId?: string | null;
  tags?: string[];
}

export interface Category {
  id: string;
  name: string;
  parentId: string | null;
  level: number;
}

export interface CategoryListing {
  category: Category | null;
  children: Page<Category>;
}

/** One rendition of a processing template group: H.264/AAC MP4. */
export interface RenditionSpec {
  definition: string;
  width: number;
  height: number;
  videoBitrateKbps: number;
  audioBitrateKbps: number;
  container: 'mp4';
}

export interface TemplateGroup {
  id: string;
  name: string;
  templates: RenditionSpec[];
  createdMs: number;
}

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type TaskTrigger = 'origin' | 'compose' | 'manual';

export interface ProcessTask {
  taskId: string;
  assetId: string;
  groupId: string;
  status: TaskStatus;
  error: string;
  attempts: number;
  trigger: TaskTrigger;
  createdMs: number;
  completedMs: number | null;
}

export interface TaskListQuery {
  assetId: string | null;
  status: TaskStatus | null;
  pageNum: number;
  pageSize: number;
}

export interface TaskUpdate {
  taskId: string;
  status: TaskStatus;
  error: string;
  attempts: number;
}

/** Work-queue messages (LR_LIBRARY_JOBS). */
export interface ComposeJob {
  recordingId: string;
  format: RecordFormat;
}
export interface ProcessJob {
  taskId: string;
}

/** Library events (lr.evt.library.*): the notifier turns them into callbacks. */
export interface AssetReady {
  asset: MediaAsset;
  at: number;
}
export interface ProcessFinished {
  task: ProcessTask;
  asset: MediaAsset;
  at: number;
}

export interface DeleteAssetsResult {
  missing: string[];
  deletedObjects: number;
}

/**
 * The operations on the library's catalogue tables, answered by the index
 * (which owns the catalogue database) on lr.rpc.index.library_{op}.
 */
export interface LibraryOps {
  registerAsset(q: AssetRegistration): Promise<RegisterResult>;
  /** A recording ended with this many files per format: the formats now complete and ready to merge. */
  noteRecordingEnd(q: { recordingId: string; files: Partial<Record<RecordFormat, number>> }): Promise<ComposeCandidate[]>;
  getAsset(q: { assetId: string }): Promise<MediaAsset | null>;
  searchAssets(q: AssetSearchQuery): Promise<Page<MediaAsset>>;
  updateAsset(q: AssetUpdate): Promise<MediaAsset>;
  setAssetStatus(q: { assetId: string; status: AssetStatus }): Promise<void>;
  deleteAssets(q: { assetIds: string[] }): Promise<DeleteAssetsResult>;
  addCategory(q: { name: string; parentId: string | null }): Promise<Category>;
  getCategories(q: { categoryId: string | null; pageNum: number; pageSize: number }): Promise<CategoryListing>;
  deleteCategory(q: { categoryId: string }): Promise<{ deleted: string[] }>;
  addGroup(q: { id: string | null; name: string; templates: RenditionSpec[] }): Promise<TemplateGroup>;
  listGroups(q: Record<string, never>): Promise<TemplateGroup[]>;
  getGroup(q: { groupId: string }): Promise<TemplateGroup | null>;
  deleteGroup(q: { groupId: string }): Promise<void>;
  /** Idempotent by (asset, group): an existing task is returned as it is. */
  createTask(q: { assetId: string; groupId: string; trigger: TaskTrigger }): Promise<{ task: ProcessTask; created: boolean }>;
  getTask(q: { taskId: string }): Promise<ProcessTask | null>;
  listTasks(q: TaskListQuery): Promise<Page<ProcessTask>>;
  updateTask(q: TaskUpdate): Promise<ProcessTask>;
  attachRendition(q: Rendition): Promise<void>;
}

export type LibraryOp = keyof LibraryOps;
/** Every op, listed as a Record so that an op added to LibraryOps does not compile until it is served. */
const OPS: Record<LibraryOp, true> = {
  registerAsset: true, noteRecordingEnd: true, getAsset: true, searchAssets: true, updateAsset: true, setAssetStatus: true, deleteAssets: true,
  addCategory: true, getCategories: true, deleteCategory: true, addGroup: true, listGroups: true, getGroup: true, deleteGroup: true,
  createTask: true, getTask: true, listTasks: true, updateTask: true, attachRendition: true,
};
export const LIBRARY_OPS = Object.keys(OPS) as LibraryOp[];
