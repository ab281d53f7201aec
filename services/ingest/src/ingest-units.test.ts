import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unsupportedCodecReason } from '../../../libs/media/index.js';
import { CodecSniffer } from './codec-sniffer.js';
import { domainOf } from './domain-map.js';

describe('ingest - codec sniffer', () => {
  it('settles once both streams are seen', () => {
    const s = new CodecSniffer();
    assert.equal(s.observe({ codec_type: 9, codec_id: 7, flags: 2 }, 0), true);
    assert.equal(s.settled(10, 3000), false);
    s.observe({ codec_type: 8, codec_id: 10, flags: 0 }, 20);
    assert.equal(s.settled(20, 3000), true);
    assert.deepEqual(s.result(), { video: 'h264', audio: 'aac' });
  });

  it('settles on one stream after the wait', () => {
    const s = new CodecSniffer();
    s.observe({ codec_type: 8, codec_id: 2, flags: 1 }, 0);
    assert.equal(s.settled(2999, 3000), false);
    assert.equal(s.settled(3000, 3000), true);
    assert.deepEqual(s.result(), { video: null, audio: 'mp3' });
  });

  it('ignores metadata packets and names FourCC codecs', () => {
    const s = new CodecSniffer();
    assert.equal(s.observe({ codec_type: 18, codec_id: 0, flags: 5 }, 0), false);
    s.observe({ codec_type: 9, codec_id: 'hvc1', flags: 3 }, 0);
    assert.equal(s.video, 'h265');
  });

  const codecCases: [string | null, string | null, RegExp | null][] = [
    ['h264', 'aac', null], ['h265', 'mp3', null], ['mpeg4', null, null], [null, 'aac', null],
    ['flv1', 'aac', /flv1/], ['h264', 'speex', /speex/], ['vp6', 'nellymoser', /vp6/], [null, null, /neither/],
  ];
  for (const [v, a, want] of codecCases) {
    it(`codecs ${v}/${a} are ${want ? 'refused' : 'recordable'}`, () => {
      const r = unsupportedCodecReason(v, a);
      if (want) assert.match(r ?? '', want);
      else assert.equal(r, null);
    });
  }
});

describe('ingest - domain mapping', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'localhost'], ['localhost', 'localhost'], ['LOCALHOST:1935', 'localhost'], ['[::1]', 'localhost'],
    ['push.example.com', 'example.com'], ['Other.Example.org:1935', 'other.example.org'], ['10.1.2.3', 'localhost'],
  ];
  for (const [host, want] of cases) {
    it(`${host} -> ${want}`, () => assert.equal(domainOf(host, 'localhost', { 'push.example.com': 'example.com' }), want));
  }
});
