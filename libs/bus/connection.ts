import { connect, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager,
  type JetStreamClient, type JetStreamManager, type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { context } from '@opentelemetry/api';
import { injectTrace, type HeaderCarrier } from '../telemetry/index.js';
import { BUCKETS, STREAMS, SUBJECTS } from './subjects.js';
import { MediaHub } from './media-hub.js';

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kvm: Kvm;
  /** Replica count for streams and buckets (a service creating its own bucket uses it too). */
  replicas: number;
  /** Media-plane messages published over this connection, handed to its own readers (libs/bus/media-hub.ts). */
  media: MediaHub;
  close(): Promise<void>;
}

export interface BusOptions {
  url: string;
  name: string;
  /** Lifetime of an actor lease without renewal. */
  leaseTtlMs: number;
  /** Retention of the media plane (defaults: 180 s, 8 GiB, file storage). */
  media?: MediaRetention;
  /** Replicas of every stream and bucket: 3 on a 3-node cluster survives losing a node (default 1). */
  replicas?: number;
}

export interface MediaRetention {
  maxAgeSeconds: number;
  maxBytes: number;
  storage: 'file' | 'memory';
}

const DEFAULT_MEDIA: MediaRetention = { maxAgeSeconds: 180, maxBytes: 8 * 1024 ** 3, storage: 'file' };

const DAY_NS = 24 * 3600 * 1e9;

const STREAM_CONFIGS: (Partial<StreamConfig> & { name: string })[] = [
  { name: STREAMS.events, subjects: [SUBJECTS.eventsAll], retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: 30 * DAY_NS, duplicate_window: 120 * 1e9 },
  { name: STREAMS.assign, subjects: [SUBJECTS.assign], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: 120 * 1e9 },
  { name: STREAMS.uploads, subjects: [SUBJECTS.upload], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: 600 * 1e9 },
  { name: STREAMS.libraryJobs, subjects: [SUBJECTS.libraryJobsAll], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: 600 * 1e9 },
];

export async function connectBus(opts: BusOptions): Promise<Bus> {
  // A cluster is given as a comma-separated list: the client needs every seed, not one
  // string, to reach the others while the first is down.
  const servers = opts.url.split(',').map((s) => s.trim()).filter(Boolean);
  const nc = await connect({ servers, name: opts.name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const js = jetstream(nc, { timeout: 5000 });
  const jsm = await jetstreamManager(nc, { timeout: 5000 });
  const kvm = new Kvm(js);
  const replicas = opts.replicas ?? 1;
  const bus: Bus = {
    nc, js, jsm, kvm, replicas, media: new MediaHub(),
    async close() {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
  await ensureTopology(bus, opts.leaseTtlMs, opts.media ?? DEFAULT_MEDIA, replicas);
  return bus;
}

/**
 * The media plane: packets by age and size, oldest dropped first. The duplicate
 * window covers the ingest's retries (one message id per batch, about one a second per stream).
 */
function mediaStreamConfig(m: MediaRetention): Partial<StreamConfig> & { name: string } {
  return {
    name: STREAMS.media, subjects: [SUBJECTS.mediaAll], retention: RetentionPolicy.Limits,
    storage: m.storage === 'memory' ? StorageType.Memory : StorageType.File,
    max_age: m.maxAgeSeconds * 1e9, max_bytes: m.maxBytes, discard: DiscardPolicy.Old, duplicate_window: Math.min(120, m.maxAgeSeconds) * 1e9,
  };
}

/** Creates streams and buckets if missing and aligns their configuration; safe to run from every service at start. */
export async function ensureTopology(bus: Bus, leaseTtlMs: number, media: MediaRetention = DEFAULT_MEDIA, replicas = 1): Promise<void> {
  for (const base of [...STREAM_CONFIGS, mediaStreamConfig(media)]) {
    const cfg = { ...base, num_replicas: replicas };
    try {
      await bus.jsm.streams.info(cfg.name);
      await bus.jsm.streams.update(cfg.name, cfg);
    } catch (err) {
      if (!/not found/i.test(String((err as Error).message))) throw err;
      await bus.jsm.streams.add(cfg);
    }
  }
  await openBucket(bus, BUCKETS.actors, { history: 1, replicas });
  await openBucket(bus, BUCKETS.timers, { history: 1, replicas });
  await openBucket(bus, BUCKETS.templates, { history: 5, replicas });
  await openBucket(bus, BUCKETS.notify, { history: 5, replicas });
  await openBucket(bus, BUCKETS.decisions, { history: 1, replicas });
  await openBucket(bus, BUCKETS.apiKeys, { history: 1, replicas });
  await openBucket(bus, BUCKETS.publishAuth, { history: 1, replicas });
  await openBucket(bus, BUCKETS.snapshotConfigs, { history: 5, replicas });
  await openBucket(bus, BUCKETS.transcodeTemplates, { history: 5, replicas });
  await openBucket(bus, BUCKETS.transcodeDemand, { history: 1, replicas });
  await openBucket(bus, BUCKETS.transcodeVariants, { history: 1, replicas });
  await openBucket(bus, BUCKETS.transcodeLeases, { history: 1, ttl: leaseTtlMs, replicas });
  await openBucket(bus, BUCKETS.leases, { history: 1, ttl: leaseTtlMs, replicas });
}

async function openBucket(bus: Bus, name: string, opts: { history: number; ttl?: number; replicas: number }): Promise<KV> {
  try {
    return await bus.kvm.create(name, opts);
  } catch {
    // It exists with another TTL (the configuration changed): the newest configuration wins.
    if (opts.ttl) await bus.jsm.streams.update(`KV_${name}`, { max_age: opts.ttl * 1e6 });
    return bus.kvm.open(name);
  }
}

export function bucket(bus: Bus, name: string): Promise<KV> {
  return bus.kvm.open(name);
}

function carrier(h: MsgHdrs): HeaderCarrier {
  return { get: (k) => h.get(k) || undefined, set: (k, v) => h.set(k, v) };
}

export function traceHeaders(): MsgHdrs {
  const h = headers();
  injectTrace(carrier(h), context.active());
  return h;
}

export function headerCarrier(h: MsgHdrs | undefined): HeaderCarrier | undefined {
  return h ? carrier(h) : undefined;
}

/**
 * Appends an event or a work item to JetStream. A broker that is briefly away
 * (leader election, reconnect) is retried; msgID makes a repeat harmless.
 */
export async function publishDurable<T>(bus: Bus, subject: string, payload: T, msgID?: string, attempts = 5): Promise<void> {
  const data = JSON.stringify(payload);
  for (let attempt = 1; ; attempt++) {
    try {
      await bus.js.publish(subject, data, { headers: traceHeaders(), ...(msgID ? { msgID } : {}), timeout: 5000 });
      return;
    } catch (err) {
      if (attempt >= attempts || bus.nc.isClosed()) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
    }
  }
}

