// ListLiveStreams: the console's one read that is not a gRPC method. Each stream the
// event log shows (live ones first) with the answer DescribeLiveStreamRecordStatus
// gives for it (the decision of its last publish and its recording's state), made by
// the same handler.
import { status as grpcStatus } from '@grpc/grpc-js';
import { DescribeLiveStreamRecordStatusResponse } from '../../../../libs/proto/index.js';
import { invalid, toServiceError } from '../grpc-errors.js';
import type { Operation } from '../method-calls.js';
import { domainField, formatTime, shown } from '../request-fields.js';
import type { TemplateHandlers } from '../template-handlers.js';
import type { LiveStreamsView, StreamActivity } from './live-streams.js';

export interface ListLiveStreamsRequest {
  /** Only this domain's streams (empty: every domain). */
  domainName: string;
  /** Also streams whose last session has ended (most recent first). */
  includeEnded: boolean;
}

export interface LiveStreamEntry {
  domainName: string;
  appName: string;
  streamName: string;
  live: boolean;
  sessionId: string;
  publishTime: string;
  /** Empty while live. */
  unpublishTime: string;
  ingestNode: string;
  codecs: { video: string; audio: string; width: number; height: number; fps: number; videoBitrateKbps: number };
  /** DescribeLiveStreamRecordStatus's answer as JSON; absent when it failed (statusError says why). */
  status?: unknown;
  statusError?: string;
}

export interface ListLiveStreamsResponse {
  streams: LiveStreamEntry[];
  /** Streams matching before the cut to MAX_LISTED. */
  totalNum: number;
  /** False while the api is still reading the event log after its start: the list may miss streams. */
  complete: boolean;
}

/** Most streams in one answer, each with a status lookup; the console shows the first ones. */
export const MAX_LISTED = 200;
/** Status lookups at once (each is a matcher request and an actor request). */
const STATUS_CONCURRENCY = 8;
/** How long a list waits for the event log's replay after a start before answering with what it has. */
const READY_WAIT_MS = 5000;

/** The request from its JSON body; wrong types name the field as the gRPC methods do. */
export function parseListLiveStreams(body: unknown): ListLiveStreamsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('request', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const name of Object.keys(b)) {
    if (!['domainName', 'domain_name', 'includeEnded', 'include_ended'].includes(name)) throw invalid(name, 'is not a field of this request');
  }
  const domain = b.domainName ?? b.domain_name ?? '';
  const includeEnded = b.includeEnded ?? b.include_ended ?? false;
  if (typeof domain !== 'string') throw invalid('domain_name', `must be a string, got ${shown(JSON.stringify(domain))}`);
  if (typeof includeEnded !== 'boolean') throw invalid('include_ended', `must be true or false, got ${shown(JSON.stringify(includeEnded))}`);
  return { domainName: domain.trim() ? domainField('domain_name', domain) : '', includeEnded };
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function listLiveStreamsOperation(view: LiveStreamsView, templates: TemplateHandlers): Operation<ListLiveStreamsRequest, ListLiveStreamsResponse> {
  const entry = async (s: StreamActivity): Promise<LiveStreamEntry> => {
    const base: LiveStreamEntry = {
      domainName: s.stream.domain, appName: s.stream.app, streamName: s.stream.stream,
      live: s.live, sessionId: s.sessionId, publishTime: formatTime(s.publishedMs),
      unpublishTime: s.unpublishedMs === null ? '' : formatTime(s.unpublishedMs), ingestNode: s.nodeId,
      codecs: {
        video: s.codecs.video ?? '', audio: s.codecs.audio ?? '', width: s.codecs.width, height: s.codecs.height,
        fps: s.codecs.fps, videoBitrateKbps: s.codecs.videoBitrateKbps,
      },
    };
    try {
      const status = await templates.status({ domainName: s.stream.domain, appName: s.stream.app, streamName: s.stream.stream });
      return { ...base, status: DescribeLiveStreamRecordStatusResponse.toJSON(status) };
    } catch (err) {
      // One stream's failed lookup (a matcher timeout) must not hide the others: it is shown on its row.
      const se = toServiceError(err);
      return { ...base, statusError: `${grpcStatus[se.code ?? grpcStatus.INTERNAL]}: ${se.details}` };
    }
  };
  return {
    name: 'ListLiveStreams',
    scope: 'read',
    mutating: false,
    async run(req) {
      await Promise.race([view.ready, new Promise((r) => setTimeout(r, READY_WAIT_MS).unref())]);
      const matching = view.list().filter((s) => (req.includeEnded || s.live) && (!req.domainName || s.stream.domain === req.domainName));
      const streams = await mapLimited(matching.slice(0, MAX_LISTED), STATUS_CONCURRENCY, entry);
      return { streams, totalNum: matching.length, complete: view.complete };
    },
  };
}
