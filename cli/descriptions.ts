// One line per method for `liverecord help`. Typed by the generated service, so the
// compiler refuses a method of the proto without a description here.
import type { MethodName } from '../libs/client/index.js';

export const DESCRIPTIONS: Record<MethodName, string> = {
  describeLiveStreamRecordIndexFiles: 'List the recording files of a stream that overlap a time range (paged).',
  describeLiveStreamRecordIndexFile: 'Show one recording file by its record id.',
  createLiveStreamRecordIndexFiles: 'Make a new m3u8 over the stored segments of a time range (a clip or a merge).',
  deleteLiveStreamRecordIndexFiles: 'Delete recording records; with --remove-file also their stored files.',
  describeLiveStreamRecordContent: 'List the time ranges of a stream that hold recorded content (a timeline).',
  realTimeRecordCommand: 'Send start, stop, cancel_delay or restart to a live stream\'s recording.',
  describeLiveStreamRecordStatus: 'Explain why a stream is or is not recording (last decision, actor state).',
  addLiveAppRecordConfig: 'Add an object-storage recording template for (domain, app, stream).',
  updateLiveAppRecordConfig: 'Replace an object-storage recording template.',
  deleteLiveAppRecordConfig: 'Delete an object-storage recording template.',
  describeLiveRecordConfig: 'List the object-storage recording templates of a domain.',
  addLiveRecordVodConfig: 'Add a media-library (vod) recording template.',
  deleteLiveRecordVodConfig: 'Delete a media-library (vod) recording template.',
  describeLiveRecordVodConfigs: 'List the media-library (vod) recording templates of a domain.',
  addLiveRecordNotifyConfig: 'Set the callbacks of a domain (notify URL, on-demand URL, auth key).',
  describeLiveRecordNotifyConfig: 'Show the callbacks of a domain.',
  deleteLiveRecordNotifyConfig: 'Delete the callbacks of a domain.',
  createApiKey: 'Create an API key with a scope (read, write or admin); the key is printed once.',
  listApiKeys: 'List the API keys: id, name, scope, state (never the keys themselves).',
  revokeApiKey: 'Revoke an API key by its id; it is refused from the next call on.',
  setPublishAuthKeys: 'Set the primary and secondary signing keys of a domain\'s publish URLs.',
  describePublishAuth: 'Show whether a domain\'s publishes must be signed and which keys are set.',
  describeLiveRecordUsage: 'Usage per domain and month: peak concurrent recording channels, recorded minutes per format.',
  addLiveAppSnapshotConfig: 'Add a thumbnail configuration for (domain, app): interval, resolution, latest and/or sequence objects.',
  updateLiveAppSnapshotConfig: 'Replace the thumbnail configuration of (domain, app).',
  deleteLiveAppSnapshotConfig: 'Delete the thumbnail configuration of (domain, app).',
  describeLiveSnapshotConfig: 'List the thumbnail configurations of a domain.',
  describeLiveStreamSnapshotInfo: 'List a stream\'s catalogued thumbnails within a time range.',
};
