import { randomBytes } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import {
  BUCKETS, CONSUMERS, PACKAGED_FORMATS, RetryLater, STREAMS, SUBJECTS, bucket, consumeDurable, isNoResponders,
  publishDurable, request, streamLabel, streamToken,
  type ActorMessage, type ActorReply, type Bus, type IngestPublished, type IngestUnpublished, type MatchDecision,
  type RecordAssignment, type RecordTemplate, type Running,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { unsupportedCodecReason } from '../../../libs/media/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { defaultTemplate } from './default-template.js';
import { matchTemplate, planFor } from './template-match.js';

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
  private snapshots!: KV;
  private leases!: KV;
  private readonly templates: RecordTemplate[] = [];
  private readonly decisions = meter('matcher').createCounter('liverecord_matcher_decisions_total', { description: 'Publish decisions by reason' });

  constructor(private bus: Bus, private config: Config) {
    const fallback = defaultTemplate(config, PACKAGED_FORMATS);
    if (fallback) this.templates.push(fallback);
  }

  async start(): Promise<void> {
    this.snapshots = await bucket(this.bus, BUCKETS.actors);
    this.leases = await bucket(this.bus, BUCKETS.leases);
    this.consumer = await consumeDurable<IngestPublished | IngestUnpublished>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.matcher, filterSubject: SUBJECTS.ingestAll,
      component: 'matcher', log: this.log, concurrency: 8, keyOf: (ev) => streamToken(ev.stream),
    }, async (ev, msg) => {
      if (msg.subject === SUBJECTS.ingestPublish) await this.onPublish(ev as IngestPublished);
      else if (msg.subject === SUBJECTS.ingestUnpublish) await this.onUnpublish(ev as IngestUnpublished);
    });
    this.log.info({ templates: this.templates.length }, 'matcher ready');
  }

  /** Sends a message to the stream's actor; null when no actor owns the stream any more. */
  private async toActor(ev: { stream: IngestPublished['stream'] }, message: ActorMessage): Promise<ActorReply | null> {
    const token = streamToken(ev.stream);
    const snapshot = await this.snapshots.get(token);
    if (!snapshot || snapshot.operation !== 'PUT') return null;
    try {
      return await request<ActorMessage, ActorReply>(this.bus, SUBJECTS.actor(token), message, 10000);
    } catch (err) {
      if (!isNoResponders(err)) throw err;
      const lease = await this.leases.get(token);
      if (lease && lease.operation === 'PUT') throw new RetryLater(`actor of ${streamLabel(ev.stream)} is leased but not answering`, 1000);
      // Owner gone and lease expired: the snapshot is stale.
      this.log.warn({ stream: streamLabel(ev.stream) }, 'stale actor snapshot without owner; removing');
      await this.snapshots.delete(token);
      return null;
    }
  }

  private async onPublish(ev: IngestPublished): Promise<void> {
    const reply = await this.toActor(ev, { type: 'publish', publish: ev });
    if (reply?.ok) {
      await this.decide(ev, { record: true, reason: 'continued', detail: `continues recording ${reply.recordingId} (${reply.phase})`, template: null });
      return;
    }
    if (reply && !reply.ok) throw new RetryLater(`actor busy: ${reply.message}`, 500);

    const codecProblem = unsupportedCodecReason(ev.codecs.video, ev.codecs.audio);
    if (codecProblem) {
      await this.decide(ev, { record: false, reason: 'unsupported_codec', detail: codecProblem, template: null });
      return;
    }
    const template = matchTemplate(this.templates, ev.stream);
    if (!template) {
      await this.decide(ev, { record: false, reason: 'no_template', detail: 'no recording template matches the stream', template: null });
      return;
    }
    const plan = planFor(template, ev);
    const assignment: RecordAssignment = { recordingId: newRecordingId(), plan, publish: ev, startRecording: true };
    await publishDurable(this.bus, SUBJECTS.assign, assignment, `assign:${ev.sessionId}`);
    await this.decide(ev, { record: true, reason: 'recording', detail: `template ${template.id}, automatic trigger`, template, plan: assignment.plan });
  }

  private async onUnpublish(ev: IngestUnpublished): Promise<void> {
    const reply = await this.toActor(ev, { type: 'unpublish', unpublish: ev });
    if (reply && !reply.ok) this.log.warn({ stream: streamLabel(ev.stream), reply }, 'actor refused unpublish');
  }

  private async decide(ev: IngestPublished, d: { record: boolean; reason: string; detail: string; template: RecordTemplate | null; plan?: MatchDecision['plan'] }): Promise<void> {
    const decision: MatchDecision = {
      stream: ev.stream, sessionId: ev.sessionId, record: d.record, reason: d.reason, detail: d.detail,
      templateId: d.template?.id ?? null, trigger: d.template?.trigger ?? null, plan: d.plan ?? null, at: Date.now(),
    };
    this.decisions.add(1, { reason: d.reason });
    const log = d.record ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
    log({ stream: streamLabel(ev.stream), sessionId: ev.sessionId, record: d.record, reason: d.reason, detail: d.detail, templateId: decision.templateId }, 'publish decision');
    await publishDurable(this.bus, SUBJECTS.matchDecision, decision, `decision:${ev.sessionId}`);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }
}
