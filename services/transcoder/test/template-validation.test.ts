import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AddCustomLiveStreamTranscodeRequest } from '../../../libs/proto/index.js';
import { TemplateFieldError, templateKey, validateTranscodeTemplate } from '../src/template-validation.js';

const ok: AddCustomLiveStreamTranscodeRequest = {
  domainName: 'Example.COM', appName: 'live', template: 'sd', templateType: 'h264',
  width: 640, height: 360, fps: 25, gop: 50, videoBitrate: 800, audioBitrate: 64,
};

describe('transcoding template validation', () => {
  it('accepts a full request and normalises the domain', () => {
    const t = validateTranscodeTemplate(ok, 5, 1);
    assert.deepEqual(t, {
      domain: 'example.com', app: 'live', id: 'sd', type: 'h264', width: 640, height: 360, fps: 25, gop: 50,
      videoKbps: 800, audioKbps: 64, createdMs: 1, updatedMs: 5,
    });
  });

  it('defaults the type to h264 and keeps the aspect ratio when one side is 0', () => {
    const t = validateTranscodeTemplate({ ...ok, templateType: '', width: 0, appName: '*' }, 1);
    assert.equal(t.type, 'h264');
    assert.equal(t.width, 0);
    assert.equal(t.height, 360);
    assert.equal(t.app, '*');
  });

  const bad: [string, Partial<AddCustomLiveStreamTranscodeRequest>, RegExp][] = [
    ['no domain', { domainName: '' }, /^domain_name: is required/],
    ['bad domain', { domainName: 'a..b' }, /^domain_name: is not a valid domain/],
    ['no app', { appName: '' }, /^app_name: is required/],
    ['bad app', { appName: 'a/b' }, /^app_name: must be "\*" or letters/],
    ['no template id', { template: '' }, /^template: is required/],
    ['template id with a dot', { template: 's.d' }, /^template: must be letters/],
    ['template id too long', { template: 'x'.repeat(33) }, /^template: must be letters/],
    ['other type', { templateType: 'h265' }, /^template_type: must be h264/],
    ['no size', { width: 0, height: 0 }, /^width: width or height is required/],
    ['odd width', { width: 641 }, /^width: must be even/],
    ['tiny height', { height: 16 }, /^height: must be 32\.\.4096/],
    ['huge width', { width: 8192 }, /^width: must be 32\.\.4096/],
    ['no fps', { fps: 0 }, /^fps: must be 1\.\.60/],
    ['fps too high', { fps: 120 }, /^fps: must be 1\.\.60/],
    ['no gop', { gop: 0 }, /^gop: must be 1\.\.3000/],
    ['video bitrate too low', { videoBitrate: 10 }, /^video_bitrate: must be 64\.\.20000/],
    ['audio bitrate too high', { audioBitrate: 1000 }, /^audio_bitrate: must be 16\.\.320/],
    ['fractional fps', { fps: 29.97 }, /^fps: must be 1\.\.60/],
  ];
  for (const [name, patch, want] of bad) {
    it(`refuses ${name}, naming the field`, () => {
      assert.throws(() => validateTranscodeTemplate({ ...ok, ...patch }, 1), (err: unknown) => err instanceof TemplateFieldError && want.test(err.message));
    });
  }

  it('reads a delete key with the same rules', () => {
    assert.deepEqual(templateKey({ domainName: 'example.com', appName: '*', template: 'hd' }), { domain: 'example.com', app: '*', id: 'hd' });
    assert.throws(() => templateKey({ domainName: 'example.com', appName: 'live' }), /template: is required/);
  });
});
