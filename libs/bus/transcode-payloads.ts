// Payloads of live transcoding: transcoding templates, the demand for renditions
// (matcher -> transcoders), rendition lifecycle events and what a master
// playlist needs to know of each variant.
import type { CodecInfo, MediaOrigin, StreamRef } from './payloads.js';

/** A custom H.264/AAC transcoding template of a domain's app ("*": every app). */
export interface TranscodeTemplate {
  domain: string;
  app: string;
  /** Template id: a rendition of stream S is the stream `S_{id}`. */
  id: string;
  type: 'h264';
  /** Output size; one of them 0 keeps the source's aspect ratio. */
  width: number;
  height: number;
  fps: number;
  /** Keyframe interval in frames. */
  gop: number;
  videoKbps: number;
  audioKbps: number;
  createdMs: number;
  updatedMs: number;
}

export interface TranscodeTemplateKey {
  domain: string;
  app: string;
  id: string;
}

/** A domain's templates; app '' lists every app, otherwise the app's own and '*'. */
export interface TranscodeTemplateListQuery {
  domain: string;
  app: string;
}

/**
 * A rendition some recording needs while the source session lasts (KV
 * lr_transcode_demand, key `{token(source)}.{templateId}`). The matcher writes
 * it when it decides to record a source with renditions; a transcoder claims it
 * with a lease and deletes it when the source session it names has ended.
 */
export interface TranscodeDemand {
  source: StreamRef;
  sourceSessionId: string;
  /** Where the source session's packets are on the media plane. */
  media: MediaOrigin;
  sourceCodecs: CodecInfo;
  /** The source publish's parameters (callback_* ones are handed on to the rendition's callbacks). */
  params: Record<string, string | string[]>;
  transcodeTemplateId: string;
  recordTemplateId: string;
  /** The rendition is recorded as m3u8 or cmaf: a master playlist of the source lists it. */
  playlist?: boolean;
  at: number;
  /** 'now': asked for by a manual start, the rendition begins at the source's next GOP (like the source's recording), not at the session's start. */
  from?: 'now';
  /** How often a transcoder claimed it: a later claim is a takeover, which starts at the next GOP instead of the session's start. */
  claims?: number;
}

/** lr.evt.transcode.state: a rendition's transcoding started, stopped (with why) or failed. */
export interface TranscodeStateChanged {
  source: StreamRef;
  rendition: StreamRef;
  transcodeTemplateId: string;
  /** The rendition's publish session on the media plane ('' when it never started). */
  sessionId: string;
  sourceSessionId: string;
  state: 'started' | 'stopped' | 'failed';
  /** source_ended, demand_withdrawn, superseded, lease_lost, shutdown, unknown_template, ffmpeg_failed, ... */
  reason: string;
  detail: string;
  workerId: string;
  at: number;
}

/** What the master playlist says of a rendition and of its source (KV lr_transcode_variants). */
export interface RenditionVariant {
  source: StreamRef;
  rendition: StreamRef;
  transcodeTemplateId: string;
  /** RFC 6381 codec strings, e.g. "avc1.64001f,mp4a.40.2". */
  sourceCodecs: string;
  renditionCodecs: string;
  /** The rendition is recorded as m3u8 or cmaf (otherwise a master playlist does not wait for it). */
  playlist: boolean;
  /** When the rendition was first made in its current session, and last known running: a master covers a file only with renditions live during it. */
  at: number;
  lastSeenMs: number;
}

/** KV key of a demand: `{token(source)}.{templateId}`, so a source's demands list under `{token(source)}.>`. */
export function transcodeDemandKey(sourceToken: string, transcodeTemplateId: string): string {
  return `${sourceToken}.${transcodeTemplateId}`;
}
