// A recorder worker: takes streams handed out by the matcher, hosts their
// actors, keeps their leases, adopts the actors of workers that died, and on
// the way down finalizes (or hands over) what it hosts.
import type { KV } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import {
  BUCKETS, CONSUMERS, RECORDER_METHODS, RetryLater, STREAMS, SUBJECTS, bucket, consumeDurable, publishDurable, request, serve, streamLabel, streamToken,
  lastMessageOn, type ActorLookup, type ActorMessage, type ActorReply, type Bus, type RecordAssignment, type RecordingStateChanged, type Running,
  type SpoolPressure, type StreamRef, subscribeJson
} from '../../../libs/bus/index.js';
import { MEDIA_HEADERS } from '../../../libs/media/index.js';
import type { Config } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { actorPorts, spoolDirFor } from './actor-ports.js';
import { FileFinalizer } from './file-finalizer.js';
import { Ownership, OwnershipLost, type Claim } from './ownership.js';
import { StreamActor } from './stream-actor.js';
import { initialState, type StreamEvent, type StreamState } from './stream-machine.js';
import { Thumbnails } from './thumbnails/index.js';
import { LiveSnapshots } from './thumbnails/live-snapshots.js';

interface Hosted {
  token: string;
  actor: StreamActor;
  inbox: Subscription;
  claim: Claim;
}

export class RecorderService {
  private readonly log = componentLogger('recorder');
  private readonly actors = new Map<string, Hosted>();
  private pressureSub: Subscription | null = null;
  private lookupServer: { stop(): void } | null = null;
  private spoolFull = false;
  private consumer: Running | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private ownership!: Ownership;
  private timers!: KV;
  private storage!: StorageRegistry;
  private finalizer!: FileFinalizer;
  private thumbnails!: Thumbnails;
  private liveSnapshots: LiveSnapshots | null = null;
  private readonly m = meter('recorder');
  private readonly activeGauge = this.m.createUpDownCounter('liverecord_recorder_active_recordings', { description: 'Stream actors hosted by this worker' });
  private readonly segmentsCounter = this.m.createCounter('liverecord_recorder_segments_total', { description: 'Segments closed by the segmenters' });
  private readonly effectFailures = this.m.createCounter('liverecord_recorder_effect_failures_total', { description: 'Actor effects that failed (by effect)' });
  private readonly ownershipErrors = this.m.createCounter('liverecord_recorder_ownership_errors_total', { description: 'Lease renewals and snapshot writes that failed (by outcome)' });

  constructor(private bus: Bus, private config: Config) {}

  async start(): Promise<void> {
    this.ownership = new Ownership(this.bus, this.config.recorder.workerId);
    await this.ownership.open();
    this.timers = await bucket(this.bus, BUCKETS.timers);
    this.storage = new StorageRegistry(this.config);
    this.finalizer = new FileFinalizer(this.bus, this.storage, (id) => spoolDirFor(this.config, id), this.log, (state, file, err) => {
      this.effectFailures.add(1, { effect: 'package_file' });
      this.log.error({ recordingId: state.recordingId, format: file.format, sequence: file.sequence, err: err.message }, 'packaging failed: the file is not produced');
      void this.publishFailure(state, `packaging ${file.format} #${file.sequence} failed: ${err.message}`);
    });
    this.thumbnails = new Thumbnails(this.bus, this.storage, (id) => spoolDirFor(this.config, id), this.log);
    await this.thumbnails.start();
    this.finalizer.onFileQueued = (meta, objectKey, target) => this.thumbnails.fileQueued(meta, objectKey, target);
    // Thumbnails of live streams nobody records.
    this.liveSnapshots = new LiveSnapshots(this.bus, this.thumbnails, this.config.media.maxAgeSeconds * 1000, this.log);
    await this.liveSnapshots.start();
    this.consumer = await consumeDurable<RecordAssignment>(this.bus, {
      stream: STREAMS.assign, durable: CONSUMERS.recorder, filterSubject: SUBJECTS.assign,
      component: 'recorder', log: this.log, concurrency: 4,
    }, (a) => this.takeAssignment(a));
    // Other services ask the recorder about actors; nobody else reads its buckets.
    this.lookupServer = serve<StreamRef, ActorLookup>(this.bus, SUBJECTS.recorderRpc(RECORDER_METHODS.lookup), 'recorder', this.log,
      (ref) => this.ownership.lookup(streamToken(ref)), 'recorder');
    const renewEvery = Math.max(1000, Math.floor(this.config.recorder.leaseTtlMs / 3));
    this.leaseTimer = setInterval(() => void this.renewLeases().then(() => this.watchIdleSessions()).then(() => this.adoptOrphans()), renewEvery);
    await this.adoptOrphans();
    // Storage falling behind is the recorder's to know; it keeps recording (nothing is dropped) and says so.
    this.pressureSub = subscribeJson<SpoolPressure>(this.bus, SUBJECTS.spoolPressure, 'spool pressure', this.log, (p) => {
      this.spoolFull = p.full;
      if (p.full) this.log.error({ bytes: p.bytes, limit: p.limit, recordings: this.actors.size }, 'spool full: uploads are falling behind; recordings continue');
    });
    this.m.createObservableGauge('liverecord_recorder_spool_full', { description: '1 while the uploader reports the spool over its limit' }).addCallback((r) => r.observe(this.spoolFull ? 1 : 0));
    this.log.info({ workerId: this.config.recorder.workerId }, 'recorder worker ready');
  }

  /** Takes a stream handed out by the matcher: lease it, host its actor, start recording if asked. */
  private async takeAssignment(a: RecordAssignment): Promise<void> {
    const token = streamToken(a.publish.stream);
    const hosted = this.actors.get(token);
    if (hosted) {
      // This worker already hosts the stream's actor (an older assignment): the publish continues it.
      await this.forwardPublish(hosted.actor, a);
      return;
    }
    const state = initialState({
      recordingId: a.recordingId,
      stream: a.publish.stream,
      plan: a.plan,
      sessionId: a.publish.sessionId,
      media: a.publish.media,
      hasVideo: a.publish.codecs.video !== null,
      width: a.publish.codecs.width,
      height: a.publish.codecs.height,
    });
    const claim = await this.ownership.claimNew(token, state);
    if (!claim) {
      // Another worker has the stream's actor: hand it the publish; if it cannot take it now, retry later.
      const reply = await request<ActorMessage, ActorReply>(this.bus, SUBJECTS.actor(token), { type: 'publish', publish: a.publish }, 10000).catch((err: unknown) => {
        throw new RetryLater(`stream ${streamLabel(a.publish.stream)} has an actor that does not answer (${(err as Error).message})`, 2000);
      });
      if (!reply.ok) throw new RetryLater(`the actor of ${streamLabel(a.publish.stream)} refused the publish: ${reply.message}`, 2000);
      return;
    }
    const actor = this.host(token, state, claim);
    this.log.info({ stream: streamLabel(a.publish.stream), recordingId: a.recordingId, record: a.startRecording }, 'actor created');
    if (a.startRecording) await actor.dispatch({ type: 'begin' });
  }

  private async forwardPublish(actor: StreamActor, a: RecordAssignment): Promise<void> {
    const reply = await actor.dispatch({ type: 'publish', sessionId: a.publish.sessionId, media: a.publish.media, hasVideo: a.publish.codecs.video !== null });
    if (!reply.ok) throw new RetryLater(`the actor of ${streamLabel(a.publish.stream)} refused the publish: ${reply.message}`, 2000);
  }

  private host(token: string, state: StreamState, claim: Claim): StreamActor {
    let hosted: Hosted | null = null;
    const actor = new StreamActor(state, actorPorts({
      bus: this.bus, config: this.config, log: this.log, ownership: this.ownership, claim, timers: this.timers,
      finalizer: this.finalizer,
      thumbnails: this.thumbnails,
      spoolDirOf: (id) => spoolDirFor(this.config, id),
      onSegment: () => this.segmentsCounter.add(1),
      onEffectFailed: (s, effect, error) => this.onEffectFailed(token, () => actor, s, effect, error),
      unhost: () => this.unhost(token),
    }));
    const inbox = subscribeJson<ActorMessage>(this.bus, SUBJECTS.actor(token), 'actor inbox', this.log, (m, msg) => {
      this.handleInbox(actor, m).then((reply) => msg.respond(JSON.stringify(reply))).catch((err: unknown) => {
        this.log.error({ stream: token, err: (err as Error).message }, 'actor inbox: no answer sent');
      });
    });
    hosted = { token, actor, inbox, claim };
    this.actors.set(token, hosted);
    this.activeGauge.add(1);
    return actor;
  }

  private onEffectFailed(token: string, actor: () => StreamActor, state: StreamState, effect: string, error: Error): void {
    if (error instanceof OwnershipLost) {
      this.ownershipErrors.add(1, { outcome: 'lost' });
      void this.letGo(token, error.message, actor());
      return;
    }
    this.effectFailures.add(1, { effect });
    this.log.error({ stream: streamLabel(state.stream), recordingId: state.recordingId, effect, err: error.message }, 'actor effect failed');
    // Visible beyond the log: the failure is an event (the actor itself ends failed when the effect was critical).
    void this.publishFailure(state, `${effect} failed: ${error.message}`, 'effect_failed');
  }

  /** Publishes a failure the actor itself cannot report any more (its file packaging ran after it moved on). */
  private async publishFailure(state: StreamState, reason: string, phase = 'failed'): Promise<void> {
    const ev: RecordingStateChanged = { stream: state.stream, recordingId: state.recordingId, phase, previous: state.phase, reason, at: Date.now() };
    await publishDurable(this.bus, SUBJECTS.recordingState, ev).catch((err: unknown) => {
      this.log.error({ recordingId: state.recordingId, err: (err as Error).message }, 'could not publish a failure event');
    });
  }

  /**
   * Takes over actors whose owner died: a snapshot whose lease has lapsed. The
   * lease is created with compare-and-set, so exactly one worker wins each.
   */
  private async adoptOrphans(): Promise<void> {
    if (this.bus.nc.isClosed() || !this.consumer) return;
    let tokens: string[];
    try {
      tokens = await this.ownership.orphans(new Set(this.actors.keys()));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not scan for orphaned actors; trying again next round');
      return;
    }
    for (const token of tokens) {
      if (this.actors.has(token) || !this.consumer) continue;
      try {
        const adopted = await this.ownership.adopt(token);
        if (!adopted) continue;
        const { claim, state } = adopted;
        this.log.warn({ stream: streamLabel(state.stream), recordingId: state.recordingId, phase: state.phase }, 'adopting an actor whose owner is gone');
        const actor = this.host(token, state, claim);
        await actor.dispatch({ type: 'adopted' });
      } catch (err) {
        this.log.error({ token, err: (err as Error).message }, 'adoption failed; trying again next round');
      }
    }
  }

  private async handleInbox(actor: StreamActor, m: ActorMessage): Promise<ActorReply> {
    let event: StreamEvent | null = null;
    switch (m.type) {
      case 'publish': event = { type: 'publish', sessionId: m.publish.sessionId, media: m.publish.media, hasVideo: m.publish.codecs.video !== null }; break;
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

  private unhost(token: string): void {
    const hosted = this.actors.get(token);
    if (!hosted) return;
    hosted.inbox.unsubscribe();
    this.actors.delete(token);
    this.activeGauge.add(-1);
  }

  /** Stops hosting an actor this worker no longer owns; the new owner replays its open segment. */
  private async letGo(token: string, why: string, actor: StreamActor): Promise<void> {
    const hosted = this.actors.get(token);
    // Keyed by the actor too: a late failure of an actor already released must not drop a newer one.
    if (!hosted || hosted.actor !== actor) return;
    this.log.error({ stream: streamLabel(hosted.actor.state.stream), recordingId: hosted.actor.state.recordingId, why }, 'ownership lost; the stream is left to its new owner');
    this.unhost(token);
    await hosted.actor.abandon();
  }

  private renewing = false;

  private async renewLeases(): Promise<void> {
    // Rounds never overlap: two renewals of one lease with the same revision would make this worker drop it.
    if (this.renewing) return;
    this.renewing = true;
    try {
      for (const hosted of [...this.actors.values()]) {
        if (this.bus.nc.isClosed()) return;
        try {
          await this.ownership.renew(hosted.claim);
        } catch (err) {
          if (err instanceof OwnershipLost) {
            this.ownershipErrors.add(1, { outcome: 'lost' });
            await this.letGo(hosted.token, err.message, hosted.actor);
          } else if (Date.now() - hosted.claim.renewedAt > this.config.recorder.leaseTtlMs * 0.8) {
            // Not renewed for (almost) a lease TTL: another worker may adopt the stream any moment. Stop acting in its name.
            this.ownershipErrors.add(1, { outcome: 'expired' });
            await this.letGo(hosted.token, `lease not renewed for ${Date.now() - hosted.claim.renewedAt} ms: ${(err as Error).message}`, hosted.actor);
          } else {
            // A broker hiccup is not a lost lease: the snapshot's compare-and-set still guards ownership.
            this.ownershipErrors.add(1, { outcome: 'transient' });
            this.log.warn({ stream: streamLabel(hosted.actor.state.stream), err: (err as Error).message }, 'lease renewal failed; retrying next round');
          }
        }
      }
    } finally {
      this.renewing = false;
    }
  }

  /**
   * An actor that is live but not recording reads no media, so it could miss
   * its publisher's end (an unpublish lost, or sent before the actor existed,
   * or while it was being adopted). The media plane says whether the session
   * is over: its last message is the session's end marker or another session's.
   */
  private async watchIdleSessions(): Promise<void> {
    for (const hosted of [...this.actors.values()]) {
      const s = hosted.actor.state;
      if (s.phase !== 'idle' || !s.live || !s.sessionId || !s.media || this.bus.nc.isClosed()) continue;
      try {
        const last = await lastMessageOn(this.bus.jsm, STREAMS.media, s.media.subject);
        const over = !last || last.header?.get(MEDIA_HEADERS.session) !== s.sessionId || last.header?.has(MEDIA_HEADERS.end) === true;
        if (!over) continue;
        this.log.warn({ stream: streamLabel(s.stream), sessionId: s.sessionId }, 'the session of an idle actor is over without an unpublish reaching it; ending it');
        await hosted.actor.dispatch({ type: 'unpublish', sessionId: s.sessionId });
      } catch (err) {
        this.log.warn({ stream: streamLabel(s.stream), err: (err as Error).message }, 'could not check an idle actor\'s session; trying again next round');
      }
    }
  }

  /**
   * Stops every hosted recording: finalizes its files (shutdown mode finalize)
   * or hands it over with its snapshot (handover), so that the next worker
   * replays its open segment and continues the same files.
   */
  async stop(): Promise<void> {
    this.pressureSub?.unsubscribe();
    this.lookupServer?.stop();
    await this.liveSnapshots?.stop();
    this.liveSnapshots = null;
    await this.consumer?.stop();
    this.consumer = null;
    const hosted = [...this.actors.values()];
    const event: StreamEvent = this.config.recorder.shutdown === 'handover' ? { type: 'suspend' } : { type: 'shutdown' };
    await Promise.all(hosted.map(async (h) => {
      await h.actor.dispatch(event).catch((err: unknown) => this.log.error({ token: h.token, err: (err as Error).message }, 'actor did not take the shutdown'));
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20000).unref());
      if ((await Promise.race([h.actor.released.then(() => 'done' as const), timeout])) === 'timeout') {
        this.log.error({ token: h.token, recordingId: h.actor.state.recordingId }, 'actor did not finish within 20 s of shutdown');
      }
    }));
    await this.finalizer.drain();
    await this.thumbnails.drain();
    this.thumbnails.stop();
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = null;
    this.storage.close();
  }
}
