import { RECORD_FORMATS, type RecordFormat, type RecordTemplate } from '../../../libs/bus/index.js';
import { ConfigError, inRange, recordLimits, type Config } from '../../../libs/config/index.js';
import { DEFAULT_FILE_PATTERN, DEFAULT_SEGMENT_PATTERN } from '../../../libs/naming/index.js';

export const DEFAULT_TEMPLATE_ID = 'default';

/** The catch-all automatic template of the configuration, validated like any other. */
export function defaultTemplate(config: Config, packaged: readonly RecordFormat[]): RecordTemplate | null {
  const d = config.defaultTemplate;
  if (!d.enabled) return null;
  const limits = recordLimits(config.limits.relaxed);
  const check = (key: string, ok: boolean, msg: string) => {
    if (!ok) throw new ConfigError(`defaultTemplate.${key}`, 'configuration', msg);
  };
  check('formats', d.formats.length > 0, 'needs at least one format');
  for (const f of d.formats) {
    check('formats', (RECORD_FORMATS as readonly string[]).includes(f), `unknown format "${f}" (one of ${RECORD_FORMATS.join(', ')})`);
    check('formats', packaged.includes(f as RecordFormat), `format "${f}" is not available in this build (available: ${packaged.join(', ')})`);
  }
  check('formats', !(d.formats.includes('m3u8') && d.formats.includes('cmaf')), 'm3u8 and cmaf cannot be recorded together');
  check('sliceSeconds', inRange(d.sliceSeconds, limits.sliceSeconds), `must be ${limits.sliceSeconds.min}..${limits.sliceSeconds.max}`);
  check('cycleSeconds', inRange(d.cycleSeconds, limits.cycleSeconds), `must be ${limits.cycleSeconds.min}..${limits.cycleSeconds.max}`);
  check('delaySeconds', inRange(d.delaySeconds, limits.delaySeconds), `must be ${limits.delaySeconds.min}..${limits.delaySeconds.max}`);
  return {
    id: DEFAULT_TEMPLATE_ID,
    kind: 'oss',
    domain: config.domains.default,
    app: '*',
    stream: '*',
    trigger: 0,
    delaySeconds: d.delaySeconds,
    formats: d.formats.map((f) => ({
      format: f as RecordFormat, cycleSeconds: d.cycleSeconds, sliceSeconds: d.sliceSeconds,
      filePattern: DEFAULT_FILE_PATTERN, segmentPattern: DEFAULT_SEGMENT_PATTERN,
    })),
    transcodeFormats: [],
    transcodeTemplates: [],
    recordContent: ['raw'],
    storage: d.bucket ? { kind: 's3', bucket: d.bucket, endpoint: '' } : { kind: 'local', bucket: '', endpoint: '' },
    vod: null,
    createdMs: 0,
    updatedMs: 0,
  };
}
