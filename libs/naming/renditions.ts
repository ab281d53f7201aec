// Names of transcoded renditions: the rendition of stream S made with
// transcoding template T is the stream `S_T`, recorded under the spec's
// transcodeRecord/{AppName}/{StreamName}_{TranscodeTemplateID}/… naming, where
// {StreamName} is the source's name. Pure.
import { isSafeName } from './object-keys.js';

/** The rendition's stream name, or null when it would not be a valid stream name (too long). */
export function renditionStreamName(sourceStream: string, templateId: string): string | null {
  const name = `${sourceStream}_${templateId}`;
  return isSafeName(name) ? name : null;
}

/**
 * Binds the source's stream name and the template id into a naming pattern, so
 * that the rendition's recorder (which knows only the rendition stream) renders
 * the spec's keys: `{StreamName}` is the source's name, not `S_T`.
 */
export function bindRenditionPattern(pattern: string, sourceStream: string, templateId: string): string {
  return pattern
    .replaceAll('{StreamName}', sourceStream)
    .replaceAll('{TranscodeTemplateID}', templateId)
    .replaceAll('{TranscodingTemplateID}', templateId);
}

/** The object key of a recording's master playlist: its source playlist's key with `_master` before `.m3u8`. */
export function masterPlaylistKey(sourcePlaylistKey: string): string {
  return sourcePlaylistKey.replace(/\.m3u8$/, '') + '_master.m3u8';
}

/**
 * Recording id of a master playlist's catalogue record (the source recording's id
 * plus this): apart from the source's own files, and no recorded media of its own.
 */
export const MASTER_RECORDING_SUFFIX = '-master';
