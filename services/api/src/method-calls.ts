// One dispatch table and one call path for every API method, shared by the gRPC
// server and the console's JSON bridge: the same handlers, the same API-key and
// scope checks, the same size bounds, the same error mapping and audit.
import * as grpc from '@grpc/grpc-js';
import type { Bus } from '../../../libs/bus/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import { rpcName, type MethodName, type RequestOf, type ResponseOf } from '../../../libs/client/index.js';
import type { ApiKeyRecord, ApiKeyStore } from './auth/api-key-store.js';
import { audit } from './auth/audit.js';
import { identify, requireScope } from './auth/authenticate.js';
import { METHOD_SCOPES, isMutating, type Scope } from './auth/scopes.js';
import type { SecurityHandlers } from './auth/security-handlers.js';
import { toServiceError } from './grpc-errors.js';
import type { RecordHandlers } from './record-handlers.js';
import type { SnapshotHandlers } from './snapshot-handlers.js';
import { checkSizes } from './request-fields.js';
import type { TemplateHandlers } from './template-handlers.js';
import type { TranscodeHandlers } from './transcode-handlers.js';
import type { LibraryHandlers } from './library-handlers.js';

/** A handler for every method: a mapped type, so a method added to the proto does not compile without one. */
export type MethodTable = { [M in MethodName]: (req: RequestOf<M>, caller: ApiKeyRecord) => Promise<ResponseOf<M>> };

export interface MethodHandlers {
  handlers: RecordHandlers;
  templates: TemplateHandlers;
  security: SecurityHandlers;
  snapshots: SnapshotHandlers;
  transcodes: TranscodeHandlers;
  library: LibraryHandlers;
}

export function methodTable({ handlers, templates, security, snapshots, transcodes, library }: MethodHandlers): MethodTable {
  return {
    describeLiveStreamRecordIndexFiles: (r) => handlers.describeFiles(r),
    describeLiveStreamRecordIndexFile: (r) => handlers.describeFile(r),
    realTimeRecordCommand: (r) => handlers.command(r),
    createLiveStreamRecordIndexFiles: (r) => handlers.createIndexFile(r),
    deleteLiveStreamRecordIndexFiles: (r) => handlers.deleteRecords(r),
    describeLiveStreamRecordContent: (r) => handlers.content(r),
    describeLiveStreamRecordStatus: (r) => templates.status(r),
    addLiveAppRecordConfig: (r) => templates.addOss(r),
    updateLiveAppRecordConfig: (r) => templates.updateOss(r),
    deleteLiveAppRecordConfig: (r) => templates.deleteOss(r),
    describeLiveRecordConfig: (r) => templates.describeOss(r),
    addLiveRecordVodConfig: (r) => templates.addVod(r),
    deleteLiveRecordVodConfig: (r) => templates.deleteVod(r),
    describeLiveRecordVodConfigs: (r) => templates.describeVod(r),
    addLiveRecordNotifyConfig: (r) => templates.addNotify(r),
    describeLiveRecordNotifyConfig: (r) => templates.describeNotify(r),
    deleteLiveRecordNotifyConfig: (r) => templates.deleteNotify(r),
    createApiKey: (r, caller) => security.createKey(r, caller),
    listApiKeys: () => security.listKeys(),
    revokeApiKey: (r) => security.revokeKey(r),
    setPublishAuthKeys: (r) => security.setPublishKeys(r),
    describePublishAuth: (r) => security.describePublishAuth(r),
    describeLiveRecordUsage: (r) => handlers.usage(r),
    addCustomLiveStreamTranscode: (r) => transcodes.add(r),
    describeLiveStreamTranscodeInfo: (r) => transcodes.describe(r),
    deleteLiveStreamTranscode: (r) => transcodes.delete(r),
    addLiveAppSnapshotConfig: (r) => snapshots.add(r),
    updateLiveAppSnapshotConfig: (r) => snapshots.update(r),
    deleteLiveAppSnapshotConfig: (r) => snapshots.remove(r),
    describeLiveSnapshotConfig: (r) => snapshots.describe(r),
    describeLiveStreamSnapshotInfo: (r) => snapshots.info(r),
    searchMedia: (r) => library.search(r),
    getVideoInfo: (r) => library.get(r),
    updateVideoInfo: (r) => library.update(r),
    deleteVideo: (r) => library.delete(r),
    addCategory: (r) => library.addCategory(r),
    getCategories: (r) => library.getCategories(r),
    deleteCategory: (r) => library.deleteCategory(r),
    addTranscodeTemplateGroup: (r) => library.addGroup(r),
    listTranscodeTemplateGroup: () => library.listGroups(),
    deleteTranscodeTemplateGroup: (r) => library.deleteGroup(r),
    submitTranscodeJobs: (r) => library.submit(r),
    listTranscodeTask: (r) => library.listTasks(r),
    getTranscodeTask: (r) => library.getTask(r),
  };
}

/** Something a caller may do with a key: a gRPC method, or a console-only read. */
export interface Operation<Req, Res> {
  /** As logged and audited: the proto's method name (DescribeLiveRecordConfig). */
  name: string;
  scope: Scope;
  /** Audited (log line and lr.evt.api.audit) with the caller's key id. */
  mutating: boolean;
  run(req: Req, caller: ApiKeyRecord): Promise<Res>;
}

export function methodOperation<M extends MethodName>(method: M, table: MethodTable): Operation<RequestOf<M>, ResponseOf<M>> {
  return { name: rpcName(method), scope: METHOD_SCOPES[method], mutating: isMutating(method), run: table[method] };
}

export interface CallDeps {
  keys: ApiKeyStore;
  bus: Bus;
  log: Logger;
}

export type CallOutcome<Res> = { ok: true; value: Res } | { ok: false; error: grpc.ServiceError };

/**
 * One call: the caller's API key (from `authorization` metadata) and its scope checked
 * before anything reads the request, sizes bounded, the handler run, its error mapped
 * to a status with a message naming the field, mutating calls audited. Never throws.
 */
export async function invoke<Req, Res>(op: Operation<Req, Res>, deps: CallDeps, metadata: grpc.Metadata, request: Req): Promise<CallOutcome<Res>> {
  const { log } = deps;
  let caller: ApiKeyRecord | null = null;
  let value: Res;
  try {
    caller = await identify(deps.keys, metadata);
    requireScope(caller, op.scope);
    checkSizes(request);
    value = await op.run(request, caller);
  } catch (err) {
    const se = toServiceError(err) as grpc.ServiceError;
    if (se.code === grpc.status.INTERNAL || se.code === grpc.status.UNAVAILABLE) log.error({ method: op.name, keyId: caller?.id, err: se.details }, 'request failed');
    else log.info({ method: op.name, keyId: caller?.id, code: grpc.status[se.code], details: se.details }, 'request refused');
    if (op.mutating) audit(deps.bus, log, { method: op.name, keyId: caller?.id ?? '', outcome: grpc.status[se.code], at: Date.now() });
    return { ok: false, error: se };
  }
  if (op.mutating) audit(deps.bus, log, { method: op.name, keyId: caller.id, outcome: 'OK', at: Date.now() });
  return { ok: true, value };
}
