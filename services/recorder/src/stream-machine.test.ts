import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MediaOrigin, RecordingPlan } from '../../../libs/bus/index.js';
import { initialState, transition, type ClosedSegmentReport, type Effect, type StreamEvent, type StreamState } from './stream-machine.js';

const plan: RecordingPlan = {
  templateId: 't1', trigger: 0, delaySeconds: 60, sliceSeconds: 10, segmentContainer: 'ts',
  segmentPattern: 'record/{AppName}/{StreamName}/{UnixTimestamp}_{Sequence}',
  formats: [{ format: 'm3u8', cycleSeconds: 30, filePattern: 'record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}' }],
  storage: { kind: 'local', bucket: '', endpoint: '' }, pushArgs: {},
};

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);
const SUBJECT = 'lr.media.abc';
const origin = (startSeq: number, at = 0): MediaOrigin => ({ subject: SUBJECT, startSeq, startMs: T0 + at });

function fresh(overrides: Partial<StreamState> = {}): StreamState {
  return {
    ...initialState({ recordingId: 'rec1', stream: { domain: 'localhost', app: 'live', stream: 's1' }, plan, sessionId: 'sess1', media: origin(100), hasVideo: true, width: 640, height: 360 }),
    ...overrides,
  };
}

/** Runs events through the machine with a fake clock; returns the final state and every effect. */
function run(state: StreamState, steps: [number, StreamEvent][]): { state: StreamState; effects: Effect[]; replies: boolean[] } {
  const effects: Effect[] = [];
  const replies: boolean[] = [];
  for (const [at, ev] of steps) {
    const t = transition(state, ev, T0 + at);
    state = t.state;
    effects.push(...t.effects);
    replies.push(t.reply.ok);
  }
  return { state, effects, replies };
}

const begin: StreamEvent = { type: 'begin' };
const start: StreamEvent = { type: 'command', command: 'start' };
const position = (generation: number, seq: number, sessionId = 'sess1', offset = 500): [number, StreamEvent] =>
  [0, { type: 'segmenter_position', generation, seq, sessionId, timelineOffsetMs: offset }];
/** A segment closed at `closedAt` (ms after T0), `durationMs` long, read from batches [startSeq, nextSeq). */
const seg = (generation: number, closedAt: number, durationMs = 10000, startSeq = 0, nextSeq = 0, gap = false): [number, StreamEvent] => {
  const segment: ClosedSegmentReport = {
    spoolPath: `/spool/seg${closedAt}.ts`, durationMs, timelineEndMs: closedAt, startSeq, nextSeq, wallStartMs: T0 + closedAt - durationMs, gap,
  };
  return [closedAt, { type: 'segment_closed', generation, segment, closedAtMs: T0 + closedAt }];
};
const exited = (generation: number, at: number, reason: 'session_ended' | 'stopped' | 'idle' | 'failed' = 'session_ended'): [number, StreamEvent] =>
  [at, { type: 'segmenter_exited', generation, reason, error: reason === 'failed' ? 'boom' : null }];
const types = (effects: Effect[]) => effects.map((e) => e.type);
const finalized = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { type: 'finalize_file' }> => e.type === 'finalize_file');
const uploads = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { type: 'upload_segment' }> => e.type === 'upload_segment').map((e) => e.segment);
const starts = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { type: 'start_segmenter' }> => e.type === 'start_segmenter');

describe('stream machine', () => {
  it('begin - reads the session from its first batch and announces record_started', () => {
    const { state, effects } = run(fresh(), [[0, begin]]);
    assert.equal(state.phase, 'recording');
    assert.deepEqual(types(effects), ['start_segmenter', 'state_changed', 'status_notice']);
    assert.deepEqual(effects[0], {
      type: 'start_segmenter', generation: 1, subject: SUBJECT, from: { seq: 100 }, sessionId: 'sess1', timeline: null,
      timelineEndMs: null, startNumber: 0, delayMs: 0,
    });
  });

  it('begin - without a known first sequence the session is found by its start time', () => {
    const { effects } = run(fresh({ media: { subject: SUBJECT, startSeq: null, startMs: T0 } }), [[0, begin]]);
    assert.deepEqual(starts(effects)[0].from, { startMs: T0 });
  });

  it('manual start - records from the next GOP on', () => {
    const { effects } = run(fresh(), [[0, start]]);
    assert.deepEqual(starts(effects)[0].from, { next: true });
  });

  it('segments - uploaded with rendered keys, a continuous timeline, and the resume point moving with them', () => {
    const { state, effects } = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150), seg(1, 20000, 10000, 150, 200)]);
    const up = uploads(effects);
    assert.equal(up.length, 2);
    assert.equal(up[0].objectKey, `record/live/s1/${Math.floor(T0 / 1000)}_0.ts`);
    assert.equal(up[0].startMs, T0, 'the first segment starts when the broker took its first batch');
    assert.equal(up[1].startMs, up[0].endMs, 'no gap between consecutive segments');
    assert.deepEqual(state.resume, { seq: 200, sessionId: 'sess1', timelineOffsetMs: 500 });
    assert.equal(state.files[0].segmentCount, 2);
    assert.equal(state.files[0].firstSegment, 0);
    assert.equal(state.files[0].durationMs, 20000);
    assert.equal(state.timelineEndMs, 20000);
  });

  it('segments - with FLV or MP4 files, each segment carries its FLV part and the part\'s storage key', () => {
    const withFlv = { ...plan, formats: [...plan.formats, { format: 'flv' as const, cycleSeconds: 30, filePattern: plan.formats[0].filePattern }] };
    const segment: ClosedSegmentReport = { spoolPath: '/s/a.ts', flvPartPath: '/s/a.flvpart', durationMs: 10000, timelineEndMs: 10000, startSeq: 1, nextSeq: 2, wallStartMs: T0, gap: false };
    const { effects } = run(fresh({ plan: withFlv }), [[0, begin], [10000, { type: 'segment_closed', generation: 1, segment, closedAtMs: T0 + 10000 }]]);
    assert.equal(uploads(effects)[0].flvPartPath, '/s/a.flvpart');
    assert.equal(uploads(effects)[0].flvPartKey, '.parts/rec1/0.flvpart');
  });

  it('cmaf - one init segment is uploaded per codec configuration, before the first segment needing it', () => {
    const cmaf = { ...plan, segmentContainer: 'fmp4' as const };
    const mk = (i: number, hash: string): [number, StreamEvent] => [i * 10000, {
      type: 'segment_closed', generation: 1, closedAtMs: T0 + i * 10000,
      segment: { spoolPath: `/s/${i}.m4s`, initPath: `/s/${i}.init.mp4`, initHash: hash, durationMs: 10000, timelineEndMs: i * 10000, startSeq: i, nextSeq: i + 1, wallStartMs: T0, gap: false },
    }];
    const { effects } = run(fresh({ plan: cmaf }), [[0, begin], mk(1, 'a'), mk(2, 'a'), mk(3, 'b')]);
    assert.deepEqual(types(effects).filter((t) => t === 'upload_init' || t === 'upload_segment'), ['upload_init', 'upload_segment', 'upload_segment', 'upload_init', 'upload_segment']);
    const up = uploads(effects);
    assert.equal(up[0].initKey, up[1].initKey);
    assert.notEqual(up[1].initKey, up[2].initKey);
  });

  it('cycle - a file never grows past its cycle; the crossing segment opens the next file', () => {
    const { state, effects } = run(fresh(), [[0, begin], seg(1, 10000), seg(1, 20000), seg(1, 30000), seg(1, 40000)]);
    const files = finalized(effects);
    assert.equal(files.length, 1);
    assert.equal(files[0].file.durationMs, 30000);
    assert.equal(files[0].file.sequence, 0);
    assert.equal(files[0].file.segmentCount, 3);
    assert.equal(state.files[0].sequence, 1);
    assert.equal(state.files[0].firstSegment, 3);
    assert.equal(state.files[0].segmentCount, 1);
  });

  it('cycle - per format: each format rolls at its own cycle', () => {
    const twoFormats = { ...plan, formats: [plan.formats[0], { format: 'flv' as const, cycleSeconds: 20, filePattern: plan.formats[0].filePattern }] };
    const { effects } = run(fresh({ plan: twoFormats }), [[0, begin], seg(1, 10000), seg(1, 20000), seg(1, 30000), seg(1, 40000)]);
    assert.deepEqual(finalized(effects).map((f) => `${f.file.format}#${f.file.sequence}`), ['flv#0', 'm3u8#0']);
  });

  it('reconnect - the publisher drops and returns inside the window: same file, one discontinuity, new session read from its start', () => {
    const { state, effects } = run(fresh(), [
      [0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150),
      [12000, { type: 'unpublish', sessionId: 'sess1' }],
      seg(1, 12500, 2500, 150, 170), exited(1, 12600),
      [30000, { type: 'publish', sessionId: 'sess2', media: origin(300, 30000), hasVideo: true }],
      position(2, 300, 'sess2', 9000), seg(2, 40000, 10000, 300, 350),
    ]);
    assert.equal(state.phase, 'recording');
    assert.equal(finalized(effects).length, 0);
    const arm = effects.find((e) => e.type === 'arm_timer') as Extract<Effect, { type: 'arm_timer' }>;
    assert.equal(arm.deadline, T0 + 12000 + 60000);
    assert.ok(effects.some((e) => e.type === 'cancel_timer' && e.timerId === arm.timerId));
    const second = starts(effects)[1];
    assert.deepEqual(second.from, { seq: 300 });
    assert.equal(second.sessionId, 'sess2');
    assert.equal(second.timelineEndMs, 12500, 'the new session continues the timeline after the last segment');
    assert.deepEqual(uploads(effects).map((s) => s.discontinuity), [false, false, true]);
    assert.equal(state.files[0].segmentCount, 3);
    assert.deepEqual(effects.filter((e) => e.type === 'status_notice').map((e) => (e as { notice: string }).notice), ['record_started', 'record_paused', 'record_resumed']);
  });

  it('reconnect - the segmenter reaching the session end is the same as an unpublish; the late unpublish changes nothing', () => {
    const r = run(fresh(), [[0, begin], seg(1, 10000), exited(1, 11000), [11500, { type: 'unpublish', sessionId: 'sess1' }]]);
    assert.equal(r.state.phase, 'reconnect_wait');
    assert.equal(r.effects.filter((e) => e.type === 'arm_timer').length, 1);
  });

  it('reconnect - a publisher back while the last session is still being drained starts the next read after it', () => {
    const r = run(fresh(), [
      [0, begin], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }],
      [13000, { type: 'publish', sessionId: 'sess2', media: origin(300, 13000), hasVideo: true }],
    ]);
    assert.equal(r.state.phase, 'recording');
    assert.equal(starts(r.effects).length, 1, 'not while the previous read is on');
    const r2 = run(r.state, [seg(1, 12100, 2100), exited(1, 13100)]);
    assert.deepEqual(starts(r2.effects).map((e) => e.from), [{ seq: 300 }]);
    assert.deepEqual(uploads(r2.effects).map((s) => s.discontinuity), [false]);
    const r3 = run(r2.state, [seg(2, 20000)]);
    assert.equal(uploads(r3.effects)[0].discontinuity, true);
  });

  it('reconnect - past the window the files are finalized and the actor ends', () => {
    const r1 = run(fresh(), [[0, begin], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 12100)]);
    const timerId = r1.state.windowTimerId!;
    const r2 = run(r1.state, [[72000, { type: 'timer', timerId }]]);
    assert.equal(r2.state.phase, 'ended');
    assert.equal(finalized(r2.effects).length, 1);
    assert.ok(r2.effects.some((e) => e.type === 'release'));
  });

  it('reconnect - a stale timer id does nothing', () => {
    const r1 = run(fresh(), [[0, begin], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 12100)]);
    const r2 = run(r1.state, [[72000, { type: 'timer', timerId: 'other' }]]);
    assert.equal(r2.state.phase, 'reconnect_wait');
    assert.equal(r2.effects.length, 0);
  });

  it('cancel_delay - finalizes at once during the window', () => {
    const r1 = run(fresh(), [[0, begin], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 12100)]);
    const r2 = run(r1.state, [[13000, { type: 'command', command: 'cancel_delay' }]]);
    assert.equal(r2.state.phase, 'ended');
    assert.deepEqual(types(r2.effects), ['cancel_timer', 'finalize_file', 'state_changed', 'release']);
  });

  it('finalize - cuts the segmenter at what was published and waits for it, so its last segment is in the file', () => {
    const r1 = run(fresh(), [[0, begin], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }]]);
    const r2 = run(r1.state, [[13000, { type: 'command', command: 'cancel_delay' }]]);
    assert.equal(r2.state.phase, 'finalizing');
    assert.deepEqual(r2.effects.find((e) => e.type === 'stop_segmenter'), { type: 'stop_segmenter', generation: 1, mode: 'cut' });
    assert.equal(finalized(r2.effects).length, 0);
    const r3 = run(r2.state, [seg(1, 13100, 3000), exited(1, 13200, 'stopped')]);
    assert.equal(r3.state.phase, 'ended');
    assert.equal(finalized(r3.effects)[0].file.segmentCount, 2);
  });

  it('restart - finalizes the current files and the next segment starts a new file, no gap', () => {
    const { state, effects } = run(fresh(), [[0, begin], seg(1, 10000), [15000, { type: 'command', command: 'restart' }], seg(1, 20000)]);
    const files = finalized(effects);
    assert.equal(files.length, 1);
    assert.equal(files[0].file.segmentCount, 1);
    assert.equal(state.files[0].sequence, 1);
    assert.equal(state.files[0].startMs, files[0].file.endMs);
    assert.equal(state.phase, 'recording');
  });

  it('stop - finalizes and stays live but idle; start records again', () => {
    const r1 = run(fresh(), [[0, begin], seg(1, 10000), [11000, { type: 'command', command: 'stop' }]]);
    assert.equal(r1.state.phase, 'finalizing');
    const r2 = run(r1.state, [exited(1, 11100, 'stopped')]);
    assert.equal(r2.state.phase, 'idle');
    assert.equal(finalized(r2.effects).length, 1);
    const r3 = run(r2.state, [[12000, start]]);
    assert.equal(r3.state.phase, 'recording');
    assert.equal(r3.effects[0].type, 'start_segmenter');
  });

  it('publish during finalizing is refused so the router retries after the end', () => {
    const r1 = run(fresh(), [[0, begin], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], [13000, { type: 'command', command: 'cancel_delay' }]]);
    assert.equal(r1.state.phase, 'finalizing');
    const r2 = transition(r1.state, { type: 'publish', sessionId: 'sess2', media: origin(9), hasVideo: true }, T0 + 13100);
    assert.equal(r2.reply.ok, false);
  });

  it('segmenter failure while live - replays from the open segment after a delay, no discontinuity; gives up after 5', () => {
    const r1 = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150), exited(1, 11000, 'failed')]);
    assert.equal(r1.state.phase, 'recording');
    const restart = starts(r1.effects).pop()!;
    assert.equal(restart.generation, 2);
    assert.equal(restart.delayMs, 1000);
    assert.equal(restart.startNumber, 1);
    assert.deepEqual(restart.from, { seq: 150 });
    assert.deepEqual(restart.timeline, { sessionId: 'sess1', offsetMs: 500 });
    const r2 = run(r1.state, [seg(2, 20000, 10000, 150, 200)]);
    assert.equal(uploads(r2.effects)[0].discontinuity, false);
    let s = r1.state;
    for (let g = 2; g <= 5; g++) s = run(s, [exited(g, 11000 + g, 'failed')]).state;
    assert.equal(s.phase, 'failed');
  });

  it('a gap in the media plane (retention passed) marks a discontinuity', () => {
    const { effects } = run(fresh(), [[0, begin], seg(1, 10000), seg(1, 20000, 10000, 0, 0, true)]);
    assert.deepEqual(uploads(effects).map((s) => s.discontinuity), [false, true]);
  });

  it('late reports of an old segmenter are ignored', () => {
    const { state, effects } = run(fresh(), [[0, begin], seg(7, 10000), exited(7, 11000)]);
    assert.equal(state.phase, 'recording');
    assert.equal(uploads(effects).length, 0);
  });

  it('unpublish of another session is ignored', () => {
    const { state } = run(fresh(), [[0, begin], [1000, { type: 'unpublish', sessionId: 'intruder' }]]);
    assert.equal(state.phase, 'recording');
  });

  it('idle actor (manual mode) ends when the publisher leaves', () => {
    const { state, effects } = run(fresh(), [[1000, { type: 'unpublish', sessionId: 'sess1' }]]);
    assert.equal(state.phase, 'ended');
    assert.ok(effects.some((e) => e.type === 'release'));
  });

  it('shutdown - records what was published, then closes', () => {
    const r1 = run(fresh(), [[0, begin], seg(1, 10000), [11000, { type: 'shutdown' }]]);
    assert.equal(r1.state.phase, 'finalizing');
    const r2 = run(r1.state, [seg(1, 11100, 1100), exited(1, 11200, 'stopped')]);
    assert.equal(r2.state.phase, 'ended');
    assert.equal(finalized(r2.effects)[0].file.segmentCount, 2);
  });

  it('effect failure - the recording ends failed with the reason, its files finalized', () => {
    const r = run(fresh(), [[0, begin], seg(1, 10000), [10100, { type: 'effect_failed', effect: 'upload_segment', error: 'broker gone' }], exited(1, 10200, 'stopped')]);
    assert.equal(r.state.phase, 'failed');
    assert.match(r.state.reason, /upload_segment failed: broker gone/);
    assert.equal(finalized(r.effects).length, 1);
  });

  it('adopted while recording - replays from the open segment with the same timeline; no discontinuity', () => {
    const r1 = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150)]);
    const r2 = run(r1.state, [[20000, { type: 'adopted' }], seg(2, 30000, 20000, 150, 250)]);
    assert.equal(r2.state.phase, 'recording');
    const s = starts(r2.effects)[0];
    assert.deepEqual(s.from, { seq: 150 });
    assert.deepEqual(s.timeline, { sessionId: 'sess1', offsetMs: 500 });
    assert.equal(s.startNumber, 1, 'the open segment is rewritten under its own number');
    assert.equal(uploads(r2.effects)[0].discontinuity, false);
    assert.equal(uploads(r2.effects)[0].startMs, uploads(run(fresh(), [[0, begin], seg(1, 10000)]).effects)[0].endMs);
    assert.equal(r2.state.liveUnconfirmed, false);
  });

  it('adopted while recording - the publisher left meanwhile: the replay reaches its end and the window starts', () => {
    const r1 = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150)]);
    const r2 = run(r1.state, [[20000, { type: 'adopted' }], seg(2, 21000, 5000, 150, 180), exited(2, 25000, 'session_ended')]);
    assert.equal(r2.state.phase, 'reconnect_wait');
    assert.ok(r2.effects.some((e) => e.type === 'arm_timer' && e.deadline === T0 + 25000 + 60000));
    assert.equal(uploads(r2.effects).length, 1);
  });

  it('adopted while finalizing - the open segment is replayed and cut, then the files are finalized', () => {
    const f = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150), [11000, { type: 'command', command: 'stop' }]]);
    const r = run(f.state, [[12000, { type: 'adopted' }]]);
    assert.deepEqual(types(r.effects), ['start_segmenter', 'stop_segmenter']);
    const r2 = run(r.state, [seg(2, 12100, 1000, 150, 160), exited(2, 12200, 'stopped')]);
    assert.equal(r2.state.phase, 'idle');
    assert.equal(finalized(r2.effects)[0].file.segmentCount, 2);
  });

  it('adopted during the window - the last session is read to its end (it may have been cut short)', () => {
    const w = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150), [12000, { type: 'unpublish', sessionId: 'sess1' }]]);
    const r2 = run(w.state, [[13000, { type: 'adopted' }]]);
    assert.equal(r2.state.phase, 'reconnect_wait');
    assert.deepEqual(starts(r2.effects).map((e) => e.from), [{ seq: 150 }]);
  });

  it('suspend - drops the open segment (the next owner replays it) and hands over without finalizing', () => {
    const r1 = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150), [11000, { type: 'suspend' }]]);
    assert.deepEqual(r1.effects.slice(-1), [{ type: 'stop_segmenter', generation: 1, mode: 'abandon' }]);
    const r2 = run(r1.state, [exited(1, 11200, 'stopped')]);
    assert.equal(r2.state.phase, 'recording');
    assert.equal(finalized(r2.effects).length, 0);
    assert.equal(r2.effects[r2.effects.length - 1].type, 'hand_over');
    const r3 = run(r2.state, [[30000, { type: 'adopted' }]]);
    assert.equal(r3.state.suspending, false);
    assert.deepEqual(starts(r3.effects)[0].from, { seq: 150 });
  });

  it('snapshot - its size does not grow with the recording (3 h of 5 s segments)', () => {
    const long = { ...plan, sliceSeconds: 5, formats: [{ ...plan.formats[0], cycleSeconds: 21600 }] };
    let r = run(fresh({ plan: long }), [[0, begin], position(1, 1)]);
    const sizes: number[] = [];
    for (let i = 1; i <= 2160; i++) {
      r = run(r.state, [seg(1, i * 5000, 5000, i, i + 1)]);
      if (i === 10 || i === 2160) sizes.push(JSON.stringify(r.state).length);
    }
    assert.equal(r.state.files[0].segmentCount, 2160);
    assert.ok(sizes[1] - sizes[0] < 16, `snapshot grew from ${sizes[0]} to ${sizes[1]} bytes`);
  });

  it('publish of a new session before the previous one\'s unpublish: the previous is read to its end, then the new one, with one discontinuity', () => {
    const r = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150),
      [11000, { type: 'publish', sessionId: 'sess2', media: origin(300, 11000), hasVideo: true }]]);
    assert.equal(r.state.phase, 'recording');
    assert.equal(starts(r.effects).length, 1, 'the previous session is still being read');
    const r2 = run(r.state, [seg(1, 12000, 2000, 150, 160), exited(1, 12100), [12200, { type: 'unpublish', sessionId: 'sess1' }]]);
    assert.equal(r2.state.phase, 'recording', 'the late unpublish of the previous session changes nothing');
    assert.deepEqual(starts(r2.effects).map((e) => [e.from, e.sessionId]), [[{ seq: 300 }, 'sess2']]);
    const r3 = run(r2.state, [seg(2, 20000, 8000, 300, 350)]);
    assert.deepEqual([...uploads(r2.effects), ...uploads(r3.effects)].map((x) => x.discontinuity), [false, true]);
  });

  it('adopted with a new session pending: the previous session is replayed to its end first', () => {
    const r = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150),
      [11000, { type: 'publish', sessionId: 'sess2', media: origin(300, 11000), hasVideo: true }]]);
    const a = run(r.state, [[12000, { type: 'adopted' }]]);
    assert.deepEqual(starts(a.effects).map((e) => e.from), [{ seq: 150 }]);
    const b = run(a.state, [seg(2, 12500, 2500, 150, 160), exited(2, 12600)]);
    assert.deepEqual(starts(b.effects).map((e) => [e.from, e.sessionId]), [[{ seq: 300 }, 'sess2']]);
    assert.equal(b.state.phase, 'recording');
  });

  it('a read that fails while cutting the last segment ends the recording failed, with its files', () => {
    const r = run(fresh(), [[0, begin], seg(1, 10000), [11000, { type: 'command', command: 'stop' }], exited(1, 11100, 'failed')]);
    assert.equal(r.state.phase, 'failed');
    assert.match(r.state.reason, /last segment failed/);
    assert.equal(finalized(r.effects).length, 1);
  });

  it('a drain that fails during the window is replayed from the open segment', () => {
    const r = run(fresh(), [[0, begin], position(1, 100), seg(1, 10000, 10000, 100, 150), [11000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 11100, 'failed')]);
    assert.equal(r.state.phase, 'reconnect_wait');
    assert.deepEqual(starts(r.effects).pop()!.from, { seq: 150 });
  });

  it('a leftover snapshot of an ended recording is released by whoever adopts it', () => {
    const ended = run(fresh(), [[1000, { type: 'unpublish', sessionId: 'sess1' }]]).state;
    const r = run(ended, [[2000, { type: 'adopted' }]]);
    assert.deepEqual(types(r.effects), ['release']);
  });

  // A command in each state: which are accepted.
  const table: [string, (s: StreamState) => StreamState, Record<string, boolean>][] = [
    ['idle', (s) => s, { start: true, stop: false, cancel_delay: false, restart: false }],
    ['recording', (s) => run(s, [[0, begin]]).state, { start: false, stop: true, cancel_delay: false, restart: true }],
    ['reconnect_wait', (s) => run(s, [[0, begin], [1000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 1100)]).state, { start: false, stop: true, cancel_delay: true, restart: false }],
    ['finalizing', (s) => run(s, [[0, begin], [1000, { type: 'command', command: 'stop' }]]).state, { start: false, stop: false, cancel_delay: false, restart: false }],
    ['ended', (s) => run(s, [[1000, { type: 'unpublish', sessionId: 'sess1' }]]).state, { start: false, stop: false, cancel_delay: false, restart: false }],
  ];
  for (const [phase, setup, accepted] of table) {
    for (const [command, ok] of Object.entries(accepted)) {
      it(`command ${command} in ${phase} is ${ok ? 'accepted' : 'refused with the state named'}`, () => {
        const s = setup(fresh());
        assert.equal(s.phase, phase);
        const t = transition(s, { type: 'command', command: command as 'start' }, T0 + 5000);
        assert.equal(t.reply.ok, ok);
        if (!t.reply.ok) assert.match(t.reply.message, new RegExp(phase));
      });
    }
  }
});
