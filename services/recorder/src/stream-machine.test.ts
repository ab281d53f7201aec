import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordingPlan } from '../../../libs/bus/index.js';
import { initialState, transition, type Effect, type StreamEvent, type StreamState } from './stream-machine.js';

const plan: RecordingPlan = {
  templateId: 't1', trigger: 0, delaySeconds: 60, sliceSeconds: 10, segmentContainer: 'ts',
  segmentPattern: 'record/{AppName}/{StreamName}/{UnixTimestamp}_{Sequence}',
  formats: [{ format: 'm3u8', cycleSeconds: 30, filePattern: 'record/{AppName}/{StreamName}/{EscapedStartTime}_{EscapedEndTime}' }],
  storage: { kind: 'local', bucket: '', endpoint: '' }, pushArgs: {},
};

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);

function fresh(overrides: Partial<StreamState> = {}): StreamState {
  return { ...initialState({ recordingId: 'rec1', stream: { domain: 'localhost', app: 'live', stream: 's1' }, plan, sessionId: 'sess1', pullUrl: 'rtmp://127.0.0.1/live/s1', width: 640, height: 360 }), ...overrides };
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

const start: StreamEvent = { type: 'command', command: 'start' };
const seg = (generation: number, closedAt: number, durationMs = 10000): [number, StreamEvent] =>
  [closedAt, { type: 'segment_closed', generation, spoolPath: `/spool/seg${closedAt}.ts`, durationMs, closedAtMs: T0 + closedAt }];
const exited = (generation: number, at: number): [number, StreamEvent] => [at, { type: 'segmenter_exited', generation, error: null, warnings: [] }];
const types = (effects: Effect[]) => effects.map((e) => e.type);
const finalized = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { type: 'finalize_file' }> => e.type === 'finalize_file');

describe('stream machine', () => {
  it('start - begins the segmenter and announces record_started', () => {
    const { state, effects } = run(fresh(), [[0, start]]);
    assert.equal(state.phase, 'recording');
    assert.deepEqual(types(effects), ['start_segmenter', 'state_changed', 'status_notice']);
    assert.deepEqual(effects[0], { type: 'start_segmenter', generation: 1, pullUrl: 'rtmp://127.0.0.1/live/s1', startNumber: 0, delayMs: 0 });
  });

  it('segments - each closed segment is uploaded with its rendered key and a continuous timeline', () => {
    const { state, effects } = run(fresh(), [[0, start], seg(1, 10000), seg(1, 20000)]);
    const uploads = effects.filter((e): e is Extract<Effect, { type: 'upload_segment' }> => e.type === 'upload_segment');
    assert.equal(uploads.length, 2);
    assert.equal(uploads[0].segment.objectKey, `record/live/s1/${Math.floor(T0 / 1000)}_0.ts`);
    assert.equal(uploads[1].segment.startMs, uploads[0].segment.endMs, 'no gap between consecutive segments');
    assert.equal(state.files[0].segments.length, 2);
    assert.equal(state.files[0].durationMs, 20000);
  });

  it('cycle - a file never grows past its cycle; the crossing segment opens the next file', () => {
    const { state, effects } = run(fresh(), [[0, start], seg(1, 10000), seg(1, 20000), seg(1, 30000), seg(1, 40000)]);
    const files = finalized(effects);
    assert.equal(files.length, 1);
    assert.equal(files[0].file.durationMs, 30000);
    assert.equal(files[0].file.sequence, 0);
    assert.equal(state.files[0].sequence, 1);
    assert.equal(state.files[0].segments.length, 1);
  });

  it('cycle - per format: each format rolls at its own cycle', () => {
    const twoFormats = { ...plan, formats: [plan.formats[0], { format: 'flv' as const, cycleSeconds: 20, filePattern: plan.formats[0].filePattern }] };
    const { effects } = run(fresh({ plan: twoFormats }), [[0, start], seg(1, 10000), seg(1, 20000), seg(1, 30000), seg(1, 40000)]);
    assert.deepEqual(finalized(effects).map((f) => `${f.file.format}#${f.file.sequence}`), ['flv#0', 'm3u8#0']);
  });

  it('reconnect - a drop and return inside the window continues the same file with a discontinuity', () => {
    const { state, effects } = run(fresh(), [
      [0, start], seg(1, 10000),
      [12000, { type: 'unpublish', sessionId: 'sess1' }],
      seg(1, 12500, 2500), exited(1, 12600),
      [30000, { type: 'publish', sessionId: 'sess2', pullUrl: 'rtmp://127.0.0.1/live/s1' }],
      seg(2, 40000),
    ]);
    assert.equal(state.phase, 'recording');
    assert.equal(finalized(effects).length, 0);
    const arm = effects.find((e) => e.type === 'arm_timer') as Extract<Effect, { type: 'arm_timer' }>;
    assert.equal(arm.deadline, T0 + 12000 + 60000);
    assert.ok(effects.some((e) => e.type === 'cancel_timer' && e.timerId === arm.timerId));
    const segs = state.files[0].segments;
    assert.deepEqual(segs.map((s) => s.discontinuity), [false, false, true]);
    assert.deepEqual(effects.filter((e) => e.type === 'status_notice').map((e) => (e as { notice: string }).notice), ['record_started', 'record_paused', 'record_resumed']);
  });

  it('reconnect - past the window the files are finalized and the actor ends', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 12100)]);
    const timerId = r1.state.windowTimerId!;
    const r2 = run(r1.state, [[72000, { type: 'timer', timerId }]]);
    assert.equal(r2.state.phase, 'ended');
    assert.equal(finalized(r2.effects).length, 1);
    assert.ok(r2.effects.some((e) => e.type === 'release'));
  });

  it('reconnect - a stale timer id does nothing', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 12100)]);
    const r2 = run(r1.state, [[72000, { type: 'timer', timerId: 'other' }]]);
    assert.equal(r2.state.phase, 'reconnect_wait');
    assert.equal(r2.effects.length, 0);
  });

  it('cancel_delay - finalizes at once during the window', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 12100)]);
    const r2 = run(r1.state, [[13000, { type: 'command', command: 'cancel_delay' }]]);
    assert.equal(r2.state.phase, 'ended');
    assert.deepEqual(types(r2.effects), ['cancel_timer', 'finalize_file', 'state_changed', 'release']);
  });

  it('finalize - waits for the segmenter so its last segment is in the file', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }]]);
    const r2 = run(r1.state, [[13000, { type: 'command', command: 'cancel_delay' }]]);
    assert.equal(r2.state.phase, 'finalizing');
    assert.equal(finalized(r2.effects).length, 0);
    const r3 = run(r2.state, [seg(1, 13100, 3000), exited(1, 13200)]);
    assert.equal(r3.state.phase, 'ended');
    assert.equal(finalized(r3.effects)[0].file.segments.length, 2);
  });

  it('restart - finalizes the current files and the next segment starts a new file, no gap', () => {
    const { state, effects } = run(fresh(), [[0, start], seg(1, 10000), [15000, { type: 'command', command: 'restart' }], seg(1, 20000)]);
    const files = finalized(effects);
    assert.equal(files.length, 1);
    assert.equal(files[0].file.segments.length, 1);
    assert.equal(state.files[0].sequence, 1);
    assert.equal(state.files[0].segments[0].startMs, files[0].file.segments[0].endMs);
    assert.equal(state.phase, 'recording');
  });

  it('stop - finalizes and stays live but idle; start records again', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [11000, { type: 'command', command: 'stop' }]]);
    assert.equal(r1.state.phase, 'finalizing');
    const r2 = run(r1.state, [exited(1, 11100)]);
    assert.equal(r2.state.phase, 'idle');
    assert.equal(finalized(r2.effects).length, 1);
    const r3 = run(r2.state, [[12000, start]]);
    assert.equal(r3.state.phase, 'recording');
    assert.equal(r3.effects[0].type, 'start_segmenter');
  });

  it('publish during finalizing is refused so the router retries after the end', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }], [13000, { type: 'command', command: 'cancel_delay' }]]);
    assert.equal(r1.state.phase, 'finalizing');
    const r2 = transition(r1.state, { type: 'publish', sessionId: 'sess2', pullUrl: 'x' }, T0 + 13100);
    assert.equal(r2.reply.ok, false);
  });

  it('segmenter crash while live - restarted after a delay with a discontinuity; gives up after 5', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), exited(1, 11000)]);
    assert.equal(r1.state.phase, 'recording');
    const restart = r1.effects.filter((e) => e.type === 'start_segmenter').pop() as Extract<Effect, { type: 'start_segmenter' }>;
    assert.equal(restart.generation, 2);
    assert.equal(restart.delayMs, 1000);
    assert.equal(restart.startNumber, 1);
    let s = r1.state;
    for (let g = 2; g <= 5; g++) s = run(s, [exited(g, 11000 + g)]).state;
    assert.equal(s.phase, 'failed');
  });

  it('late reports of an old segmenter are ignored', () => {
    const { state, effects } = run(fresh(), [[0, start], seg(7, 10000), exited(7, 11000)]);
    assert.equal(state.phase, 'recording');
    assert.equal(effects.filter((e) => e.type === 'upload_segment').length, 0);
  });

  it('unpublish of another session is ignored', () => {
    const { state } = run(fresh(), [[0, start], [1000, { type: 'unpublish', sessionId: 'intruder' }]]);
    assert.equal(state.phase, 'recording');
  });

  it('idle actor (manual mode) ends when the publisher leaves', () => {
    const { state, effects } = run(fresh(), [[1000, { type: 'unpublish', sessionId: 'sess1' }]]);
    assert.equal(state.phase, 'ended');
    assert.ok(effects.some((e) => e.type === 'release'));
  });

  it('shutdown - closes what is open', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [11000, { type: 'shutdown' }]]);
    assert.equal(r1.state.phase, 'finalizing');
    const r2 = run(r1.state, [seg(1, 11100, 1100), exited(1, 11200)]);
    assert.equal(r2.state.phase, 'ended');
    assert.equal(finalized(r2.effects)[0].file.segments.length, 2);
  });

  it('adopted while recording - restarts the pull with a discontinuity; a live publisher keeps it recording', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000)]);
    const r2 = run(r1.state, [[20000, { type: 'adopted' }], seg(2, 30000)]);
    assert.equal(r2.state.phase, 'recording');
    assert.equal(r2.effects[0].type, 'start_segmenter');
    assert.equal(r2.state.files[0].segments[1].discontinuity, true);
    assert.equal(r2.state.liveUnconfirmed, false);
  });

  it('adopted while recording - no publisher any more: the reconnect window starts', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000)]);
    const r2 = run(r1.state, [[20000, { type: 'adopted' }], exited(2, 25000)]);
    assert.equal(r2.state.phase, 'reconnect_wait');
    assert.ok(r2.effects.some((e) => e.type === 'arm_timer' && e.deadline === T0 + 25000 + 60000));
  });

  it('adopted while finalizing - finishes at once; in the window - keeps waiting', () => {
    const f = run(fresh(), [[0, start], seg(1, 10000), [11000, { type: 'command', command: 'stop' }]]);
    const r = run(f.state, [[12000, { type: 'adopted' }]]);
    assert.equal(r.state.phase, 'idle');
    assert.equal(finalized(r.effects).length, 1);
    const w = run(fresh(), [[0, start], seg(1, 10000), [12000, { type: 'unpublish', sessionId: 'sess1' }]]);
    const r2 = run(w.state, [[13000, { type: 'adopted' }]]);
    assert.equal(r2.state.phase, 'reconnect_wait');
    assert.equal(r2.effects.length, 0);
  });

  it('suspend - closes the open segment, then hands over without finalizing', () => {
    const r1 = run(fresh(), [[0, start], seg(1, 10000), [11000, { type: 'suspend' }]]);
    assert.deepEqual(types(r1.effects).slice(-1), ['stop_segmenter']);
    const r2 = run(r1.state, [seg(1, 11100, 1100), exited(1, 11200)]);
    assert.equal(r2.state.phase, 'recording');
    assert.equal(finalized(r2.effects).length, 0);
    assert.equal(r2.effects[r2.effects.length - 1].type, 'hand_over');
    assert.equal(r2.state.files[0].segments.length, 2);
    const r3 = run(r2.state, [[30000, { type: 'adopted' }]]);
    assert.equal(r3.state.suspending, false);
    assert.equal(r3.effects[0].type, 'start_segmenter');
  });

  // A command in each state: which are accepted.
  const table: [string, (s: StreamState) => StreamState, Record<string, boolean>][] = [
    ['idle', (s) => s, { start: true, stop: false, cancel_delay: false, restart: false }],
    ['recording', (s) => run(s, [[0, start]]).state, { start: false, stop: true, cancel_delay: false, restart: true }],
    ['reconnect_wait', (s) => run(s, [[0, start], [1000, { type: 'unpublish', sessionId: 'sess1' }], exited(1, 1100)]).state, { start: false, stop: true, cancel_delay: true, restart: false }],
    ['finalizing', (s) => run(s, [[0, start], [1000, { type: 'command', command: 'stop' }]]).state, { start: false, stop: false, cancel_delay: false, restart: false }],
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
