// The runner of one stream's machine: a mailbox that applies events one at a
// time, executes the effects, then persists the snapshot. Effects run before
// the snapshot moves on, so a worker that dies in between leaves a snapshot
// whose replay repeats them (idempotently) rather than one that skipped them.
// Segmenters and timers only ever deliver events back into the mailbox.
import type { Logger } from '../../../libs/telemetry/index.js';
import type { MediaSegmenterHandle } from './media-segmenter.js';
import { transition, type Effect, type OpenFile, type Reply, type SegmentRecord, type StreamEvent, type StreamState } from './stream-machine.js';

export type StartSegmenterEffect = Extract<Effect, { type: 'start_segmenter' }>;

export interface SegmenterEvents {
  dispatch(event: StreamEvent): void;
}

export interface ActorPorts {
  now(): number;
  log: Logger;
  startSegmenter(state: StreamState, effect: StartSegmenterEffect, events: SegmenterEvents): MediaSegmenterHandle;
  persist(state: StreamState): Promise<void>;
  uploadSegment(state: StreamState, segment: SegmentRecord): Promise<void>;
  uploadInit(state: StreamState, spoolPath: string, objectKey: string): Promise<void>;
  finalizeFile(state: StreamState, file: OpenFile): Promise<void>;
  armTimer(state: StreamState, timerId: string, deadline: number): Promise<void>;
  cancelTimer(timerId: string): Promise<void>;
  stateChanged(state: StreamState, previous: string, reason: string): Promise<void>;
  statusNotice(state: StreamState, notice: string): Promise<void>;
  release(state: StreamState): Promise<void>;
  handOver(state: StreamState): Promise<void>;
  /** Counts and events an effect that could not be carried out. */
  effectFailed(state: StreamState, effect: Effect['type'] | 'persist', error: Error): void;
}

/** Effects whose failure loses or corrupts recorded content: the recording fails visibly. */
const CRITICAL_EFFECTS: readonly Effect['type'][] = ['upload_segment', 'upload_init', 'finalize_file', 'arm_timer'];

export class StreamActor {
  private mailbox: Promise<unknown> = Promise.resolve();
  private segmenters = new Map<number, MediaSegmenterHandle>();
  /** Stops asked for before (or while) a generation's segmenter was launched. */
  private stoppedGenerations = new Map<number, 'cut' | 'abandon'>();
  private abandoned = false;
  private releasedResolve!: () => void;
  /** Resolves when the actor has ended and released its stream (or was abandoned). */
  readonly released = new Promise<void>((r) => (this.releasedResolve = r));

  constructor(private current: StreamState, private ports: ActorPorts) {}

  get state(): StreamState {
    return this.current;
  }

  dispatch(event: StreamEvent): Promise<Reply> {
    const run = this.mailbox.then(() => this.step(event));
    this.mailbox = run.catch((err: unknown) => {
      this.ports.log.error({ recordingId: this.current.recordingId, event: event.type, err: (err as Error).message }, 'actor step failed');
    });
    return run;
  }

  private async step(event: StreamEvent): Promise<Reply> {
    if (this.abandoned) return { ok: false, code: 'failed_precondition', message: 'this worker no longer owns the stream' };
    const { state, effects, reply } = transition(this.current, event, this.ports.now());
    this.current = state;
    let failed: { effect: Effect['type']; error: Error } | null = null;
    for (const effect of effects) {
      // Ownership lost meanwhile: nothing more may be done in this stream's name.
      if (this.abandoned) break;
      try {
        await this.run(effect);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.ports.effectFailed(this.current, effect.type, error);
        if (CRITICAL_EFFECTS.includes(effect.type)) failed ??= { effect: effect.type, error };
      }
    }
    const gone = effects.some((e) => e.type === 'release' || e.type === 'hand_over');
    if (!gone && !this.abandoned) {
      try {
        await this.ports.persist(this.current);
      } catch (err) {
        // Not fatal by itself: the next transition writes again; a lost ownership is acted on by the host.
        this.ports.effectFailed(this.current, 'persist', err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (failed && event.type !== 'effect_failed') {
      void this.dispatch({ type: 'effect_failed', effect: failed.effect, error: failed.error.message });
    }
    return reply;
  }

  private async run(effect: Effect): Promise<void> {
    const p = this.ports;
    switch (effect.type) {
      case 'start_segmenter':
        if (effect.delayMs > 0) setTimeout(() => this.launch(effect), effect.delayMs).unref();
        else this.launch(effect);
        return;
      case 'stop_segmenter': {
        const seg = this.segmenters.get(effect.generation);
        if (seg) void seg.stop(effect.mode);
        // Not launched yet (a delayed restart): the launch honours the stop.
        else this.stoppedGenerations.set(effect.generation, effect.mode);
        return;
      }
      case 'upload_segment':
        return p.uploadSegment(this.current, effect.segment);
      case 'upload_init':
        return p.uploadInit(this.current, effect.spoolPath, effect.objectKey);
      case 'finalize_file':
        return p.finalizeFile(this.current, effect.file);
      case 'arm_timer':
        return p.armTimer(this.current, effect.timerId, effect.deadline);
      case 'cancel_timer':
        return p.cancelTimer(effect.timerId);
      case 'state_changed':
        p.log.info({ recordingId: this.current.recordingId, from: effect.previous, to: effect.phase, reason: effect.reason }, 'recording state changed');
        return p.stateChanged(this.current, effect.previous, effect.reason);
      case 'status_notice':
        return p.statusNotice(this.current, effect.notice);
      case 'release':
        await p.release(this.current);
        this.releasedResolve();
        return;
      case 'hand_over':
        await p.handOver(this.current);
        this.releasedResolve();
        return;
    }
  }

  private launch(effect: StartSegmenterEffect): void {
    // A restart pending when ownership was lost, or abandoned before it began, must not read anything.
    const stop = this.stoppedGenerations.get(effect.generation);
    if (this.abandoned || stop === 'abandon') {
      if (!this.abandoned) void this.dispatch({ type: 'segmenter_exited', generation: effect.generation, reason: 'stopped', error: null });
      return;
    }
    const generation = effect.generation;
    const handle = this.ports.startSegmenter(this.current, effect, {
      dispatch: (event) => {
        if (event.type === 'segmenter_exited') this.segmenters.delete(generation);
        if (this.abandoned) return;
        void this.dispatch(event);
      },
    });
    this.segmenters.set(generation, handle);
    // A cut asked for before the launch still records what was published up to it.
    if (stop === 'cut') void handle.stop('cut');
  }

  /** Drops the stream without finalizing anything: for a worker that lost ownership. The next owner replays the open segment. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    await Promise.allSettled([...this.segmenters.values()].map((seg) => seg.stop('abandon')));
    this.segmenters.clear();
    this.releasedResolve();
  }
}
