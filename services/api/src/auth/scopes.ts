import type { MethodName } from '../../../../libs/client/index.js';

// Scopes are ordered: admin can do what write can, write what read can.
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

export function scopeAllows(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

/**
 * The scope every method needs. A Record over every method name, so a method added
 * to the proto does not compile until someone decides its scope.
 */
export const METHOD_SCOPES: Record<MethodName, Scope> = {
  describeLiveStreamRecordIndexFiles: 'read',
  describeLiveStreamRecordIndexFile: 'read',
  describeLiveStreamRecordContent: 'read',
  describeLiveStreamRecordStatus: 'read',
  describeLiveRecordConfig: 'read',
  describeLiveRecordVodConfigs: 'read',
  describeLiveRecordNotifyConfig: 'read',
  createLiveStreamRecordIndexFiles: 'write',
  deleteLiveStreamRecordIndexFiles: 'write',
  realTimeRecordCommand: 'write',
  addLiveAppRecordConfig: 'write',
  updateLiveAppRecordConfig: 'write',
  deleteLiveAppRecordConfig: 'write',
  addLiveRecordVodConfig: 'write',
  deleteLiveRecordVodConfig: 'write',
  addLiveRecordNotifyConfig: 'write',
  deleteLiveRecordNotifyConfig: 'write',
  createApiKey: 'admin',
  listApiKeys: 'admin',
  revokeApiKey: 'admin',
  setPublishAuthKeys: 'admin',
  describePublishAuth: 'admin',
  describeLiveRecordUsage: 'read',
  addCustomLiveStreamTranscode: 'write',
  describeLiveStreamTranscodeInfo: 'read',
  deleteLiveStreamTranscode: 'write',
  addLiveAppSnapshotConfig: 'write',
  updateLiveAppSnapshotConfig: 'write',
  deleteLiveAppSnapshotConfig: 'write',
  describeLiveSnapshotConfig: 'read',
  describeLiveStreamSnapshotInfo: 'read',
  // Media library (vod)
  searchMedia: 'read',
  getVideoInfo: 'read',
  getCategories: 'read',
  listTranscodeTemplateGroup: 'read',
  listTranscodeTask: 'read',
  getTranscodeTask: 'read',
  updateVideoInfo: 'write',
  deleteVideo: 'write',
  addCategory: 'write',
  deleteCategory: 'write',
  addTranscodeTemplateGroup: 'write',
  deleteTranscodeTemplateGroup: 'write',
  submitTranscodeJobs: 'write',
};

/** Calls that change something: logged and evented with the caller's key id. */
export function isMutating(method: MethodName): boolean {
  return METHOD_SCOPES[method] !== 'read' && !/^(describe|list)/.test(method);
}
