// The per-stream recording actor as a pure transition function:
// transition(state, event, now) -> { state, effects, reply }. No I/O here; the
// runner (stream-actor.ts) executes the effects and feeds their results back.
import type { RecordCommand, RecordFormat, RecordingPlan, StreamRef } from '../../../libs/bus/index.js';
import { renderKey, segmentExtension } from '../../../libs/naming/index.js';

export type Phase = 'idle' | 'recording' | 'reconnect_wait' | 'finalizing' | 'ended' | 'failed';

export interface SegmentRecord {
  sequence: number;
  objectKey: string;
  spoolPath: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  /** The segment follows a gap in the timeline (reconnect or segmenter restart). */
  discontinuity: boolean;
  /** fMP4: object key and spool path of the init segment it needs. */
  initKey?: string;
  initSpoolPath?: string;
}

export interface OpenFile {
  format: RecordFormat;
  sequence: number;
  startMs: number;
  durationMs: number;
  segments: SegmentRecord[];
}

/** What happens once the segmenter has stopped and the open files are finalized. */
export type AfterFinalize = 'end' | 'idle' | 'fail';

export interface StreamState {
  recordingId: string;
  stream: StreamRef;
  plan: RecordingPlan;
  phase: Phase;
  live: boolean;
  sessionId: string | null;
  pullUrl: string | null;
  /** Increases with every segmenter start, so that late reports of an old one are recognised. */
  generation: number;
  segmenterRunning: boolean;
  /** Consecutive segmenter exits that produced no segment while the publisher was live. */
  segmenterFailures: number;
  /** Adopted from a lost worker while recording: the publisher may have gone meanwhile. */
  liveUnconfirmed: boolean;
  /** Being handed over to another worker (or this one after a restart). */
  suspending: boolean;
  nextSegmentSequence: number;
  lastSegmentEndMs: number | null;
  pendingDiscontinuity: boolean;
  /** fMP4: the init segment of the running segmenter, once uploaded. */
  currentInit: { generation: number; objectKey: string } | null;
  files: OpenFile[];
  nextFileSequence: Partial<Record<RecordFormat, number>>;
  windowTimerId: string | null;
  windowCount: number;
  afterFinalize: AfterFinalize;
  reason: string;
  width: number;
  height: number;
}

export type StreamEvent =
  | { type: 'publish'; sessionId: string; pullUrl: string }
  | { type: 'unpublish'; sessionId: string }
  | { type: 'segment_closed'; generation: number; spoolPath: string; durationMs: number; closedAtMs: number; initPath?: string }
  | { type: 'segmenter_exited'; generation: number; error: string | null; warnings: string[] }
  | { type: 'timer'; timerId: string }
  | { type: 'command'; command: RecordCommand }
  /** The worker is shutting down: close what is open. */
  | { type: 'shutdown' }
  /** This worker took the stream over from one that lost its lease. */
  | { type: 'adopted' }
  /** The worker stops but the recording goes on elsewhere: close the open segment and hand over. */
  | { type: 'suspend' };

export type Effect =
  | { type: 'start_segmenter'; generation: number; pullUrl: string; startNumber: number; delayMs: number }
  | { type: 'stop_segmenter'; generation: number }
  | { type: 'upload_segment'; segment: SegmentRecord }
  | { type: 'upload_init'; spoolPath: string; objectKey: string }
  | { type: 'finalize_file'; file: OpenFile }
  | { type: 'arm_timer'; timerId: string; deadline: number }
  | { type: 'cancel_timer'; timerId: string }
  | { type: 'state_changed'; previous: Phase; phase: Phase; reason: string }
  | { type: 'status_notice'; notice: 'record_started' | 'record_paused' | 'record_resumed' }
  | { type: 'release' }
  /** Give up ownership, keeping the snapshot for whoever adopts it. */
  | { type: 'hand_over' };

export type Reply = { ok: true } | { ok: false; code: 'failed_precondition'; message: string };

export interface Transition {
  state: StreamState;
  effects: Effect[];
  reply: Reply;
}

const MAX_SEGMENTER_FAILURES = 5;
const SEGMENTER_RESTART_DELAY_MS = 1000;

export function initialState(args: {
  recordingId: string;
  stream: StreamRef;
  plan: RecordingPlan;
  sessionId: string;
  pullUrl: string;
  width: number;
  height: number;
}): StreamState {
  return {
    recordingId: args.recordingId,
    stream: args.stream,
    plan: args.plan,
    phase: 'idle',
    live: true,
    sessionId: args.sessionId,
    pullUrl: args.pullUrl,
    generation: 0,
    segmenterRunning: false,
    segmenterFailures: 0,
    liveUnconfirmed: false,
    suspending: false,
    nextSegmentSequence: 0,
    lastSegmentEndMs: null,
    pendingDiscontinuity: false,
    currentInit: null,
    files: [],
    nextFileSequence: {},
    windowTimerId: null,
    windowCount: 0,
    afterFinalize: 'end',
    reason: 'created',
    width: args.width,
    height: args.height,
  };
}

const ok: Reply = { ok: true };
function refuse(state: StreamState, what: string): Reply {
  return { ok: false, code: 'failed_precondition', message: `${what} while the recording is ${state.phase}` };
}

class Builder {
  effects: Effect[] = [];
  constructor(public state: StreamState) {}

  set(patch: Partial<StreamState>): void {
    this.state = { ...this.state, ...patch };
  }

  emit(effect: Effect): void {
    this.effects.push(effect);
  }

  moveTo(phase: Phase, reason: string): void {
    const previous = this.state.phase;
    if (previous === phase) return;
    this.set({ phase, reason });
    this.emit({ type: 'state_changed', previous, phase, reason });
  }

  startSegmenter(delayMs = 0): void {
    const generation = this.state.generation + 1;
    this.set({ generation, segmenterRunning: true });
    this.emit({ type: 'start_segmenter', generation, pullUrl: this.state.pullUrl!, startNumber: this.state.nextSegmentSequence, delayMs });
  }

  stopSegmenter(): void {
    if (this.state.segmenterRunning) this.emit({ type: 'stop_segmenter', generation: this.state.generation });
  }

  cancelWindow(): void {
    if (this.state.windowTimerId) this.emit({ type: 'cancel_timer', timerId: this.state.windowTimerId });
    this.set({ windowTimerId: null });
  }

  finalizeOpenFiles(): void {
    for (const file of this.state.files) {
      if (file.segments.length > 0) this.emit({ type: 'finalize_file', file });
    }
    this.set({ files: [] });
  }

  /** Ends the recording's files; waits for the segmenter first so its last segment is included. */
  finish(after: AfterFinalize, reason: string): void {
    this.cancelWindow();
    this.set({ afterFinalize: after });
    if (this.state.segmenterRunning) {
      this.stopSegmenter();
      this.moveTo('finalizing', reason);
      return;
    }
    this.completeFinish(reason);
  }

  completeFinish(reason: string): void {
    this.finalizeOpenFiles();
    const after = this.state.afterFinalize;
    if (after === 'idle' && this.state.live) {
      this.moveTo('idle', reason);
    } else if (after === 'fail') {
      this.moveTo('failed', reason);
      this.emit({ type: 'release' });
    } else {
      this.moveTo('ended', reason);
      this.emit({ type: 'release' });
    }
  }

  addSegment(spoolPath: string, durationMs: number, closedAtMs: number, initPath?: string): void {
    const s = this.state;
    const startMs = s.lastSegmentEndMs !== null && !s.pendingDiscontinuity ? s.lastSegmentEndMs : closedAtMs - durationMs;
    const sequence = s.nextSegmentSequence;
    const vars = {
      AppName: s.stream.app,
      StreamName: s.stream.stream,
      DomainName: s.stream.domain,
      UnixTimestamp: Math.floor(startMs / 1000),
      Sequence: sequence,
      TranscodeTemplateID: '',
    };
    const objectKey = renderKey(s.plan.segmentPattern, vars, segmentExtension(s.plan.segmentContainer));
    let initKey: string | undefined;
    if (initPath) {
      // Each segmenter run writes its own init segment; it is stored once, before its first segment.
      if (s.currentInit?.generation !== s.generation) {
        const key = renderKey(s.plan.segmentPattern, { ...vars, Sequence: `${sequence}_init` }, '.mp4');
        this.emit({ type: 'upload_init', spoolPath: initPath, objectKey: key });
        this.set({ currentInit: { generation: s.generation, objectKey: key } });
      }
      initKey = this.state.currentInit!.objectKey;
    }
    const segment: SegmentRecord = {
      sequence, objectKey, spoolPath, startMs, endMs: startMs + durationMs, durationMs,
      discontinuity: s.pendingDiscontinuity,
      ...(initKey ? { initKey, initSpoolPath: initPath } : {}),
    };
    this.emit({ type: 'upload_segment', segment });

    const files: OpenFile[] = [];
    const nextFileSequence = { ...s.nextFileSequence };
    for (const fp of s.plan.formats) {
      let file = s.files.find((f) => f.format === fp.format);
      // A file never grows past its cycle: the segment that would cross it opens the next file.
      if (file && file.segments.length > 0 && file.durationMs + durationMs > fp.cycleSeconds * 1000) {
        this.emit({ type: 'finalize_file', file });
        file = undefined;
      }
      if (!file) {
        const seq = nextFileSequence[fp.format] ?? 0;
        nextFileSequence[fp.format] = seq + 1;
        file = { format: fp.format, sequence: seq, startMs, durationMs: 0, segments: [] };
      }
      files.push({ ...file, durationMs: file.durationMs + durationMs, segments: [...file.segments, segment] });
    }
    this.set({
      files,
      nextFileSequence,
      nextSegmentSequence: sequence + 1,
      lastSegmentEndMs: segment.endMs,
      pendingDiscontinuity: false,
      segmenterFailures: 0,
      liveUnconfirmed: false,
    });
  }

  /** The publisher is gone: keep the files open for the reconnect window. */
  awaitReconnect(now: number, reason: string): void {
    const windowCount = this.state.windowCount + 1;
    const timerId = `${this.state.recordingId}.w${windowCount}`;
    this.set({ windowTimerId: timerId, windowCount, live: false, sessionId: null, liveUnconfirmed: false });
    this.emit({ type: 'arm_timer', timerId, deadline: now + this.state.plan.delaySeconds * 1000 });
    this.stopSegmenter();
    this.moveTo('reconnect_wait', reason);
    this.emit({ type: 'status_notice', notice: 'record_paused' });
  }

  /** Finalizes every open file now; the segments still being written go to new files. */
  rollFiles(): void {
    this.finalizeOpenFiles();
  }
}

export function transition(state: StreamState, event: StreamEvent, now: number): Transition {
  const b = new Builder(state);
  const reply = apply(b, event, now);
  return { state: b.state, effects: b.effects, reply };
}

function apply(b: Builder, event: StreamEvent, now: number): Reply {
  const s = b.state;
  if (s.phase === 'ended' || s.phase === 'failed') {
    return refuse(s, `${event.type === 'command' ? event.command : event.type} refused`);
  }

  switch (event.type) {
    case 'segment_closed': {
      if (event.generation !== s.generation) return ok;
      b.addSegment(event.spoolPath, event.durationMs, event.closedAtMs, event.initPath);
      return ok;
    }

    case 'segmenter_exited': {
      if (event.generation !== s.generation || !s.segmenterRunning) return ok;
      b.set({ segmenterRunning: false });
      if (s.suspending) {
        b.emit({ type: 'hand_over' });
        return ok;
      }
      if (s.phase === 'finalizing') {
        b.completeFinish(s.reason);
        return ok;
      }
      if (s.phase === 'recording' && s.liveUnconfirmed) {
        b.awaitReconnect(now, 'publisher not found after adoption');
        return ok;
      }
      if (s.phase === 'recording' && s.live) {
        // The pull broke while the publisher is still there: supervise, with a limit.
        const failures = s.segmenterFailures + 1;
        b.set({ segmenterFailures: failures, pendingDiscontinuity: true });
        if (failures >= MAX_SEGMENTER_FAILURES) {
          b.finish('fail', `segmenter failed ${failures} times: ${event.error ?? 'exited'}`);
        } else {
          b.startSegmenter(SEGMENTER_RESTART_DELAY_MS);
        }
      }
      return ok;
    }

    case 'publish': {
      if (s.phase === 'finalizing') return refuse(s, 'publish refused');
      b.set({ live: true, sessionId: event.sessionId, pullUrl: event.pullUrl });
      if (s.phase === 'reconnect_wait') {
        b.cancelWindow();
        b.set({ pendingDiscontinuity: true });
        b.startSegmenter();
        b.moveTo('recording', 'publisher returned within the reconnect window');
        b.emit({ type: 'status_notice', notice: 'record_resumed' });
      }
      return ok;
    }

    case 'unpublish': {
      if (event.sessionId !== s.sessionId) return ok;
      b.set({ live: false, sessionId: null });
      if (s.phase === 'idle') {
        b.moveTo('ended', 'publisher left');
        b.emit({ type: 'release' });
      } else if (s.phase === 'recording') {
        b.awaitReconnect(now, 'publisher left');
      } else if (s.phase === 'finalizing' && s.afterFinalize === 'idle') {
        b.set({ afterFinalize: 'end' });
      }
      return ok;
    }

    case 'timer': {
      if (s.phase !== 'reconnect_wait' || event.timerId !== s.windowTimerId) return ok;
      b.set({ windowTimerId: null });
      b.finish('end', 'reconnect window expired');
      return ok;
    }

    case 'adopted': {
      // The previous owner's segmenter died with it; what it was writing is lost.
      b.set({ segmenterRunning: false, suspending: false });
      if (s.phase === 'recording') {
        b.set({ pendingDiscontinuity: true, liveUnconfirmed: true });
        b.startSegmenter();
      } else if (s.phase === 'finalizing') {
        b.completeFinish(s.reason);
      }
      return ok;
    }

    case 'suspend': {
      if (s.suspending) return ok;
      b.set({ suspending: true });
      if (s.segmenterRunning) b.stopSegmenter();
      else b.emit({ type: 'hand_over' });
      return ok;
    }

    case 'shutdown': {
      if (s.phase === 'finalizing') return ok;
      b.finish('end', 'recorder shutting down');
      return ok;
    }

    case 'command':
      return applyCommand(b, event.command);
  }
}

function applyCommand(b: Builder, command: RecordCommand): Reply {
  const s = b.state;
  switch (command) {
    case 'start':
      if (s.phase !== 'idle') return refuse(s, 'start refused');
      if (!s.live || !s.pullUrl) return refuse(s, 'start refused: the stream is not live');
      b.set({ pendingDiscontinuity: false, lastSegmentEndMs: null });
      b.startSegmenter();
      b.moveTo('recording', 'start');
      b.emit({ type: 'status_notice', notice: 'record_started' });
      return ok;
    case 'stop':
      if (s.phase === 'recording') {
        b.finish('idle', 'stop command');
        return ok;
      }
      if (s.phase === 'reconnect_wait') {
        b.finish('end', 'stop command');
        return ok;
      }
      return refuse(s, 'stop refused');
    case 'cancel_delay':
      if (s.phase !== 'reconnect_wait') return refuse(s, 'cancel_delay refused: no reconnect window is running');
      b.finish('end', 'cancel_delay command');
      return ok;
    case 'restart':
      if (s.phase !== 'recording') return refuse(s, 'restart refused');
      b.rollFiles();
      return ok;
  }
}
