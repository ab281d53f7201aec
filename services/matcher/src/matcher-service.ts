import { randomBytes } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import {
  BUCKETS, CONSUMERS, MATCHER_METHODS, PACKAGED_FORMATS, RECORDER_METHODS, RetryLater, RpcFailure, STREAMS, SUBJECTS, call, consumeDurable, isNoResponders,
  bucket, isWrongRevision, publishDurable, request, serve, streamLabel, streamToken, transcodeDemandKey,
  type ActorLookup, type ActorMessage, type ActorReply, type Bus, type IngestPublished, type IngestUnpublished, type MatchDecision, type RecordingStateChanged,
  type MatcherMethod, type NotifyConfig, type Page, type PageQuery, type RecordAssignment, type RecordTemplate, type Running, type StreamRef, type TemplateKeyQuery, type TemplateListQuery,
  type TranscodeDemand,
} from '../../../libs/bus/index.js';
import { recordLimits, type Config, type RecordLimits } from '../../../libs/config/index.js';
import { unsupportedCodecReason } from '../../../libs/media/index.js';
import type { AddLiveAppRecordConfigRequest, AddLiveRecordNotifyConfigRequest, AddLiveRecordVodConfigRequest } from '../../../libs/proto/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { defaultTemplate } from './default-template.js';
import { validateNotify } from './notify-validation.js';
import { askOnDemand, OnDemandFailure } from './on-demand.js';
import { renditionTemplate } from './rendition-plan.js';
import { matchTemplate, planFor } from './template-match.js';
import { TemplateStore } from './template-store.js';
import { LOCAL_ONLY, ValidationError, templateId, templateKeyFields, validateOssTemplate, validateVodTemplate } from './template-validation.js';
import { decideTrigger, type OnDemandResult } from './trigger-decision.js';

/** Validation errors travel to the API as INVALID_ARGUMENT naming the field. */
async function validated<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ValidationError) throw new RpcFailure({ code: 'invalid_argument', message: err.message });
    throw err;
  }
}

/** How long an unpublish waits for the actor of its session to be created before it is given up. */
const UNPUBLISH_DELIVERY_MS = 60000;

export function newRecordingId(now = Date.now()): string {
  return `r${now.toString(36)}${randomBytes(5).toString('hex')}`;
}

/**
 * Routes ingest events. A publish of a stream that already has an actor (its
 * reconnect window is running) goes to that actor; any other publish is
 * checked, matched to a template and handed to a recorder worker.
 */
export class MatcherService {
  private readonly log = componentLogger('matcher');
  private consumer: Running | null = null;
  private recordings: Running | null = null;
  private readonly fallbackTemplate: RecordTemplate | null;
  private readonly store: TemplateStore;
  private readonly limits: RecordLimits;
  private servers: { stop(): void }[] = [];
  private demand!: KV;
  private readonly decisions = meter('matcher').createCounter('liverecord_matcher_decisions_total', { description: 'Publish decisions by reason' });

  constructor(private bus: Bus, private config: Config) {
    this.fallbackTemplate = defaultTemplate(config, PACKAGED_FORMATS);
    this.store = new TemplateStore(bus, this.log);
    this.limits = recordLimits(config.limits.relaxed);
  }

  /** Stored templates, and the configured catch-all unless a stored template has its key. */
  private templates(): RecordTemplate[] {
    const stored = this.store.matchable();
    const f = this.fallbackTemplate;
    if (!f || stored.some((t) => t.domain === f.domain && t.app === f.app && t.stream === f.stream)) return stored;
    return [...stored, f];
  }

  async start(): Promise<void> {
    await this.store.start();
    this.demand = await bucket(this.bus, BUCKETS.transcodeDemand);
    this.serveManagement();
    this.consumer = await consumeDurable<IngestPublished | IngestUnpublished>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.matcher, filterSubject: SUBJECTS.ingestAll,
      component: 'matcher', log: this.log, concurrency: 8, keyOf: (ev) => streamToken(ev.stream),
    }, async (ev, msg) => {
      if (msg.subject === SUBJECTS.ingestPublish) await this.onPublish(ev as IngestPublished);
      else if (msg.subject === SUBJECTS.ingestUnpublish) await this.onUnpublish(ev as IngestUnpublished);
    });
    // A manual start or stop (RealTimeRecordCommand) starts or stops the renditions of the recording it starts or stops.
    this.recordings = await consumeDurable<RecordingStateChanged>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.matcherRecordings, filterSubject: SUBJECTS.recordingState, deliverNew: true,
      component: 'matcher', log: this.log, concurrency: 4, keyOf: (ev) => streamToken(ev.stream),
    }, (ev) => this.onRecordingState(ev));
    this.log.info({ templates: this.templates().length }, 'matcher ready');
  }

  private serveManagement(): void {
    const rpc = <Req, Res>(method: MatcherMethod, fn: (req: Req) => Promise<Res>) =>
      this.servers.push(serve<Req, Res>(this.bus, SUBJECTS.matcherRpc(method), 'matcher', this.log, (req) => validated(() => fn(req)), 'matcher'));
    const caps = { ...LOCAL_ONLY, s3: !!this.config.storage.s3.endpoint, endpoints: [this.config.storage.s3.endpoint, ...this.config.storage.endpoints].filter(Boolean) };
    rpc<AddLiveAppRecordConfigRequest, RecordTemplate>(MATCHER_METHODS.addTemplate, async (req) => this.store.add(validateOssTemplate(req, this.limits, caps, Date.now())));
    rpc<AddLiveAppRecordConfigRequest, RecordTemplate>(MATCHER_METHODS.updateTemplate, async (req) => this.store.update(validateOssTemplate(req, this.limits, caps, Date.now())));
    rpc<AddLiveRecordVodConfigRequest, RecordTemplate>(MATCHER_METHODS.addVodTemplate, async (req) => this.store.add(validateVodTemplate(req, this.limits, caps, Date.now())));
    rpc<TemplateKeyQuery, { deleted: true }>(MATCHER_METHODS.deleteTemplate, async (q) => {
      const key = templateKeyFields({ domainName: q.domain, appName: q.app, streamName: q.stream });
      await this.store.remove(q.kind, templateId(key), key);
      return { deleted: true };
    });
    rpc<TemplateListQuery & PageQuery, Page<RecordTemplate>>(MATCHER_METHODS.listTemplates, (q) => this.store.page(q));
    rpc<AddLiveRecordNotifyConfigRequest, NotifyConfig>(MATCHER_METHODS.putNotify, async (req) => {
      const c = validateNotify(req, Date.now(), this.config.outbound);
      await this.store.putNotify(c);
      this.log.info({ domain: c.domain, notifyUrl: c.notifyUrl, onDemandUrl: c.onDemandUrl, needStatusNotify: c.needStatusNotify, signed: !!c.authKey }, 'callback configuration saved');
      return c;
    });
    rpc<{ domain: string }, NotifyConfig>(MATCHER_METHODS.getNotify, async (q) => {
      const c = await this.store.getNotify(q.domain);
      if (!c) throw new RpcFailure({ code: 'not_found', message: `no recording callback configuration for domain ${q.domain}` });
      return c;
    });
    rpc<{ domain: string }, { deleted: true }>(MATCHER_METHODS.deleteNotify, async (q) => {
      await this.store.deleteNotify(q.domain);
      return { deleted: true };
    });
    rpc<StreamRef, MatchDecision | null>(MATCHER_METHODS.lastDecision, (s) => this.store.lastDecision(s));
  }

  private async askOnDemand(t: RecordTemplate, ev: IngestPublished): Promise<OnDemandResult | null> {
    if (t.trigger !== 1) return null;
    const notify = this.store.notifyFor(ev.stream.domain);
    if (!notify?.onDemandUrl) return null;
    try {
      const answer = await askOnDemand(notify.onDemandUrl, {
        domain: ev.stream.domain, app: ev.stream.app, stream: ev.stream.stream,
        codec: ev.codecs.video ?? '', vbitrate: ev.codecs.videoBitrateKbps,
      }, this.config.matcher.onDemandTimeoutMs, this.limits.intervalSeconds, this.config.outbound);
      return { ok: true, answer };
    } catch (err) {
      if (err instanceof OnDemandFailure) return { ok: false, error: err.message };
      throw err;
    }
  }

  /**
   * Sends a message to the stream's actor; null when the stream has no actor.
   * The recorder is asked whether an actor exists (its buckets are its own):
   * one that exists but does not answer is busy or being adopted, so the
   * message is retried rather than taken as "no actor".
   */
  private async toActor(ev: { stream: IngestPublished['stream'] }, message: ActorMessage): Promise<ActorReply | null> {
    const token = streamToken(ev.stream);
    try {
      return await request<ActorMessage, ActorReply>(this.bus, SUBJECTS.actor(token), message, 10000);
    } catch (err) {
      if (!isNoResponders(err)) throw err;
    }
    let lookup: ActorLookup;
    try {
      lookup = await call<StreamRef, ActorLookup>(this.bus, SUBJECTS.recorderRpc(RECORDER_METHODS.lookup), ev.stream, 5000);
    } catch (err) {
      if (isNoResponders(err)) throw new RetryLater('no recorder worker is running to say whether the stream has an actor', 2000);
      throw err;
    }
    if (!lookup.exists) return null;
    throw new RetryLater(`actor of ${streamLabel(ev.stream)} is not answering (owner ${lookup.owner ?? 'gone, adoption pending'})`, 1000);
  }

  private async onPublish(ev: IngestPublished): Promise<void> {
    const reply = await this.toActor(ev, { type: 'publish', publish: ev });
    if (reply?.ok) {
      // A source back within its reconnect window needs its renditions again, made from the new session
      // (one not recording, a manual stream waiting for its start, needs none yet).
      const template = ev.rendition ? null : await this.templateOfLastDecision(ev.stream);
      if (template && reply.phase === 'recording') await this.demandRenditions(template, ev);
      await this.decide(ev, { record: true, reason: 'continued', detail: `continues recording ${reply.recordingId} (${reply.phase})`, template });
      return;
    }
    if (reply && !reply.ok) throw new RetryLater(`actor busy: ${reply.message}`, 500);
    if (ev.rendition) return this.onRenditionPublish(ev);

    const codecProblem = unsupportedCodecReason(ev.codecs.video, ev.codecs.audio);
    if (codecProblem) {
      await this.decide(ev, { record: false, reason: 'unsupported_codec', detail: codecProblem, template: null });
      return;
    }
    const template = matchTemplate(this.templates(), ev.stream);
    if (!template) {
      await this.decide(ev, { record: false, reason: 'no_template', detail: 'no recording template matches the stream', template: null });
      return;
    }
    const outcome = decideTrigger(template, ev, await this.askOnDemand(template, ev), this.config.matcher.onDemandFallback);
    if (outcome.record) await this.demandRenditions(template, ev);
    if (template.formats.length === 0) {
      // Renditions only: the source gets no actor of its own, but keeps publishing (record: true) for the transcoder.
      await this.decide(ev, { record: outcome.record, reason: outcome.reason, detail: `template ${template.domain}/${template.app}/${template.stream}: ${outcome.detail}; renditions only (${template.transcodeTemplates.join(', ')})`, template });
      return;
    }
    const plan = planFor(template, ev, outcome.cycleOverrides, outcome.formats);
    // The stream gets an actor even when not recording now, so that a start command can begin it.
    const assignment: RecordAssignment = { recordingId: newRecordingId(), plan, publish: ev, startRecording: outcome.record };
    await publishDurable(this.bus, SUBJECTS.assign, assignment, `assign:${ev.sessionId}`);
    await this.decide(ev, { record: outcome.record, reason: outcome.reason, detail: `template ${template.domain}/${template.app}/${template.stream}: ${outcome.detail}`, template, plan });
  }

  /** The template the stream's recording was matched with (a continued decision names it too). */
  private async templateOfLastDecision(stream: StreamRef): Promise<RecordTemplate | null> {
    const id = (await this.store.lastDecision(stream))?.templateId;
    return id ? this.templates().find((t) => t.id === id) ?? null : null;
  }

  /**
   * Asks the transcoders for the template's renditions of this publish session (KV lr_transcode_demand);
   * `fromNow` (a manual start) has them begin at the source's next GOP, where its recording begins.
   */
  private async demandRenditions(template: RecordTemplate, ev: IngestPublished, fromNow = false): Promise<void> {
    const token = streamToken(ev.stream);
    for (const id of template.transcodeTemplates) {
      const d: TranscodeDemand = {
        source: ev.stream, sourceSessionId: ev.sessionId, media: ev.media, sourceCodecs: ev.codecs, params: ev.params,
        transcodeTemplateId: id, recordTemplateId: template.id, at: Date.now(),
        playlist: template.transcodeFormats.some((f) => f.format === 'm3u8' || f.format === 'cmaf'),
        ...(fromNow ? { from: 'now' as const } : {}),
      };
      await this.demand.put(transcodeDemandKey(token, id), JSON.stringify(d));
    }
    if (template.transcodeTemplates.length) this.log.info({ stream: streamLabel(ev.stream), sessionId: ev.sessionId, renditions: template.transcodeTemplates, fromNow }, 'renditions asked for');
  }

  /**
   * A recording started by a start command gets its renditions from then on; one stopped by a
   * stop command no longer needs them (withdrawing the demand stops their transcoding). Recordings
   * started at publish had theirs asked for with the decision, and end with their source.
   */
  private async onRecordingState(ev: RecordingStateChanged): Promise<void> {
    const start = ev.reason === 'start command' && ev.phase === 'recording';
    const stop = ev.reason === 'stop command' && ev.previous === 'recording';
    if (!start && !stop) return;
    const decision = await this.store.lastDecision(ev.stream);
    const template = decision?.templateId ? this.templates().find((t) => t.id === decision.templateId) : undefined;
    // A rendition's own recording (its decision names the source's template) has no renditions of its own.
    if (!decision?.publish || decision.publish.rendition || !template || template.transcodeTemplates.length === 0) return;
    if (start) {
      await this.demandRenditions(template, decision.publish, true);
      return;
    }
    const token = streamToken(ev.stream);
    for (const id of template.transcodeTemplates) {
      const key = transcodeDemandKey(token, id);
      const entry = await this.demand.get(key);
      // Only this session's: a newer publish's demand belongs to a recording still going.
      if (!entry || entry.operation !== 'PUT' || entry.json<TranscodeDemand>().sourceSessionId !== decision.sessionId) continue;
      await this.demand.delete(key, { previousSeq: entry.revision }).catch((err: unknown) => {
        if (!isWrongRevision(err)) throw err;
        // Changed meanwhile: a transcoder withdrew it (its source ended) or claimed it; the next delivery looks again.
        throw new RetryLater(`demand ${key} changed while being withdrawn`, 200);
      });
    }
    this.log.info({ stream: streamLabel(ev.stream), sessionId: decision.sessionId, renditions: template.transcodeTemplates }, 'renditions withdrawn: the recording was stopped');
  }

  /**
   * A rendition the transcoder publishes is recorded like a push, with the
   * source's recording template (its transcode_record_format) and no trigger
   * of its own: the source's decision to record it was taken already.
   */
  private async onRenditionPublish(ev: IngestPublished): Promise<void> {
    const r = ev.rendition!;
    const source = this.templates().find((t) => t.id === r.recordTemplateId);
    if (!source || source.transcodeFormats.length === 0) {
      await this.decide(ev, { record: false, reason: 'no_template', detail: `recording template ${r.recordTemplateId} of the source ${streamLabel(r.source)} is gone or records no renditions`, template: null });
      return;
    }
    const template = renditionTemplate(source, r.source.stream, r.transcodeTemplateId);
    const plan = planFor(template, ev);
    const assignment: RecordAssignment = { recordingId: newRecordingId(), plan, publish: ev, startRecording: true };
    await publishDurable(this.bus, SUBJECTS.assign, assignment, `assign:${ev.sessionId}`);
    await this.decide(ev, { record: true, reason: 'recording', detail: `rendition ${r.transcodeTemplateId} of ${streamLabel(r.source)}, template ${source.domain}/${source.app}/${source.stream}`, template, plan });
  }

  private async onUnpublish(ev: IngestUnpublished): Promise<void> {
    const reply = await this.toActor(ev, { type: 'unpublish', unpublish: ev });
    if (reply && !reply.ok) this.log.warn({ stream: streamLabel(ev.stream), reply }, 'actor refused unpublish');
    if (reply) return;
    // No actor yet: the session's assignment may still be waiting for a worker. It gets the unpublish once it exists.
    const decision = await this.store.lastDecision(ev.stream);
    const assigned = decision?.sessionId === ev.sessionId && decision.plan !== null;
    if (assigned && Date.now() - ev.at < UNPUBLISH_DELIVERY_MS) {
      throw new RetryLater(`unpublish of ${streamLabel(ev.stream)} waits for its actor to be created`, 1000);
    }
    if (assigned) this.log.warn({ stream: streamLabel(ev.stream), sessionId: ev.sessionId }, 'unpublish not delivered: its actor never appeared (its recorder reads the session end from the media plane)');
  }

  private async decide(ev: IngestPublished, d: { record: boolean; reason: string; detail: string; template: RecordTemplate | null; plan?: MatchDecision['plan'] }): Promise<void> {
    const decision: MatchDecision = {
      stream: ev.stream, sessionId: ev.sessionId, record: d.record, reason: d.reason, detail: d.detail,
      templateId: d.template?.id ?? null, trigger: d.template?.trigger ?? null, plan: d.plan ?? null, at: Date.now(), publish: ev,
    };
    this.decisions.add(1, { reason: d.reason });
    const log = d.record ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
    log({ stream: streamLabel(ev.stream), sessionId: ev.sessionId, record: d.record, reason: d.reason, detail: d.detail, templateId: decision.templateId, trigger: decision.trigger, formats: decision.plan?.formats }, 'publish decision');
    await publishDurable(this.bus, SUBJECTS.matchDecision, decision, `decision:${ev.sessionId}`);
    await this.store.putDecision(decision);
  }

  async stop(): Promise<void> {
    for (const s of this.servers) s.stop();
    this.servers = [];
    this.store.stop();
    await this.consumer?.stop();
    this.consumer = null;
    await this.recordings?.stop();
    this.recordings = null;
  }
}
