// Shapes of the JSON answers the console reads. The proto3 JSON mapping leaves out
// fields at their default value (0, "", false, []), so every field is optional.

export interface RecordDecision {
  record?: boolean;
  reason?: string;
  detail?: string;
  configId?: string;
  onDemand?: number;
  formats?: { format?: string; cycleDuration?: number }[];
  sessionId?: string;
  decideTime?: string;
}

export interface RecordStatus {
  hasActor?: boolean;
  state?: string;
  recordingId?: string;
  lastDecision?: RecordDecision;
}

export interface LiveStream {
  domainName: string;
  appName: string;
  streamName: string;
  live: boolean;
  sessionId: string;
  publishTime: string;
  unpublishTime: string;
  ingestNode: string;
  codecs: { video: string; audio: string; width: number; height: number; fps: number; videoBitrateKbps: number };
  status?: RecordStatus;
  statusError?: string;
}

export interface ListLiveStreamsResponse {
  streams: LiveStream[];
  totalNum: number;
  complete: boolean;
}

export interface RecordFormat {
  format?: string;
  ossObjectPrefix?: string;
  sliceOssObjectPrefix?: string;
  cycleDuration?: number;
  sliceDuration?: number;
}

export interface LiveAppRecord {
  configId?: string;
  domainName?: string;
  appName?: string;
  streamName?: string;
  ossEndpoint?: string;
  ossBucket?: string;
  onDemand?: number;
  delayTime?: number;
  recordFormat?: RecordFormat[];
  transcodeRecordFormat?: RecordFormat[];
  transcodeTemplates?: string[];
  createTime?: string;
}

export interface VodRecordFormat {
  format?: string;
  sliceDuration?: number;
  autoCompose?: boolean;
  videoProcess?: string[];
  processMethod?: string;
  processTemplateId?: string;
  category?: string;
  tags?: string[];
}

export interface LiveRecordVodConfig {
  configId?: string;
  domainName?: string;
  appName?: string;
  streamName?: string;
  spaceId?: string;
  storageLocation?: string;
  cycleDuration?: number;
  delayTime?: number;
  onDemand?: number;
  recordContent?: string[];
  transcodeTemplates?: string[];
  recordFormat?: VodRecordFormat[];
  createTime?: string;
}

export interface NotifyConfig {
  domainName?: string;
  notifyUrl?: string;
  onDemandUrl?: string;
  needStatusNotify?: boolean;
  authKeySet?: boolean;
}

export interface RecordIndexInfo {
  recordId?: string;
  recordUrl?: string;
  ossObject?: string;
  ossBucket?: string;
  ossEndpoint?: string;
  domainName?: string;
  appName?: string;
  streamName?: string;
  format?: string;
  startTime?: string;
  endTime?: string;
  duration?: number;
  width?: number;
  height?: number;
  createTime?: string;
  recordingId?: string;
  sequence?: number;
}

export interface ContentRange {
  startTime?: string;
  endTime?: string;
  duration?: number;
}

export interface StreamKey {
  domainName: string;
  appName: string;
  streamName: string;
}

export const TRIGGER_MODES: { value: number; label: string }[] = [
  { value: 0, label: '0: automatic' },
  { value: 1, label: '1: on-demand callback' },
  { value: 2, label: '2: publish URL parameter' },
  { value: 7, label: '7: manual (start command)' },
];
