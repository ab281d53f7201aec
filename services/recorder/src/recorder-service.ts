import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import {
  BUCKETS, CONSUMERS, STREAMS, SUBJECTS, bucket, consumeDurable, publishDurable, streamLabel, streamToken,
  type ActorMessage, type ActorReply, type Bus, type FileMeta, type RecordAssignment, type RecordingNotice,
  type RecordingStateChanged, type Running, type SpoolPressure, type TimerEntry, type UploadJob,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { ffmpegSegmenter, type SegmenterFactory } from '../../../libs/media/index.js';
import { escapedTime, fileExtension, renderKey } from '../../../libs/naming/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { JOINED_FORMATS, keepForPackaging, packagerFor, releasePackCopies } from './formats/index.js';
import { initialState, type OpenFile, type StreamEvent, type StreamState } from './stream-machine.js';
import { StreamActor, type ActorPorts } from './stream-actor.js';

interface Hosted {
  token: string;
  actor: StreamActor;
  inbox: Subscription;
  leaseRevision: number;
}

export interface RecorderOptions {
  segmenterFactory?: SegmenterFactory;
}

export class RecorderService {
  private readonly log = componentLogger('recorder');
  private readonly actors = new Map<string, Hosted>();
  /** flv/mp4 files being joined in the background, per recording; shutdown waits for them. */
  private readonly packaging = new Map<string, Set<Promise<void>>>();
  private pressureSub: Subscription | null = null;
  private spoolFull = false;
  private consumer: Running | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private snapshots!: KV;
  private leases!: KV;
  private timers!: KV;
  private readonly activeGauge = meter('recorder').createUpDownCounter('liverecord_recorder_active_recordings', { description: 'Stream actors hosted by this worker' });
  private readonly segmentsCounter = meter('recorder').createCounter('liverecord_recorder_segments_total', { description: 'Segments closed by the segmenters' });

  constructor(private bus: Bus, private config: Config, private opts: RecorderOptions = {}) {}

  async start(): Promise<void> {
    this.snapshots = await bucket(this.bus, BUCKETS.actors);
    this.leases = await bucket(this.bus, BUCKETS.leases);
    this.timers = await bucket(this.bus, BUCKETS.timers);
    this.consumer = await consumeDurable<RecordAssignment>(this.bus, {
      stream: STREAMS.assign, durable: CONSUMERS.recorder, filterSubject: SUBJECTS.assign,
      component: 'recorder', log: this.log, concurrency: 4,
    }, (a) => this.takeAssignment(a));
    const renewEvery = Math.max(1000, Math.floor(this.config.recorder.leaseTtlMs / 3));
    this.leaseTimer = setInterval(() => void this.renewLeases().then(() => this.adoptOrphans()), renewEvery);
    await this.adoptOrphans();
    // Storage falling behind is the recorder's to know; it keeps recording (nothing is dropped) and says so.
    this.pressureSub = this.bus.nc.subscribe(SUBJECTS.spoolPressure, {
      callback: (err, msg) => {
        if (err) return;
        const p = msg.json<SpoolPressure>();
        this.spoolFull = p.full;
        if (p.full) this.log.error({ bytes: p.bytes, limit: p.limit, recordings: this.actors.size }, 'spool full: uploads are falling behind; recordings continue');
      },
    });
    meter('recorder').createObservableGauge('liverecord_recorder_spool_full', { description: '1 while the uploader reports the spool over its limit' }).addCallback((r) => r.observe(this.spoolFull ? 1 : 0));
    this.log.info({ workerId: this.config.recorder.workerId }, 'recorder worker ready');
  }

  /** Takes a stream handed out by the matcher: lease it, host its actor, start recording if asked. */
  private async takeAssignment(a: RecordAssignment): Promise<void> {
    const token = streamToken(a.publish.stream);
    if (this.actors.has(token)) return;
    let revision: number;
    try {
      revision = await this.leases.create(token, this.config.recorder.workerId);
    } catch {
      const owner = await this.leases.get(token);
      this.log.warn({ stream: streamLabel(a.publish.stream), owner: owner?.string() }, 'stream already owned by another worker; assignment dropped');
      return;
    }
    const state = initialState({
      recordingId: a.recordingId,
      stream: a.publish.stream,
      plan: a.plan,
      sessionId: a.publish.sessionId,
      pullUrl: a.publish.pullUrl,
      width: a.publish.codecs.width,
      height: a.publish.codecs.height,
    });
    const actor = this.host(token, state, revision);
    await this.snapshots.put(token, JSON.stringify(state));
    this.log.info({ stream: streamLabel(a.publish.stream), recordingId: a.recordingId, record: a.startRecording }, 'actor created');
    if (a.startRecording) await actor.dispatch({ type: 'command', command: 'start' });
  }

  private host(token: string, state: StreamState, leaseRevision: number): StreamActor {
    const actor = new StreamActor(state, this.portsFor(token));
    const inbox = this.bus.nc.subscribe(SUBJECTS.actor(token), {
      callback: (err, msg) => {
        if (err) return;
        void this.handleInbox(actor, msg.json<ActorMessage>()).then((reply) => msg.respond(JSON.stringify(reply)));
      },
    });
    this.actors.set(token, { token, actor, inbox, leaseRevision });
    this.activeGauge.add(1);
    return actor;
  }

  /**
   * Takes over actors whose owner died: a snapshot whose lease has expired. The
   * lease is created with compare-and-set, so exactly one worker wins each.
   */
  private async adoptOrphans(): Promise<void> {
    if (this.bus.nc.isClosed() || !this.consumer) return;
    let keys: string[];
    try {
      keys = [];
      for await (const k of await this.snapshots.keys()) keys.push(k);
    } catch {
      return;
    }
    for (const token of keys) {
      if (this.actors.has(token)) continue;
      const lease = await this.leases.get(token).catch(() => null);
      if (lease && lease.operation === 'PUT') continue;
      let revision: number;
      try {
        revision = await this.leases.create(token, this.config.recorder.workerId);
      } catch {
        continue;
      }
      const snap = await this.snapshots.get(token);
      if (!snap || snap.operation !== 'PUT') {
        await this.leases.delete(token).catch(() => undefined);
        continue;
      }
      const state = snap.json<StreamState>();
      this.log.warn({ stream: streamLabel(state.stream), recordingId: state.recordingId, phase: state.phase }, 'adopting an actor whose owner is gone');
      const actor = this.host(token, { ...state, liveUnconfirmed: state.liveUnconfirmed ?? false }, revision);
      await actor.dispatch({ type: 'adopted' });
    }
  }

  private async handleInbox(actor: StreamActor, m: ActorMessage): Promise<ActorReply> {
    let event: StreamEvent | null = null;
    switch (m.type) {
      case 'publish': event = { type: 'publish', sessionId: m.publish.sessionId, pullUrl: m.publish.pullUrl }; break;
      case 'unpublish': event = { type: 'unpublish', sessionId: m.unpublish.sessionId }; break;
      case 'command': event = { type: 'command', command: m.command }; break;
      case 'timer': event = { type: 'timer', timerId: m.timerId }; break;
      case 'status': break;
    }
    try {
      const reply = event ? await actor.dispatch(event) : { ok: true as const };
      const s = actor.state;
      return reply.ok ? { ok: true, phase: s.phase, recordingId: s.recordingId } : { ok: false, code: reply.code, message: reply.message, phase: s.phase };
    } catch (err) {
      return { ok: false, code: 'internal', message: (err as Error).message };
    }
  }

  private portsFor(token: string): ActorPorts {
    const bus = this.bus;
    const log = this.log;
    return {
      now: () => Date.now(),
      log,
      segmenterFactory: this.opts.segmenterFactory ?? ffmpegSegmenter,
      spoolDirOf: (recordingId) => join(this.config.spool.dir, recordingId),
      persist: async (state) => {
        await this.snapshots.put(token, JSON.stringify(state));
      },
      uploadSegment: async (state, segment) => {
        this.segmentsCounter.add(1);
        if (state.plan.formats.some((f) => JOINED_FORMATS.includes(f.format))) {
          await keepForPackaging(join(this.config.spool.dir, state.recordingId), segment.spoolPath, segment.initSpoolPath);
        }
        const job: UploadJob = {
          kind: 'segment', id: `${state.recordingId}:seg:${segment.sequence}`, spoolPath: segment.spoolPath,
          objectKey: segment.objectKey, storage: state.plan.storage,
          contentType: state.plan.segmentContainer === 'fmp4' ? 'video/iso.segment' : 'video/mp2t',
          segment: {
            stream: state.stream, recordingId: state.recordingId, sequence: segment.sequence, startMs: segment.startMs,
            endMs: segment.endMs, durationMs: segment.durationMs, discontinuity: segment.discontinuity,
          },
        };
        await publishDurable(bus, SUBJECTS.upload, job, job.id);
      },
      uploadInit: async (state, spoolPath, objectKey) => {
        const job: UploadJob = { kind: 'init', id: `${state.recordingId}:init:${objectKey}`, spoolPath, objectKey, storage: state.plan.storage, contentType: 'video/mp4' };
        await publishDurable(bus, SUBJECTS.upload, job, job.id);
      },
      finalizeFile: async (state, file) => {
        if (!JOINED_FORMATS.includes(file.format)) return this.finalizeFile(state, file);
        // Joining hours of segments takes a while: do it beside the actor, not in its mailbox.
        const job = this.finalizeFile(state, file)
          .catch((err) => log.error({ recordingId: state.recordingId, format: file.format, sequence: file.sequence, err: (err as Error).message }, 'packaging failed'))
          .finally(() => {
            const jobs = this.packaging.get(state.recordingId)!;
            jobs.delete(job);
            if (jobs.size > 0) return;
            // The last job of the recording to finish releases what no open file needs any more.
            this.packaging.delete(state.recordingId);
            const hosted = this.actors.get(token);
            const open = hosted?.actor.state.files.filter((f) => JOINED_FORMATS.includes(f.format))
              .flatMap((f) => f.segments.flatMap((x) => (x.initSpoolPath ? [x.spoolPath, x.initSpoolPath] : [x.spoolPath]))) ?? [];
            void releasePackCopies(join(this.config.spool.dir, state.recordingId), open).then(() => {
              if (!hosted) void this.tidySpool(state.recordingId);
            });
          });
        const jobs = this.packaging.get(state.recordingId) ?? new Set<Promise<void>>();
        jobs.add(job);
        this.packaging.set(state.recordingId, jobs);
      },
      armTimer: async (state, timerId, deadline) => {
        const entry: TimerEntry = { timerId, stream: state.stream, deadline };
        await this.timers.put(timerId, JSON.stringify(entry));
      },
      cancelTimer: async (timerId) => {
        await this.timers.delete(timerId);
      },
      stateChanged: async (state, previous, reason) => {
        const ev: RecordingStateChanged = { stream: state.stream, recordingId: state.recordingId, phase: state.phase, previous, reason, at: Date.now() };
        await publishDurable(bus, SUBJECTS.recordingState, ev);
      },
      statusNotice: async (state, notice) => {
        const ev: RecordingNotice = { stream: state.stream, recordingId: state.recordingId, notice, pushArgs: state.plan.pushArgs, at: Date.now() };
        await publishDurable(bus, SUBJECTS.recordingNotice, ev);
      },
      handOver: async (state) => {
        await this.snapshots.put(token, JSON.stringify(state));
        await this.leases.delete(token).catch(() => undefined);
        this.unhost(token);
        log.info({ stream: streamLabel(state.stream), recordingId: state.recordingId, phase: state.phase }, 'recording handed over; its snapshot waits for adoption');
      },
      release: async (state) => {
        await this.snapshots.delete(token).catch(() => undefined);
        await this.leases.delete(token).catch(() => undefined);
        this.unhost(token);
        if (!this.packaging.has(state.recordingId)) await this.tidySpool(state.recordingId);
      },
    };
  }

  /** Packages one finalized file into the spool and queues its upload. */
  private async finalizeFile(state: StreamState, file: OpenFile): Promise<void> {
    const formatPlan = state.plan.formats.find((f) => f.format === file.format);
    if (!formatPlan) throw new Error(`no plan for format ${file.format}`);
    const endMs = file.segments[file.segments.length - 1].endMs;
    const objectKey = renderKey(formatPlan.filePattern, {
      AppName: state.stream.app, StreamName: state.stream.stream, DomainName: state.stream.domain,
      EscapedStartTime: escapedTime(file.startMs), EscapedEndTime: escapedTime(endMs),
      UnixTimestamp: Math.floor(file.startMs / 1000), Sequence: file.sequence, TranscodeTemplateID: '',
    }, fileExtension(file.format));
    const packager = packagerFor(file.format);
    const spoolPath = await packager.package({ state, file, formatPlan, objectKey, spoolDir: join(this.config.spool.dir, state.recordingId) });
    const meta: FileMeta = {
      stream: state.stream, recordingId: state.recordingId, format: file.format, sequence: file.sequence,
      startMs: file.startMs, endMs, durationMs: file.durationMs, width: state.width, height: state.height,
      segmentKeys: file.segments.map((s) => s.objectKey), pushArgs: state.plan.pushArgs,
    };
    const job: UploadJob = {
      kind: 'file', id: `${state.recordingId}:file:${file.format}:${file.sequence}`, spoolPath, objectKey,
      storage: state.plan.storage, contentType: packager.contentType, file: meta,
    };
    await publishDurable(this.bus, SUBJECTS.upload, job, job.id);
    this.log.info({ recordingId: state.recordingId, format: file.format, objectKey, segments: file.segments.length, durationMs: file.durationMs }, 'file finalized');
  }

  /** Removes the empty folders of an ended recording; files still waiting for upload keep theirs. */
  private async tidySpool(recordingId: string): Promise<void> {
    const dir = join(this.config.spool.dir, recordingId);
    await rm(join(dir, 'pack'), { recursive: true, force: true });
    // What the fMP4 segmenter leaves behind: its init segments and working playlists.
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (/^(init-g\d+\.mp4|live-g\d+\.m3u8(\.tmp)?)$/.test(name)) await rm(join(dir, name), { force: true });
    }
    for (const d of [join(dir, 'files'), dir]) await rmdir(d).catch(() => undefined);
  }

  private unhost(token: string): void {
    const hosted = this.actors.get(token);
    if (!hosted) return;
    hosted.inbox.unsubscribe();
    this.actors.delete(token);
    this.activeGauge.add(-1);
  }

  private async renewLeases(): Promise<void> {
    for (const hosted of [...this.actors.values()]) {
      try {
        hosted.leaseRevision = await this.leases.update(hosted.token, this.config.recorder.workerId, hosted.leaseRevision);
      } catch (err) {
        if (this.bus.nc.isClosed()) return;
        if (!this.actors.has(hosted.token)) continue;
        this.log.error({ stream: streamLabel(hosted.actor.state.stream), err: (err as Error).message }, 'lease lost; abandoning the stream to its new owner');
        this.unhost(hosted.token);
        await hosted.actor.abandon();
      }
    }
  }

  /**
   * Closes the open segment of every hosted stream, then either finalizes its
   * files (shutdown mode finalize) or hands the recording over with its
   * snapshot, so that the next worker to start continues the same files.
   */
  async stop(): Promise<void> {
    this.pressureSub?.unsubscribe();
    await this.consumer?.stop();
    this.consumer = null;
    const hosted = [...this.actors.values()];
    const event: StreamEvent = this.config.recorder.shutdown === 'handover' ? { type: 'suspend' } : { type: 'shutdown' };
    await Promise.all(hosted.map(async (h) => {
      await h.actor.dispatch(event).catch(() => undefined);
      const timeout = new Promise<void>((r) => setTimeout(r, 20000).unref());
      await Promise.race([h.actor.released, timeout]);
    }));
    await Promise.allSettled([...this.packaging.values()].flatMap((jobs) => [...jobs]));
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = null;
  }
}
