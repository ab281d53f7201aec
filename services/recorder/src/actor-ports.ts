// What a stream actor's effects do in the world: the media-plane segmenter,
// upload jobs, the segment log, durable deadlines, events. One instance per
// hosted actor; every failure is logged, counted and evented by the caller.
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import {
  SUBJECTS, publishDurable, type Bus, type RecordingNotice, type RecordingStateChanged, type TimerEntry, type UploadJob,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import type { Logger } from '../../../libs/telemetry/index.js';
import { FileFinalizer } from './file-finalizer.js';
import { JOINED_FORMATS, keepForPackaging } from './formats/index.js';
import { startMediaSegmenter } from './media-segmenter.js';
import { OwnershipLost, type Claim, type Ownership } from './ownership.js';
import { appendSegment } from './segment-log.js';
import type { ActorPorts } from './stream-actor.js';
import type { StreamState } from './stream-machine.js';
import type { Thumbnails } from './thumbnails/index.js';

/** A segmenter with no packet for this long is taken as a session that ended without a word. */
const SEGMENTER_IDLE_MS = 30000;

export interface PortsContext {
  bus: Bus;
  config: Config;
  log: Logger;
  ownership: Ownership;
  claim: Claim;
  timers: KV;
  finalizer: FileFinalizer;
  /** Thumbnails of streams with a snapshot configuration (absent: none). */
  thumbnails?: Thumbnails;
  spoolDirOf(recordingId: string): string;
  onSegment(): void;
  onEffectFailed(state: StreamState, effect: string, error: Error): void;
  /** The actor let go of the stream (ended or handed over): stop hosting it. */
  unhost(): void;
}

export function actorPorts(ctx: PortsContext): ActorPorts {
  const { bus, log } = ctx;
  return {
    now: () => Date.now(),
    log,
    startSegmenter: (state, effect, events) => startMediaSegmenter({
      bus,
      subject: effect.subject,
      from: effect.from,
      sessionId: effect.sessionId,
      timeline: effect.timeline,
      timelineEndMs: effect.timelineEndMs,
      sliceMs: state.plan.sliceSeconds * 1000,
      container: state.plan.segmentContainer,
      flvParts: state.plan.formats.some((f) => JOINED_FORMATS.includes(f.format)),
      hasVideo: state.hasVideo,
      dir: ctx.spoolDirOf(state.recordingId),
      startNumber: effect.startNumber,
      generation: effect.generation,
      idleMs: SEGMENTER_IDLE_MS,
      log,
      onPosition: (p) => events.dispatch({ type: 'segmenter_position', generation: effect.generation, ...p }),
      onSegment: (segment) => {
        ctx.onSegment();
        events.dispatch({ type: 'segment_closed', generation: effect.generation, segment, closedAtMs: Date.now() });
      },
      onExit: (reason, error) => events.dispatch({ type: 'segmenter_exited', generation: effect.generation, reason, error }),
      onKeyframe: ctx.thumbnails?.keyframeSink(state),
    }),
    persist: (state) => ctx.ownership.persist(ctx.claim, state),
    uploadSegment: async (state, segment) => {
      const spoolDir = ctx.spoolDirOf(state.recordingId);
      if (segment.flvPartPath && segment.flvPartKey) {
        await keepForPackaging(spoolDir, segment.flvPartPath);
        const part: UploadJob = {
          kind: 'init', id: `${state.recordingId}:part:${segment.sequence}`, recordingId: state.recordingId, spoolPath: segment.flvPartPath,
          objectKey: segment.flvPartKey, storage: state.plan.storage, contentType: 'video/x-flv',
        };
        await publishDurable(bus, SUBJECTS.upload, part, part.id);
      }
      const job: UploadJob = {
        kind: 'segment', id: `${state.recordingId}:seg:${segment.sequence}`, recordingId: state.recordingId, spoolPath: segment.spoolPath,
        objectKey: segment.objectKey, storage: state.plan.storage,
        contentType: state.plan.segmentContainer === 'fmp4' ? 'video/iso.segment' : 'video/mp2t',
        segment: {
          stream: state.stream, recordingId: state.recordingId, sequence: segment.sequence, startMs: segment.startMs,
          endMs: segment.endMs, durationMs: segment.durationMs, discontinuity: segment.discontinuity,
        },
      };
      await publishDurable(bus, SUBJECTS.upload, job, job.id);
      await appendSegment(bus, state.recordingId, state.generation, segment);
    },
    uploadInit: async (state, spoolPath, objectKey) => {
      const job: UploadJob = { kind: 'init', id: `${state.recordingId}:init:${objectKey}`, recordingId: state.recordingId, spoolPath, objectKey, storage: state.plan.storage, contentType: 'video/mp4' };
      await publishDurable(bus, SUBJECTS.upload, job, job.id);
    },
    finalizeFile: (state, file) => ctx.finalizer.finalize(state, file),
    armTimer: async (state, timerId, deadline) => {
      const entry: TimerEntry = { timerId, stream: state.stream, deadline };
      await ctx.timers.put(timerId, JSON.stringify(entry));
    },
    cancelTimer: async (timerId) => {
      await ctx.timers.delete(timerId);
    },
    stateChanged: async (state, previous, reason) => {
      const ev: RecordingStateChanged = {
        stream: state.stream, recordingId: state.recordingId, phase: state.phase, previous, reason, at: Date.now(),
        // A media-library recording's every file (each has had a segment): what the library waits for before merging.
        ...(state.plan.vod && (state.phase === 'ended' || state.phase === 'failed') ? { files: state.nextFileSequence } : {}),
      };
      // One id per transition: a publish retry, or a replay after a takeover, is not a second event.
      await publishDurable(bus, SUBJECTS.recordingState, ev, `${state.recordingId}:state:${previous}>${state.phase}:w${state.windowCount}:n${state.nextSegmentSequence}`);
    },
    statusNotice: async (state, notice) => {
      const ev: RecordingNotice = { stream: state.stream, recordingId: state.recordingId, notice, pushArgs: state.plan.pushArgs, at: Date.now() };
      await publishDurable(bus, SUBJECTS.recordingNotice, ev, `${state.recordingId}:notice:${notice}:w${state.windowCount}:n${state.nextSegmentSequence}`);
    },
    handOver: async (state) => {
      await ctx.ownership.handOver(ctx.claim, state);
      ctx.unhost();
      log.info({ recordingId: state.recordingId, phase: state.phase }, 'recording handed over; its snapshot waits for adoption');
    },
    release: async (state) => {
      // The actor is done whatever happens here: it stops being hosted even if the broker is away, and a
      // snapshot that could not be deleted is released by whoever adopts it.
      try {
        await retry(() => ctx.ownership.release(ctx.claim), 4);
      } finally {
        ctx.unhost();
        void ctx.finalizer.cleanUp(state).catch((err: unknown) => log.warn({ recordingId: state.recordingId, err: (err as Error).message }, 'spool clean-up failed'));
        void ctx.thumbnails?.recordingEnded(state.recordingId, ctx.finalizer.idle(state.recordingId)).catch((err: unknown) => log.warn({ recordingId: state.recordingId, err: (err as Error).message }, 'thumbnail spool clean-up failed'));
      }
    },
    effectFailed: (state, effect, error) => ctx.onEffectFailed(state, effect, error),
  };
}

async function retry<T>(op: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= attempts || err instanceof OwnershipLost) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

export function spoolDirFor(config: Config, recordingId: string): string {
  return join(config.spool.dir, recordingId);
}
