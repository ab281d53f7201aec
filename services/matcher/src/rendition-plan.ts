// What a recording template means for a transcoded rendition. Pure.
import type { RecordTemplate } from '../../../libs/bus/index.js';
import { bindRenditionPattern } from '../../../libs/naming/index.js';

/**
 * The template a rendition stream (`{StreamName}_{id}`) is recorded with: the
 * recording template's transcode_record_format as its formats, with the
 * source's stream name and the transcoding template id bound into the naming
 * patterns (the rendition's recorder knows only the rendition stream).
 */
export function renditionTemplate(t: RecordTemplate, sourceStream: string, transcodeTemplateId: string): RecordTemplate {
  const bind = (p: string) => bindRenditionPattern(p, sourceStream, transcodeTemplateId);
  return {
    ...t,
    formats: t.transcodeFormats.map((f) => ({ ...f, filePattern: bind(f.filePattern), segmentPattern: bind(f.segmentPattern) })),
    transcodeFormats: [],
    transcodeTemplates: [],
  };
}
