// The runner of one stream's machine: a mailbox that applies events one at a
// time, persists the snapshot, and executes the effects. Timers and processes
// only ever deliver events back into the mailbox.
import type { SegmenterFactory, Segmenter } from '../../../libs/media/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import { transition, type Effect, type OpenFile, type Reply, type SegmentRecord, type StreamEvent, type StreamState } from './stream-machine.js';

export interface ActorPorts {
  now(): number;
  log: Logger;
  segmenterFactory: SegmenterFactory;
  /** Spool folder of one recording. */
  spoolDirOf(recordingId: string): string;
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
}

export class StreamActor {
  private mailbox: Promise<unknown> = Promise.resolve();
  private segmenters = new Map<number, Segmenter>();
  private stoppedGenerations = new Set<number>();
  private releasedResolve!: () => void;
  /** Resolves when the actor has ended and released its stream. */
  readonly released = new Promise<void>((r) => (this.releasedResolve = r));

  constructor(private current: StreamState, private ports: ActorPorts) {}

  get state(): StreamState {
    return this.current;
  }

  dispatch(event: StreamEvent): Promise<Reply> {
    const run = this.mailbox.then(() => this.step(event));
    this.mailbox = run.catch(() => undefined);
    return run;
  }

  private async step(event: StreamEvent): Promise<Reply> {
    const { state, effects, reply } = transition(this.current, event, this.ports.now());
    this.current = state;
    const releasing = effects.some((e) => e.type === 'release');
    if (!releasing) await this.ports.persist(state);
    for (const effect of effects) {
      try {
        await this.run(effect);
      } catch (err) {
        this.ports.log.error({ effect: effect.type, err: (err as Error).message }, 'effect failed');
        if (effect.type === 'finalize_file' || effect.type === 'upload_segment') throw err;
      }
    }
    return reply;
  }

  private async run(effect: Effect): Promise<void> {
    const p = this.ports;
    switch (effect.type) {
      case 'start_segmenter':
        if (effect.delayMs > 0) {
          setTimeout(() => this.launch(effect.generation, effect.pullUrl, effect.startNumber), effect.delayMs).unref();
        } else {
          this.launch(effect.generation, effect.pullUrl, effect.startNumber);
        }
        return;
      case 'stop_segmenter': {
        this.stoppedGenerations.add(effect.generation);
        const seg = this.segmenters.get(effect.generation);
        if (seg) void seg.stop();
        else void this.dispatch({ type: 'segmenter_exited', generation: effect.generation, error: null, warnings: [] });
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

  private launch(generation: number, pullUrl: string, startNumber: number): void {
    if (this.stoppedGenerations.has(generation)) return;
    const s = this.current;
    const seg = this.ports.segmenterFactory({
      input: pullUrl,
      dir: this.ports.spoolDirOf(s.recordingId),
      sliceSeconds: s.plan.sliceSeconds,
      startNumber,
      generation,
      container: s.plan.segmentContainer,
      log: this.ports.log,
      onSegment: (closed) => {
        void this.dispatch({ type: 'segment_closed', generation, spoolPath: closed.path, durationMs: closed.durationMs, closedAtMs: this.ports.now(), ...(closed.initPath ? { initPath: closed.initPath } : {}) });
      },
      onExit: ({ error, warnings }) => {
        this.segmenters.delete(generation);
        if (error) this.ports.log.warn({ generation, error }, 'segmenter exited with an error');
        if (warnings.length) this.ports.log.warn({ generation, warnings }, 'segmenter warnings');
        void this.dispatch({ type: 'segmenter_exited', generation, error, warnings });
      },
    });
    this.segmenters.set(generation, seg);
  }

  /** Stops the segmenter without finalizing anything: for a worker that lost ownership. */
  async abandon(): Promise<void> {
    for (const [generation, seg] of this.segmenters) {
      this.stoppedGenerations.add(generation);
      await seg.stop();
    }
    this.releasedResolve();
  }
}
