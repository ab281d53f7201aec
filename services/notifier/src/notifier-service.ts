import type { KV } from '@nats-io/kv';
import type { JsMsg } from '@nats-io/jetstream';
import {
  BUCKETS, RetryLater, STREAMS, SUBJECTS, bucket, consumeDurable, publishDurable, streamLabel,
  type AssetReady, type Bus, type FileStored, type NotifyConfig, type ProcessFinished, type RecordingNotice, type Running,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { OutboundDenied, outboundRequest } from '../../../libs/outbound/index.js';
import { assetReadyBody, fileCallbackBody, noticeCallbackBody, processFinishedBody } from './callback-body.js';
import { callbackId } from './callback-id.js';
import { HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, signCallback } from './callback-signing.js';
import { DeliveryLedger } from './delivery-ledger.js';

export interface CallbackFailed {
  id: string;
  url: string;
  attempts: number;
  error: string;
  body: Record<string, unknown>;
}

/**
 * Delivers the recording callbacks: a POST for every stored file, and the
 * status notices when the domain asks for them. Work comes from durable
 * consumers of the event log, so a restart loses none; a failed delivery is
 * retried with exponential backoff. Each callback id (stable across retries and
 * across copies of the same event) is delivered once: copies are handled one
 * after another and the delivery ledger remembers what was sent.
 */
export class NotifierService {
  private readonly log = componentLogger('notifier');
  private consumers: Running[] = [];
  private notify!: KV;
  private ledger!: DeliveryLedger;
  private readonly delivered = meter('notifier').createCounter('liverecord_callbacks_total', { description: 'Callback deliveries by outcome' });

  constructor(private bus: Bus, private config: Config) {}

  async start(): Promise<void> {
    this.notify = await bucket(this.bus, BUCKETS.notify);
    this.ledger = await DeliveryLedger.open(this.bus);
    const common = { stream: STREAMS.events, component: 'notifier', log: this.log, concurrency: 8, deliverNew: true, ackWaitMs: this.config.notifier.timeoutMs * 3 };
    this.consumers.push(
      await consumeDurable<FileStored>(this.bus, { ...common, durable: 'notifier-files', filterSubject: SUBJECTS.fileStored, keyOf: (ev, msg) => callbackId(msg, ev) }, async (ev, msg) => {
        const c = await this.configFor(ev.file.stream.domain);
        if (!c?.notifyUrl) return;
        await this.deliverOnce(c, msg, fileCallbackBody(callbackId(msg, ev), ev));
      }),
      await consumeDurable<RecordingNotice>(this.bus, { ...common, durable: 'notifier-status', filterSubject: SUBJECTS.recordingNotice, keyOf: (ev, msg) => callbackId(msg, ev) }, async (ev, msg) => {
        const c = await this.configFor(ev.stream.domain);
        if (!c?.notifyUrl || !c.needStatusNotify) return;
        await this.deliverOnce(c, msg, noticeCallbackBody(callbackId(msg, ev), ev));
      }),
      // Media library: an asset is ready (registered or merged), a processing task finished.
      await consumeDurable<AssetReady | ProcessFinished>(this.bus, { ...common, durable: 'notifier-library', filterSubject: SUBJECTS.libraryEventsAll, keyOf: (ev, msg) => callbackId(msg, ev) }, async (ev, msg) => {
        const c = await this.configFor(ev.asset.stream.domain);
        if (!c?.notifyUrl) return;
        const id = callbackId(msg, ev);
        await this.deliverOnce(c, msg, 'task' in ev ? processFinishedBody(id, ev) : assetReadyBody(id, ev as AssetReady));
      }),
    );
    this.log.info('notifier ready');
  }

  private async configFor(domain: string): Promise<NotifyConfig | null> {
    const e = await this.notify.get(domain);
    return e && e.operation === 'PUT' ? e.json<NotifyConfig>() : null;
  }

  /** Claims the callback's id, sends it, and records the outcome; a copy of a handled event is skipped. */
  private async deliverOnce(c: NotifyConfig, msg: JsMsg, body: Record<string, unknown>): Promise<void> {
    const id = String(body.id);
    // A holder that has not finished within a few answer timeouts has died.
    const claim = await this.ledger.claim(id, this.config.notifier.timeoutMs * 3);
    if (claim.kind === 'done') {
      this.delivered.add(1, { outcome: 'duplicate', event: String(body.event) });
      this.log.info({ id, event: body.event, seq: msg.seq, state: claim.state }, 'callback already handled; this copy of the event is not sent again');
      return;
    }
    if (claim.kind === 'busy') throw new RetryLater(`callback ${id} is being delivered by another notifier`, this.config.notifier.timeoutMs);
    let outcome: 'delivered' | 'abandoned';
    try {
      outcome = await this.deliver(c, msg, body);
    } catch (err) {
      // The retry claims the id again.
      await this.ledger.release(id, claim.revision).catch((releaseErr: Error) => this.log.warn({ id, err: releaseErr.message }, 'could not release a callback claim; it is taken over once stale'));
      throw err;
    }
    await this.ledger.finish(id, claim.revision, outcome);
  }

  /** A callback the outbound guard stopped: logged and evented (lr.evt.outbound.refused); it is retried like any failure, and refused again. */
  private refusedOutbound(url: string, id: string, reason: string): void {
    let host = '';
    try {
      host = new URL(url).host;
    } catch {
      host = '(not a URL)';
    }
    this.log.warn({ id, host, reason }, 'callback refused by the outbound guard');
    publishDurable(this.bus, SUBJECTS.outboundRefused, { kind: 'callback', id, host, reason, at: Date.now() }).catch((err: unknown) => {
      this.log.error({ id, err: (err as Error).message }, 'could not publish an outbound refusal');
    });
  }

  private async deliver(c: NotifyConfig, msg: JsMsg, body: Record<string, unknown>): Promise<'delivered' | 'abandoned'> {
    const text = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { 'content-type': 'application/json', [HEADER_ID]: String(body.id), [HEADER_TIMESTAMP]: String(timestamp) };
    if (c.authKey) headers[HEADER_SIGNATURE] = signCallback(c.authKey, timestamp, text);
    const attempt = msg.info.deliveryCount;
    let error: string;
    try {
      // Resolved and checked at connect time (DNS rebinding), redirects not followed; the answer body is not needed.
      const res = await outboundRequest(c.notifyUrl, { method: 'POST', headers, body: text, timeoutMs: this.config.notifier.timeoutMs, maxBodyBytes: 64 * 1024, policy: this.config.outbound });
      if (res.status >= 200 && res.status < 300) {
        this.delivered.add(1, { outcome: 'delivered', event: String(body.event) });
        this.log.info({ id: body.id, event: body.event, stream: `${body.domain}/${body.app}/${body.stream}`, attempt }, 'callback delivered');
        return 'delivered';
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof OutboundDenied) {
        this.refusedOutbound(c.notifyUrl, String(body.id), err.message);
        error = `refused by the outbound guard: ${err.message}`;
      } else error = (err as Error).name === 'TimeoutError' ? `no answer within ${this.config.notifier.timeoutMs} ms` : (err as Error).message;
    }
    if (attempt >= this.config.notifier.maxAttempts) {
      this.delivered.add(1, { outcome: 'abandoned', event: String(body.event) });
      this.log.error({ id: body.id, url: c.notifyUrl, attempts: attempt, error }, 'callback abandoned after the last attempt');
      const failed: CallbackFailed = { id: String(body.id), url: c.notifyUrl, attempts: attempt, error, body };
      await publishDurable(this.bus, SUBJECTS.callbackFailed, failed, `callback-failed:${body.id}`);
      return 'abandoned';
    }
    this.delivered.add(1, { outcome: 'retried', event: String(body.event) });
    const delay = Math.min(this.config.notifier.maxBackoffMs, this.config.notifier.firstBackoffMs * 2 ** (attempt - 1));
    throw new RetryLater(`callback ${body.id} to ${streamLabel({ domain: String(body.domain), app: String(body.app), stream: String(body.stream) })} failed (${error})`, delay);
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers = [];
  }
}
