import type { KV, KvEntry } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import {
  BUCKETS, RpcFailure, SUBJECTS, TRANSCODER_METHODS, bucket, isWrongRevision, publishDurable, serve, streamLabel,
  type Bus, type MatchDecision, type StreamRef, type TranscodeDemand, type TranscodeStateChanged, type TranscodeTemplate, type TranscodeTemplateKey, type TranscodeTemplateListQuery, type TranscoderMethod, subscribeJson,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { renditionStreamName } from '../../../libs/naming/index.js';
import type { AddCustomLiveStreamTranscodeRequest, DeleteLiveStreamTranscodeRequest } from '../../../libs/proto/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { MasterComposer } from './master-composer.js';
import { RenditionJob, type JobExit } from './rendition-job.js';
import { RenditionLeases } from './rendition-leases.js';
import { TemplateFieldError, templateKey, validateTranscodeTemplate } from './template-validation.js';
import { TranscodeTemplateStore } from './template-store.js';
import { VariantStore } from './variants.js';

/** A source that sends nothing for this long ended without its end marker (its ingest died). */
const SOURCE_IDLE_MS = 30000;
/** How much later a transcoder claims a new rendition per rendition it already makes (capped). */
const CLAIM_DELAY_PER_RENDITION_MS = 200;
const CLAIM_DELAY_MAX_MS = 3000;
/** On shutdown, renditions get this long to see their source end by itself before they are cut. */
const SHUTDOWN_GRACE_MS = 5000;

interface Hosted {
  key: string;
  job: RenditionJob;
  demand: TranscodeDemand;
  rendition: StreamRef;
  /** The transcoding template it is made with (deleting it stops the rendition). */
  template: TranscodeTemplate;
  leaseRevision: number;
  demandRevision: number;
  renewedAt: number;
  codecs: { source: string; rendition: string } | null;
}

async function validated<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TemplateFieldError) throw new RpcFailure({ code: 'invalid_argument', message: err.message });
    throw err;
  }
}

/**
 * Live transcoding: keeps the transcoding templates, and makes the renditions
 * some recording needs (KV lr_transcode_demand). Each rendition is claimed with
 * a lease, so any number of transcoders share the work and take over a dead
 * one's; one ffmpeg process per rendition while its source session lasts.
 */
export class TranscoderService {
  private readonly log = componentLogger('transcoder');
  private readonly templates: TranscodeTemplateStore;
  private readonly leases: RenditionLeases;
  private readonly variants: VariantStore;
  private readonly master: MasterComposer;
  private demand!: KV;
  private readonly hosted = new Map<string, Hosted>();
  private readonly claiming = new Set<string>();
  /** Claims under way: shutdown waits for them, so none launches a job after it. */
  private readonly claims = new Set<Promise<void>>();
  /** Renditions whose end is being recorded (demand, lease, event): shutdown waits for them. */
  private readonly finishing = new Set<Promise<void>>();
  private servers: { stop(): void }[] = [];
  private watch: { stop(): void } | null = null;
  private templateWatch: { stop(): void } | null = null;
  private decisions: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly m = meter('transcoder');
  private readonly running = this.m.createUpDownCounter('liverecord_transcoder_renditions', { description: 'Renditions being transcoded by this process' });
  private readonly exits = this.m.createCounter('liverecord_transcoder_exits_total', { description: 'Renditions ended, by reason' });
  private readonly batches = this.m.createCounter('liverecord_transcoder_media_batches_total', { description: 'Rendition packet batches published to the media plane' });
  private readonly bytes = this.m.createCounter('liverecord_transcoder_media_bytes_total', { description: 'Rendition bytes published to the media plane' });
  private readonly failures = this.m.createCounter('liverecord_transcoder_media_failures_total', { description: 'Rendition batches the media plane did not take after retries (lost)' });

  constructor(private readonly bus: Bus, private readonly config: Config) {
    this.templates = new TranscodeTemplateStore(bus);
    this.leases = new RenditionLeases(bus, config.recorder.workerId);
    this.variants = new VariantStore(bus);
    this.master = new MasterComposer(bus, config, this.variants, this.log);
  }

  /** Demand keys of the renditions made or being claimed here (tests, diagnostics). */
  renditionKeys(): string[] {
    return [...new Set([...this.hosted.keys(), ...this.claiming])];
  }

  /** ffmpeg process ids of the renditions running here (tests, diagnostics). */
  ffmpegPids(): number[] {
    return [...this.hosted.values()].map((h) => h.job.pid()).filter((p): p is number => p !== null);
  }

  async start(): Promise<void> {
    this.stopping = false;
    await Promise.all([this.templates.open(), this.leases.open(), this.variants.open()]);
    this.demand = await bucket(this.bus, BUCKETS.transcodeDemand);
    this.serveTemplates();
    // A rendition the matcher decided not to record (its recording template is gone) is made for nobody.
    this.decisions = subscribeJson<MatchDecision>(this.bus, SUBJECTS.matchDecision, 'match decisions', this.log, (d) => this.onDecision(d));
    const watcher = await this.demand.watch();
    this.watch = watcher;
    void (async () => {
      for await (const e of watcher) this.onDemandEntry(e);
    })().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'demand watch ended; the periodic scan still claims renditions'));
    // A deleted transcoding template stops its renditions on every transcoder (each watches the bucket).
    // A watch that ends is logged and opened again; the renditions made meanwhile are checked then.
    this.templateWatch = await this.templates.watchDeletes({
      onDelete: (k) => this.onTemplateDeleted(k),
      onReopened: () => void this.recheckTemplates('while the template watch was closed'),
    }, this.log);
    // Renewal, fencing, and the scan that takes over renditions whose transcoder died.
    const every = Math.max(500, Math.floor(this.config.recorder.leaseTtlMs / 3));
    this.scheduleTick(every);
    await this.master.start();
    this.log.info({ workerId: this.config.recorder.workerId }, 'transcoder ready');
  }

  private serveTemplates(): void {
    const rpc = <Req, Res>(method: TranscoderMethod, fn: (req: Req) => Promise<Res>) =>
      this.servers.push(serve<Req, Res>(this.bus, SUBJECTS.transcoderRpc(method), 'transcoder', this.log, (req) => validated(() => fn(req)), 'transcoder'));
    rpc<AddCustomLiveStreamTranscodeRequest, TranscodeTemplate>(TRANSCODER_METHODS.addTemplate, async (req) => {
      const t = await this.templates.add(validateTranscodeTemplate(req, Date.now()));
      this.log.info({ domain: t.domain, app: t.app, template: t.id, width: t.width, height: t.height, fps: t.fps, gop: t.gop, videoKbps: t.videoKbps, audioKbps: t.audioKbps }, 'transcoding template added');
      return t;
    });
    rpc<TranscodeTemplateListQuery, TranscodeTemplate[]>(TRANSCODER_METHODS.listTemplates, (q) => this.templates.list(q));
    rpc<DeleteLiveStreamTranscodeRequest, { deleted: true }>(TRANSCODER_METHODS.deleteTemplate, async (req) => {
      const k = templateKey(req);
      await this.templates.remove(k);
      this.log.info(k, 'transcoding template deleted');
      return { deleted: true };
    });
  }

  private onDemandEntry(e: KvEntry): void {
    if (this.stopping) return;
    const h = this.hosted.get(e.key);
    if (e.operation !== 'PUT') {
      h?.job.stop('demand_withdrawn');
      return;
    }
    if (h) {
      this.onNewerDemand(h, e);
      return;
    }
    // The less busy transcoder answers first, so renditions spread over the transcoders running.
    const delay = Math.min(CLAIM_DELAY_MAX_MS, (this.hosted.size + this.claiming.size) * CLAIM_DELAY_PER_RENDITION_MS);
    if (delay === 0) void this.claim(e.key);
    else setTimeout(() => void this.claim(e.key), delay).unref();
  }

  /**
   * The demand of a rendition made here was rewritten: for a newer source session (a new publish
   * of the stream), a job still waiting for its own session's first GOP would never start, and
   * would keep the newer session from being transcoded; it stops and the newer demand is claimed.
   * A job that began ends by itself on the newer session's first packets.
   */
  private onNewerDemand(h: Hosted, e: KvEntry): void {
    let d: TranscodeDemand;
    try {
      d = e.json<TranscodeDemand>();
    } catch (err) {
      this.log.error({ key: e.key, err: (err as Error).message }, 'unreadable transcode demand ignored');
      return;
    }
    if (d.sourceSessionId === h.demand.sourceSessionId || h.job.begun) return;
    this.log.info({ rendition: streamLabel(h.rendition), from: h.demand.sourceSessionId, to: d.sourceSessionId }, 'a newer source session wants this rendition; the job still waiting for the old one stops');
    h.job.stop('superseded', `source session ${d.sourceSessionId} replaced ${h.demand.sourceSessionId}`);
  }

  private onTemplateDeleted(k: TranscodeTemplateKey): void {
    for (const h of this.hosted.values()) {
      const t = h.template;
      if (t.domain !== k.domain || t.app !== k.app || t.id !== k.id) continue;
      this.log.warn({ rendition: streamLabel(h.rendition), template: k }, 'transcoding template deleted; its rendition stops');
      h.job.stop('template_deleted');
    }
  }

  /** Stops the renditions whose template is gone (its delete unseen by the watch). */
  private async recheckTemplates(when: string): Promise<void> {
    for (const h of [...this.hosted.values()]) await this.recheckTemplate(h, when);
  }

  /** Stops `h` if its transcoding template is no longer the one it is made with (deleted, perhaps added again). */
  private async recheckTemplate(h: Hosted, when: string): Promise<void> {
    const k: TranscodeTemplateKey = { domain: h.template.domain, app: h.template.app, id: h.template.id };
    let now: TranscodeTemplate | null;
    try {
      now = await this.templates.get(k);
    } catch (err) {
      this.log.warn({ rendition: streamLabel(h.rendition), template: k, err: (err as Error).message }, `transcoding template not read again ${when}; only a delete the watch sees stops its rendition`);
      return;
    }
    if (now && now.createdMs === h.template.createdMs) return;
    this.log.warn({ rendition: streamLabel(h.rendition), template: k }, `transcoding template deleted ${when}; its rendition stops`);
    h.job.stop('template_deleted');
  }

  private onDecision(d: MatchDecision): void {
    if (d.record || d.plan !== null) return;
    for (const h of this.hosted.values()) {
      if (h.job.sessionId !== d.sessionId) continue;
      this.log.warn({ rendition: streamLabel(h.rendition), reason: d.reason, detail: d.detail }, 'rendition not recorded; transcoding it stops');
      h.job.stop('not_recorded');
    }
  }

  /**
   * The next round once this one is over: rounds never overlap (two renewals of one lease
   * racing on its revision would make the loser think the lease lost).
   */
  private scheduleTick(every: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'transcoder round failed; the next one retries'))
        .then(() => this.scheduleTick(every));
    }, every);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    for (const h of this.hosted.values()) await this.renew(h);
    try {
      for await (const key of await this.demand.keys()) if (!this.hosted.has(key)) await this.claim(key);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'demand scan failed; retried next round');
    }
  }

  private async renew(h: Hosted): Promise<void> {
    const ttl = this.config.recorder.leaseTtlMs;
    try {
      const rev = await this.leases.renew(h.key, h.leaseRevision);
      if (rev === null) {
        this.log.warn({ rendition: streamLabel(h.rendition) }, 'rendition lease lost; another transcoder has it');
        h.job.stop('lease_lost');
        return;
      }
      h.leaseRevision = rev;
      h.renewedAt = Date.now();
      if (h.codecs) await this.putVariant(h);
    } catch (err) {
      // A broker hiccup is not a lost lease, unless it lasts: past 80 % of the TTL another transcoder may take over.
      this.log.warn({ rendition: streamLabel(h.rendition), err: (err as Error).message }, 'rendition lease not renewed; retried next round');
      if (Date.now() - h.renewedAt > ttl * 0.8) h.job.stop('lease_lost');
    }
  }

  /** Takes a rendition if nobody has it: its lease, then the demand marked as claimed (compare-and-set). */
  private claim(key: string): Promise<void> {
    if (this.stopping || this.hosted.has(key) || this.claiming.has(key)) return Promise.resolve();
    this.claiming.add(key);
    // claimOnce reports its own failures; the set only lets shutdown wait for it.
    const p = this.claimOnce(key).finally(() => {
      this.claiming.delete(key);
      this.claims.delete(p);
    });
    this.claims.add(p);
    return p;
  }

  private async claimOnce(key: string): Promise<void> {
    try {
      const entry = await this.demand.get(key);
      if (!entry || entry.operation !== 'PUT') return;
      const leaseRevision = await this.leases.acquire(key);
      if (leaseRevision === null) return;
      if (this.stopping) {
        await this.leases.release(key, leaseRevision);
        return;
      }
      const d = entry.json<TranscodeDemand>();
      let demandRevision: number;
      try {
        demandRevision = await this.demand.update(key, JSON.stringify({ ...d, claims: (d.claims ?? 0) + 1 }), entry.revision);
      } catch (err) {
        await this.leases.release(key, leaseRevision);
        if (isWrongRevision(err)) return; // The matcher wrote a newer session meanwhile: the next round claims that.
        throw err;
      }
      await this.launch(key, d, leaseRevision, demandRevision);
    } catch (err) {
      this.log.error({ key, err: (err as Error).message }, 'could not claim a rendition; retried next round');
    }
  }

  private async launch(key: string, d: TranscodeDemand, leaseRevision: number, demandRevision: number): Promise<void> {
    const name = renditionStreamName(d.source.stream, d.transcodeTemplateId);
    const rendition: StreamRef = { ...d.source, stream: name ?? `${d.source.stream}_${d.transcodeTemplateId}` };
    const template = await this.templates.forStream(d.source.domain, d.source.app, d.transcodeTemplateId);
    if (this.stopping) {
      // Shut down while claiming: the claim is undone (its count too, or the next transcoder would take it for a takeover).
      await this.demand.update(key, JSON.stringify(d), demandRevision).catch((err: unknown) => {
        // A wrong revision: the matcher rewrote the demand meanwhile, its count is fresh anyway.
        if (!isWrongRevision(err)) this.log.warn({ key, err: (err as Error).message }, 'claim count not given back; the next transcoder reads this rendition from the next GOP');
      });
      await this.leases.release(key, leaseRevision);
      this.log.info({ source: streamLabel(d.source), template: d.transcodeTemplateId }, 'shutting down: rendition claim given back');
      return;
    }
    // ffmpeg 5.1 reads only H.264 from FLV (HEVC in FLV is a later, enhanced-RTMP extension).
    const refuse = d.sourceCodecs.video !== 'h264' ? { reason: 'unsupported_codec', detail: `the source's video is ${d.sourceCodecs.video ?? 'absent'}; renditions are made of H.264 sources` }
      : !name ? { reason: 'name_too_long', detail: `the rendition's stream name would be over 128 characters` }
      : !template ? { reason: 'unknown_template', detail: `no transcoding template ${d.transcodeTemplateId} for ${d.source.domain}/${d.source.app} or ${d.source.domain}/*` }
        : null;
    if (refuse || !template) {
      this.log.warn({ source: streamLabel(d.source), template: d.transcodeTemplateId, ...refuse }, 'rendition not made');
      await this.announce(d, rendition, '', 'failed', refuse!.reason, refuse!.detail);
      await this.demand.delete(key, { previousSeq: demandRevision }).catch((err: unknown) => this.log.warn({ key, err: (err as Error).message }, 'demand not withdrawn'));
      await this.leases.release(key, leaseRevision);
      return;
    }
    const takeover = (d.claims ?? 0) > 0;
    const manualStart = d.from === 'now';
    const job = new RenditionJob({
      bus: this.bus, demand: d, template, rendition, workerId: this.config.recorder.workerId, batchMs: this.config.media.batchMs,
      from: takeover || manualStart ? 'now' : 'session_start', idleMs: SOURCE_IDLE_MS, log: this.log,
      counters: { batches: (n) => this.batches.add(n), bytes: (n) => this.bytes.add(n), failures: (n) => this.failures.add(n) },
      onCodecs: (source, out) => {
        h.codecs = { source: source.codecs(), rendition: out.codecs() };
        this.putVariant(h).catch((err: unknown) => this.log.warn({ rendition: streamLabel(rendition), err: (err as Error).message }, 'variant codecs not saved; the master playlist may lack CODECS'));
      },
      onStarted: (sessionId) => void this.announce(d, rendition, sessionId, 'started', takeover ? 'takeover' : manualStart ? 'recording_started' : 'source_published', `${template.width}x${template.height} ${template.fps} fps, ${template.videoKbps}+${template.audioKbps} kbit/s`),
    });
    const h: Hosted = { key, job, demand: d, rendition, template, leaseRevision, demandRevision, renewedAt: Date.now(), codecs: null };
    this.hosted.set(key, h);
    this.running.add(1);
    const finishing = job.done.then((r) => this.finished(h, r.exit, r.detail));
    this.finishing.add(finishing);
    void finishing.finally(() => this.finishing.delete(finishing));
    // A delete that came between reading the template and hosting the job was not matched to it.
    await this.recheckTemplate(h, 'while its rendition was launched');
  }

  private async finished(h: Hosted, exit: JobExit, detail: string): Promise<void> {
    this.hosted.delete(h.key);
    this.running.add(-1);
    this.exits.add(1, { reason: exit });
    const failed = exit === 'failed' || exit === 'ffmpeg_failed';
    (failed ? this.log.error.bind(this.log) : this.log.info.bind(this.log))({ rendition: streamLabel(h.rendition), exit, detail }, 'rendition ended');
    try {
      // Done with this source session (or failing on it): withdraw the demand unless the matcher wrote a newer session's.
      if (exit === 'source_ended' || exit === 'not_recorded' || exit === 'template_deleted' || failed) {
        await this.demand.delete(h.key, { previousSeq: h.demandRevision }).catch((err: unknown) => {
          if (!isWrongRevision(err)) throw err;
        });
      }
      if (exit !== 'lease_lost') await this.leases.release(h.key, h.leaseRevision);
      await this.announce(h.demand, h.rendition, h.job.sessionId, failed ? 'failed' : 'stopped', exit, detail);
    } catch (err) {
      this.log.error({ rendition: streamLabel(h.rendition), err: (err as Error).message }, 'rendition end not recorded in full (its lease lapses by itself)');
    }
    if (!this.stopping) void this.claim(h.key);
  }

  private async putVariant(h: Hosted): Promise<void> {
    if (!h.codecs) return;
    await this.variants.put({
      source: h.demand.source, rendition: h.rendition, transcodeTemplateId: h.demand.transcodeTemplateId,
      sourceCodecs: h.codecs.source, renditionCodecs: h.codecs.rendition, playlist: h.demand.playlist ?? true, at: h.demand.at, lastSeenMs: Date.now(),
    });
  }

  private async announce(d: TranscodeDemand, rendition: StreamRef, sessionId: string, state: TranscodeStateChanged['state'], reason: string, detail: string): Promise<void> {
    const ev: TranscodeStateChanged = {
      source: d.source, rendition, transcodeTemplateId: d.transcodeTemplateId, sessionId, sourceSessionId: d.sourceSessionId,
      state, reason, detail, workerId: this.config.recorder.workerId, at: Date.now(),
    };
    await publishDurable(this.bus, SUBJECTS.transcodeState, ev).catch((err: unknown) => {
      this.log.error({ rendition: streamLabel(rendition), state, err: (err as Error).message }, 'transcode state event not published');
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watch?.stop();
    this.watch = null;
    this.templateWatch?.stop();
    this.templateWatch = null;
    this.decisions?.unsubscribe();
    this.decisions = null;
    for (const s of this.servers) s.stop();
    this.servers = [];
    // A claim under way either launches its job before this (then it is stopped below) or gives the rendition back.
    await Promise.allSettled([...this.claims]);
    // Sources usually end first (the ingest stops before this service): let renditions finish on their own.
    const jobs = [...this.hosted.values()].map((h) => h.job.done);
    const grace = new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([Promise.allSettled(jobs), grace]);
    for (const h of this.hosted.values()) h.job.stop('shutdown');
    await Promise.allSettled([...this.finishing]);
    await this.master.stop();
  }
}
