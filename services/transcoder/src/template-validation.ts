// Validation of transcoding-template requests into TranscodeTemplate. Pure:
// every error names the request field in proto style.
import type { TranscodeTemplate, TranscodeTemplateKey } from '../../../libs/bus/index.js';
import { isSafeDomain, isSafeName } from '../../../libs/naming/index.js';
import type { AddCustomLiveStreamTranscodeRequest } from '../../../libs/proto/index.js';

export class TemplateFieldError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
  }
}

/** Template ids end up in stream names (`{StreamName}_{id}`) and object keys: short and plain. */
const TEMPLATE_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;

export const LIMITS = {
  size: { min: 32, max: 4096 },
  fps: { min: 1, max: 60 },
  gop: { min: 1, max: 3000 },
  videoKbps: { min: 64, max: 20000 },
  audioKbps: { min: 16, max: 320 },
} as const;

function intField(field: string, value: number | undefined, range: { min: number; max: number }, unit: string): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < range.min || v > range.max) throw new TemplateFieldError(field, `must be ${range.min}..${range.max} ${unit}, got ${v}`);
  return v;
}

function dimension(field: string, value: number | undefined): number {
  const v = value ?? 0;
  if (v === 0) return 0;
  intField(field, v, LIMITS.size, 'pixels (or 0 to keep the aspect ratio)');
  // H.264 in 4:2:0 needs even sizes; refusing an odd one beats a silently different output.
  if (v % 2 !== 0) throw new TemplateFieldError(field, `must be even, got ${v}`);
  return v;
}

export function templateKey(req: { domainName?: string; appName?: string; template?: string }): TranscodeTemplateKey {
  const domain = (req.domainName ?? '').trim().toLowerCase();
  if (!domain) throw new TemplateFieldError('domain_name', 'is required');
  if (!isSafeDomain(domain)) throw new TemplateFieldError('domain_name', `is not a valid domain name: "${domain.slice(0, 200)}"`);
  const app = (req.appName ?? '').trim();
  if (!app) throw new TemplateFieldError('app_name', 'is required ("*" for every app)');
  if (app !== '*' && !isSafeName(app)) throw new TemplateFieldError('app_name', `must be "*" or letters, digits, - and _ (1..128), got "${app.slice(0, 200)}"`);
  const id = (req.template ?? '').trim();
  if (!id) throw new TemplateFieldError('template', 'is required');
  if (!TEMPLATE_ID_RE.test(id)) throw new TemplateFieldError('template', `must be letters, digits, - and _ (1..32), got "${id.slice(0, 200)}"`);
  return { domain, app, id };
}

/** A transcoding template from an AddCustomLiveStreamTranscode request. */
export function validateTranscodeTemplate(req: AddCustomLiveStreamTranscodeRequest, now: number, createdMs = now): TranscodeTemplate {
  const key = templateKey(req);
  const type = (req.templateType ?? '').trim().toLowerCase() || 'h264';
  if (type !== 'h264') throw new TemplateFieldError('template_type', `must be h264 (the only type), got "${(req.templateType ?? '').slice(0, 200)}"`);
  const width = dimension('width', req.width);
  const height = dimension('height', req.height);
  if (width === 0 && height === 0) throw new TemplateFieldError('width', 'width or height is required (the other may be 0 to keep the aspect ratio)');
  return {
    ...key, type: 'h264', width, height,
    fps: intField('fps', req.fps, LIMITS.fps, 'frames per second'),
    gop: intField('gop', req.gop, LIMITS.gop, 'frames'),
    videoKbps: intField('video_bitrate', req.videoBitrate, LIMITS.videoKbps, 'kbit/s'),
    audioKbps: intField('audio_bitrate', req.audioBitrate, LIMITS.audioKbps, 'kbit/s'),
    createdMs, updatedMs: now,
  };
}
