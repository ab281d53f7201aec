// The per-stream recording actor as a pure transition function:
// transition(state, event, now) -> { state, effects, reply }. No I/O here; the
// runner (stream-actor.ts) executes the effects and feeds their results back.
import type { MediaOrigin, RecordCommand, RecordFormat, RecordingPlan, StreamRef } from '../../../libs/bus/index.js';
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
  /** fMP4: object key of the init segment it needs. */
  initKey?: string;
  /** FLV part of the segment (its tags), kept for the cycle's FLV/MP4 file: spool path and stored key. */
  flvPartPath?: string;
  flvPartKey?: string;
}

/**
 * A format's file being recorded. Bounded: it names its segments by their
 * sequence range; the segment records themselves are on the recording's
 * segment log (lr.evt.segment.{recordingId}), not in the snapshot.
 */
export interface OpenFile {
  format: RecordFormat;
  sequence: number;
  startMs: number;
  endMs: number;
  durationMs: number;
  firstSegment: number;
  segmentCount: number;
}

/** Where a replay of the stream resumes: the batch that begins the open segment. */
export interface ResumePoint {
  seq: number;
  sessionId: string;
  /** Recording timeline = packet dts + offset (ms), kept so a resumed session keeps its timestamps. */
  timelineOffsetMs: number;
}

/** Where a segmenter starts reading the media plane. */
export type MediaStartPoint = { seq: number } | { startMs: number } | { next: true };

/** A segment as the segmenter reports it. */
export interface ClosedSegmentReport {
  spoolPath: string;
  /** CMAF: the init segment this segment needs, and a hash of it (one upload per distinct init). */
  initPath?: string;
  initHash?: string;
  /** FLV part of the segment (its tags), when FLV or MP4 files are recorded. */
  flvPartPath?: string;
  durationMs: number;
  /** Where the segment ends on the recording's timeline (ms): the next session continues after it. */
  timelineEndMs: number;
  /** Media-plane sequence of the segment's first batch, and of the batch that begins the next one. */
  startSeq: number;
  nextSeq: number;
  /** When the broker received the segment's first batch. */
  wallStartMs: number;
  /** Packets were missing before this segment (the media plane no longer held them, or batches were lost). */
  gap: boolean;
}

export type SegmenterExitReason = 'session_ended' | 'stopped' | 'idle' | 'failed';

/** What happens once the segmenter has stopped and the open files are finalized. */
export type AfterFinalize = 'end' | 'idle' | 'fail';

export interface StreamState {
  recordingId: string;
  stream: StreamRef;
  plan: RecordingPlan;
  phase: Phase;
  live: boolean;
  sessionId: string | null;
  /** The media-plane position of the current (or last) publish session. */
  media: MediaOrigin | null;
  hasVideo: boolean;
  /** Where a replay resumes without loss: the start of the open segment. */
  resume: ResumePoint | null;
  /** End of the recording's timeline so far (ms). */
  timelineEndMs: number | null;
  /** A publisher came back while the previous session's segmenter was still draining: start the next one when it exits. */
  restartPending: boolean;
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
  /** fMP4: the init segment uploaded last (a new one is stored when the codec configuration changes). */
  currentInit: { hash: string; objectKey: string } | null;
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
  | { type: 'publish'; sessionId: string; media: MediaOrigin; hasVideo: boolean }
  | { type: 'unpublish'; sessionId: string }
  /** The assignment asked to record from the session's first packet. */
  | { type: 'begin' }
  | { type: 'segmenter_position'; generation: number; seq: number; sessionId: string; timelineOffsetMs: number }
  | { type: 'segment_closed'; generation: number; segment: ClosedSegmentReport; closedAtMs: number }
  | { type: 'segmenter_exited'; generation: number; reason: SegmenterExitReason; error: string | null }
  /** An effect could not be carried out (storage queue, segment log...): the recording fails visibly. */
  | { type: 'effect_failed'; effect: string; error: string }
  | { type: 'timer'; timerId: string }
  | { type: 'command'; command: RecordCommand }
  /** The worker is shutting down: close what is open. */
  | { type: 'shutdown' }
  /** This worker took the stream over from one that lost its lease. */
  | { type: 'adopted' }
  /** The worker stops but the recording goes on elsewhere: close the open segment and hand over. */
  | { type: 'suspend' };

export type Effect =
  | {
    type: 'start_segmenter'; generation: number; subject: string; from: MediaStartPoint; sessionId: string | null;
    timeline: { sessionId: string; offsetMs: number } | null; timelineEndMs: number | null; startNumber: number; delayMs: number;
  }
  /** cut: record what was published until now, then stop; abandon: drop the open segment (it is replayed elsewhere). */
  | { type: 'stop_segmenter'; generation: number; mode: 'cut' | 'abandon' }
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
  media: MediaOrigin;
  hasVideo: boolean;
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
    media: args.media,
    hasVideo: args.hasVideo,
    resume: null,
    timelineEndMs: null,
    restartPending: false,
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

  /**
   * Starts reading the media plane. `resume` replays from the start of the open
   * segment (same session: no packet lost, no discontinuity); otherwise the
   * current session is read from `from`.
   */
  startSegmenter(from: MediaStartPoint | 'resume' | 'session', delayMs = 0): void {
    const s = this.state;
    const generation = s.generation + 1;
    let start: MediaStartPoint;
    let timeline: { sessionId: string; offsetMs: number } | null = null;
    if (from === 'resume' && s.resume) {
      start = { seq: s.resume.seq };
      timeline = { sessionId: s.resume.sessionId, offsetMs: s.resume.timelineOffsetMs };
    } else if (from === 'resume' || from === 'session') {
      start = s.media?.startSeq != null ? { seq: s.media.startSeq } : { startMs: s.media?.startMs ?? 0 };
    } else {
      start = from;
    }
    const sessionId = timeline?.sessionId ?? s.sessionId;
    this.set({ generation, segmenterRunning: true });
    this.emit({
      type: 'start_segmenter', generation, subject: s.media?.subject ?? '', from: start, sessionId, timeline,
      timelineEndMs: s.timelineEndMs, startNumber: s.nextSegmentSequence, delayMs,
    });
  }

  stopSegmenter(mode: 'cut' | 'abandon'): void {
    if (this.state.segmenterRunning) this.emit({ type: 'stop_segmenter', generation: this.state.generation, mode });
  }

  cancelWindow(): void {
    if (this.state.windowTimerId) this.emit({ type: 'cancel_timer', timerId: this.state.windowTimerId });
    this.set({ windowTimerId: null });
  }

  finalizeOpenFiles(): void {
    for (const file of this.state.files) {
      if (file.segmentCount > 0) this.emit({ type: 'finalize_file', file });
    }
    this.set({ files: [] });
  }

  /** Ends the recording's files; waits for the segmenter first so its last segment is included. */
  finish(after: AfterFinalize, reason: string): void {
    this.cancelWindow();
    this.set({ afterFinalize: after, restartPending: false });
    if (this.state.segmenterRunning) {
      this.stopSegmenter('cut');
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

  addSegment(report: ClosedSegmentReport, closedAtMs: number): void {
    const s = this.state;
    const discontinuity = s.pendingDiscontinuity || report.gap;
    const startMs = s.lastSegmentEndMs !== null && !discontinuity ? s.lastSegmentEndMs : (report.wallStartMs || closedAtMs - report.durationMs);
    const durationMs = report.durationMs;
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
    if (report.initPath && report.initHash) {
      // One init segment is stored per codec configuration, before the first segment that needs it.
      if (s.currentInit?.hash !== report.initHash) {
        const key = renderKey(s.plan.segmentPattern, { ...vars, Sequence: `${sequence}_init` }, '.mp4');
        this.emit({ type: 'upload_init', spoolPath: report.initPath, objectKey: key });
        this.set({ currentInit: { hash: report.initHash, objectKey: key } });
      }
      initKey = this.state.currentInit!.objectKey;
    }
    const segment: SegmentRecord = {
      sequence, objectKey, spoolPath: report.spoolPath, startMs, endMs: startMs + durationMs, durationMs, discontinuity,
      ...(initKey ? { initKey } : {}),
      ...(report.flvPartPath ? { flvPartPath: report.flvPartPath, flvPartKey: partKey(s.recordingId, sequence) } : {}),
    };
    this.emit({ type: 'upload_segment', segment });

    const files: OpenFile[] = [];
    const nextFileSequence = { ...s.nextFileSequence };
    for (const fp of s.plan.formats) {
      let file = s.files.find((f) => f.format === fp.format);
      // A file never grows past its cycle: the segment that would cross it opens the next file.
      if (file && file.segmentCount > 0 && file.durationMs + durationMs > fp.cycleSeconds * 1000) {
        this.emit({ type: 'finalize_file', file });
        file = undefined;
      }
      if (!file) {
        const seq = nextFileSequence[fp.format] ?? 0;
        nextFileSequence[fp.format] = seq + 1;
        file = { format: fp.format, sequence: seq, startMs, endMs: startMs, durationMs: 0, firstSegment: sequence, segmentCount: 0 };
      }
      files.push({ ...file, durationMs: file.durationMs + durationMs, segmentCount: file.segmentCount + 1, endMs: segment.endMs });
    }
    this.set({
      files,
      nextFileSequence,
      nextSegmentSequence: sequence + 1,
      lastSegmentEndMs: segment.endMs,
      pendingDiscontinuity: false,
      segmenterFailures: 0,
      liveUnconfirmed: false,
      timelineEndMs: report.timelineEndMs,
      resume: s.resume ? { ...s.resume, seq: report.nextSeq } : null,
    });
  }

  /** The publisher is gone: keep the files open for the reconnect window (the segmenter drains to the session's end). */
  awaitReconnect(now: number, reason: string): void {
    const windowCount = this.state.windowCount + 1;
    const timerId = `${this.state.recordingId}.w${windowCount}`;
    this.set({ windowTimerId: timerId, windowCount, live: false, sessionId: null, liveUnconfirmed: false });
    this.emit({ type: 'arm_timer', timerId, deadline: now + this.state.plan.delaySeconds * 1000 });
    this.moveTo('reconnect_wait', reason);
    this.emit({ type: 'status_notice', notice: 'record_paused' });
  }

  /** Finalizes every open file now; the segments still being written go to new files. */
  rollFiles(): void {
    this.finalizeOpenFiles();
  }
}

/** Where a segment's FLV part is stored until its cycle's FLV/MP4 file is made from it. */
export function partKey(recordingId: string, sequence: number): string {
  return `.parts/${recordingId}/${sequence}.flvpart`;
}

export function transition(state: StreamState, event: StreamEvent, now: number): Transition {
  const b = new Builder(state);
  const reply = apply(b, event, now);
  return { state: b.state, effects: b.effects, reply };
}

function apply(b: Builder, event: StreamEvent, now: number): Reply {
  const s = b.state;
  if (s.phase === 'ended' || s.phase === 'failed') {
    // A snapshot left behind by a release that failed: whoever adopts it lets it go.
    if (event.type === 'adopted') {
      b.emit({ type: 'release' });
      return ok;
    }
    return refuse(s, `${event.type === 'command' ? event.command : event.type} refused`);
  }

  switch (event.type) {
    case 'segmenter_position': {
      if (event.generation !== s.generation) return ok;
      b.set({ resume: { seq: event.seq, sessionId: event.sessionId, timelineOffsetMs: event.timelineOffsetMs } });
      return ok;
    }

    case 'segment_closed': {
      if (event.generation !== s.generation) return ok;
      b.addSegment(event.segment, event.closedAtMs);
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
        // A read that failed while cutting lost the tail of the recording: say so.
        if (event.reason === 'failed') b.set({ afterFinalize: 'fail', reason: `recording the last segment failed: ${event.error ?? 'unknown error'}` });
        b.completeFinish(event.reason === 'failed' ? b.state.reason : s.reason);
        return ok;
      }
      if (s.restartPending && s.phase === 'recording') {
        // The previous session is fully recorded; the publisher that came back continues the files.
        b.set({ pendingDiscontinuity: true, resume: null, restartPending: false });
        b.startSegmenter('session');
        return ok;
      }
      if (s.phase === 'reconnect_wait' && event.reason === 'failed') {
        // The drain of the last session broke: replay it from the open segment.
        b.startSegmenter('resume', SEGMENTER_RESTART_DELAY_MS);
        return ok;
      }
      if (s.phase !== 'recording') return ok;
      if (event.reason === 'session_ended' || !s.live || s.liveUnconfirmed) {
        b.awaitReconnect(now, event.reason === 'session_ended' ? 'publisher left' : 'publisher not found after adoption');
        return ok;
      }
      // The read broke while the publisher is still there: replay from the open segment, with a limit.
      const failures = s.segmenterFailures + 1;
      b.set({ segmenterFailures: failures });
      if (failures >= MAX_SEGMENTER_FAILURES) {
        b.finish('fail', `segmenter failed ${failures} times: ${event.error ?? event.reason}`);
      } else {
        b.startSegmenter('resume', SEGMENTER_RESTART_DELAY_MS);
      }
      return ok;
    }

    case 'effect_failed': {
      b.finish('fail', `${event.effect} failed: ${event.error}`);
      return ok;
    }

    case 'publish': {
      if (s.phase === 'finalizing') return refuse(s, 'publish refused');
      b.set({ live: true, sessionId: event.sessionId, media: event.media, hasVideo: event.hasVideo });
      if (s.phase === 'recording' && event.sessionId !== s.sessionId && s.segmenterRunning) {
        // The new session was announced before the previous one's unpublish: read it once the previous one is done.
        b.set({ restartPending: true });
        return ok;
      }
      if (s.phase === 'reconnect_wait') {
        b.cancelWindow();
        // The previous session's last segment may still be on its way: the discontinuity begins with the new session.
        if (s.segmenterRunning) b.set({ restartPending: true });
        else {
          b.set({ resume: null, pendingDiscontinuity: true, restartPending: false });
          b.startSegmenter('session');
        }
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

    case 'begin': {
      if (s.phase !== 'idle') return refuse(s, 'begin refused');
      if (!s.live || !s.media) return refuse(s, 'begin refused: the stream is not live');
      b.set({ pendingDiscontinuity: false, lastSegmentEndMs: null, resume: null, restartPending: false });
      b.startSegmenter('session');
      b.moveTo('recording', 'start');
      b.emit({ type: 'status_notice', notice: 'record_started' });
      return ok;
    }

    case 'timer': {
      if (s.phase !== 'reconnect_wait' || event.timerId !== s.windowTimerId) return ok;
      b.set({ windowTimerId: null });
      b.finish('end', 'reconnect window expired');
      return ok;
    }

    case 'adopted': {
      // The previous owner's segmenter died with it; the open segment is replayed from the media plane.
      b.set({ segmenterRunning: false, suspending: false });
      if (s.phase === 'recording') {
        // With a new session pending, the previous one is replayed to its end first (restartPending stays set).
        b.set({ liveUnconfirmed: !s.restartPending });
        b.startSegmenter(s.resume ? 'resume' : 'session');
      } else if (s.phase === 'reconnect_wait' && s.resume && !s.restartPending) {
        // It may have died before the last session was read to its end.
        b.startSegmenter('resume');
      } else if (s.phase === 'finalizing') {
        if (s.resume) {
          b.startSegmenter('resume');
          b.stopSegmenter('cut');
        } else {
          b.completeFinish(s.reason);
        }
      }
      return ok;
    }

    case 'suspend': {
      if (s.suspending) return ok;
      b.set({ suspending: true });
      if (s.segmenterRunning) b.stopSegmenter('abandon');
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
      if (!s.live || !s.media) return refuse(s, 'start refused: the stream is not live');
      b.set({ pendingDiscontinuity: false, lastSegmentEndMs: null, resume: null, restartPending: false });
      b.startSegmenter({ next: true });
      // Named like the stop: the matcher starts the template's renditions on it (a begin was decided at publish).
      b.moveTo('recording', 'start command');
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
