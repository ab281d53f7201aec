import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import NodeMediaServer, { type NmsSession } from 'node-media-server';
import Context, { type NmsBroadcast, type NmsPacket } from 'node-media-server/src/core/context.js';
import nmsLogger from 'node-media-server/src/core/logger.js';
import type { Subscription } from '@nats-io/transport-node';
import {
  STREAMS, SUBJECTS, publishDurable, streamLabel, streamToken, type Bus, type IngestPublished, type IngestUnpublished,
  type IngestRefused, type MatchDecision, type StreamRef, subscribeJson,
} from '../../../libs/bus/index.js';
import { SnapshotConfigs } from '../../../libs/bus/snapshot-configs.js';
import type { Config } from '../../../libs/config/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { PublishKeys, withoutSecrets } from '../../../libs/publish-auth/index.js';
import { CodecSniffer } from './codec-sniffer.js';
import { NMS_SECRET, admit } from './nms-auth.js';
import { PublishGate, type GateVerdict } from './publish-gate.js';
import { domainOf } from './domain-map.js';
import { MediaPublisher, SubjectOrder, type IngestPacket } from './media-publisher.js';

interface LiveSession {
  session: NmsSession;
  stream: StreamRef;
  sniffer: CodecSniffer;
  media: MediaPublisher;
  startedAt: number;
  announced: boolean;
  poll: NodeJS.Timeout | null;
}

/** node-media-server packet flags of audio frames (1), video keyframes (3) and other video frames (4). */
const MEDIA_FLAGS = new Set([1, 3, 4]);

/** How long an announcement waits for the broker to take the session's first media batch. */
const FIRST_BATCH_WAIT_MS = 10000;

/**
 * RTMP ingest on node-media-server. It records nothing itself: it publishes
 * every packet of every publish, once, to the media plane, and announces
 * publishes (codecs, parameters, media-plane position) and their end.
 */
export class IngestService {
  private readonly log = componentLogger('ingest');
  private nms: NodeMediaServer | null = null;
  private readonly live = new Map<string, LiveSession>();
  private readonly publishes = meter('ingest').createCounter('liverecord_ingest_publishes_total', { description: 'Publishes announced' });
  private readonly mediaBatches = meter('ingest').createCounter('liverecord_media_batches_total', { description: 'Packet batches the media plane took' });
  private readonly mediaBytes = meter('ingest').createCounter('liverecord_media_bytes_total', { description: 'Bytes of packets the media plane took' });
  private readonly mediaFailures = meter('ingest').createCounter('liverecord_media_publish_failures_total', { description: 'Packet batches the media plane did not take after retries (lost)' });
  private decisionsSub: Subscription | null = null;
  /** Snapshot configurations: an unrecorded stream with one keeps its keyframes on the media plane. */
  private readonly snapshots: SnapshotConfigs;
  private readonly subjectOrders = new Map<string, SubjectOrder>();

  private readonly refusals = meter('ingest').createCounter('liverecord_ingest_refused_total', { description: 'Publishes and plays refused by publish authentication' });
  private readonly keys: PublishKeys;
  private readonly gate: PublishGate;

  constructor(private bus: Bus, private config: Config) {
    this.keys = new PublishKeys(bus, config.publishAuth.keys);
    this.gate = new PublishGate(config, this.keys);
    this.snapshots = new SnapshotConfigs(bus, this.log);
  }

  async start(): Promise<void> {
    const storePath = join(this.config.dataDir, 'ingest');
    mkdirSync(storePath, { recursive: true });
    await this.keys.watch(
      (err) => this.log.error({ err: err.message }, 'publish signing keys: unreadable update'),
      // Which domain's keys changed, never the keys: operators (and tests) can see a rotation take effect.
      (domain) => this.log.info({ domain }, 'publish signing keys updated'),
    );
    // Every publish and play passes the gate (prePublish / prePlay), which tells node-media-server's own check the verdict.
    this.nms = new NodeMediaServer({ bind: this.config.bind, rtmp: { port: this.config.ingest.rtmpPort }, store: { path: storePath }, auth: { publish: true, play: true, secret: NMS_SECRET } });
    // The constructor forces debug logging; keep node-media-server quiet unless we debug.
    nmsLogger.level = this.config.logLevel === 'debug' || this.config.logLevel === 'trace' ? 'debug' : 'error';
    // RTMP's connect, createStream and publish each wait for the server's reply, which
    // node-media-server writes in several small pieces: with Nagle's algorithm on, every
    // piece after the first waits for a delayed ACK (40 ms on Linux), and a publish took
    // ≈ 290 ms to start. nginx-rtmp sets TCP_NODELAY too.
    this.nms.rtmpServer?.tcpServer?.on('connection', (socket: Socket) => socket.setNoDelay(true));
    this.nms.on('prePublish', (session) => this.onGate(session, 'publish'));
    this.nms.on('prePlay', (session) => this.onGate(session, 'play'));
    this.nms.on('postPublish', (session) => this.onPostPublish(session));
    this.nms.on('donePublish', (session) => this.onDonePublish(session));
    await this.snapshots.start();
    // A stream that nobody will record stops costing the media plane at once (its keyframes stay when it is thumbnailed).
    this.decisionsSub = subscribeJson<MatchDecision>(this.bus, SUBJECTS.matchDecision, 'match decisions', this.log, (d) => this.onDecision(d));
    await this.nms.run();
    this.log.info({ port: this.config.ingest.rtmpPort, bind: this.config.bind }, 'RTMP ingest listening');
  }

  private streamOf(session: NmsSession): StreamRef {
    return { domain: domainOf(session.streamHost, this.config.domains.default, this.config.domains.aliases), app: session.streamApp, stream: session.streamName };
  }

  /** Accepts or refuses a publish or play before node-media-server lets it start; a refusal is logged and evented. */
  private onGate(session: NmsSession, kind: 'publish' | 'play'): void {
    const stream = this.streamOf(session);
    let verdict: GateVerdict;
    try {
      verdict = this.gate.decide({ kind, ...stream, ip: session.ip, query: session.streamQuery });
    } catch (err) {
      // A gate that cannot decide refuses: an error must not open the door.
      this.log.error({ stream: streamLabel(stream), err: (err as Error).message }, 'publish authentication failed to decide; refused');
      verdict = { ok: false, reason: 'internal' };
    }
    admit(session, verdict.ok);
    if (verdict.ok) {
      releaseIdleFlvParser(session);
      return;
    }
    this.refusals.add(1, { kind, reason: verdict.reason });
    const ev: IngestRefused = { stream, kind, sessionId: session.id, nodeId: this.config.ingest.nodeId, clientAddress: session.ip, reason: verdict.reason, at: Date.now() };
    this.log.warn({ stream: streamLabel(stream), kind, client: session.ip, reason: verdict.reason }, `${kind} refused`);
    publishDurable(this.bus, SUBJECTS.ingestRefused, ev, `refused:${session.id}`).catch((err: unknown) => {
      this.log.error({ sessionId: session.id, err: (err as Error).message }, 'could not announce a refused publish');
    });
  }

  private onPostPublish(session: NmsSession): void {
    const broadcast = Context.broadcasts.get(session.streamPath);
    // postPublish fires before node-media-server assigns the publisher, and fires for a refused duplicate too.
    if (!broadcast || broadcast.publisher !== null) {
      this.log.warn({ streamPath: session.streamPath, ip: session.ip }, 'duplicate publish refused');
      return;
    }
    // The reconnect window is ours: node-media-server must end the publish the moment the socket closes.
    broadcast.publishGraceMs = 0;
    const stream = this.streamOf(session);
    const subject = SUBJECTS.media(streamToken(stream));
    const order = this.subjectOrders.get(subject) ?? new SubjectOrder();
    this.subjectOrders.set(subject, order);
    const media = new MediaPublisher(this.bus, subject, session.id, this.config.media.batchMs, this.log, {
      batches: (n) => this.mediaBatches.add(n),
      bytes: (n) => this.mediaBytes.add(n),
      failures: (n) => this.mediaFailures.add(n),
    }, order);
    const entry: LiveSession = { session, stream, sniffer: new CodecSniffer(), media, startedAt: Date.now(), announced: false, poll: null };
    this.live.set(session.id, entry);
    this.wrapBroadcast(broadcast, entry);
    entry.poll = setInterval(() => this.maybeAnnounce(entry), 50);
  }

  private wrapBroadcast(broadcast: NmsBroadcast, entry: LiveSession): void {
    const original = broadcast.broadcastMessage.bind(broadcast);
    broadcast.broadcastMessage = (packet: NmsPacket) => {
      if (!entry.announced) entry.sniffer.observe(packet, Date.now());
      try {
        entry.media.onPacket(packet as IngestPacket);
      } catch (err) {
        this.mediaFailures.add(1);
        this.log.error({ sessionId: entry.session.id, err: (err as Error).message }, 'packet not published to the media plane');
      }
      // node-media-server builds an FLV and a chunked RTMP copy of every packet and caches each GOP twice, for
      // players. With nobody playing that is pure cost: media packets then skip it (headers and metadata
      // never do), and the stale GOP cache is dropped, so a player that joins later starts at the next keyframe.
      if (broadcast.subscribers.size === 0 && MEDIA_FLAGS.has(packet.flags)) {
        broadcast.flvGopCache = null;
        broadcast.rtmpGopCache = null;
        return;
      }
      original(packet);
    };
  }

  private maybeAnnounce(entry: LiveSession): void {
    if (entry.announced || !entry.sniffer.settled(Date.now(), this.config.ingest.codecWaitMs)) return;
    entry.announced = true;
    if (entry.poll) clearInterval(entry.poll);
    entry.poll = null;
    void this.announce(entry);
  }

  private async announce(entry: LiveSession): Promise<void> {
    const s = entry.session;
    const codecs = entry.sniffer.result();
    let startSeq: number | null = null;
    try {
      startSeq = await Promise.race([
        entry.media.firstSeq,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), FIRST_BATCH_WAIT_MS).unref()),
      ]);
    } catch (err) {
      // The recorder then finds the session by its start time.
      this.log.warn({ sessionId: s.id, err: (err as Error).message }, 'first media batch not acknowledged; announcing the session by its start time');
    }
    const ev: IngestPublished = {
      stream: entry.stream,
      sessionId: s.id,
      nodeId: this.config.ingest.nodeId,
      clientAddress: s.ip,
      host: s.streamHost,
      codecs: {
        video: codecs.video, audio: codecs.audio,
        width: s.videoWidth || 0, height: s.videoHeight || 0, fps: s.videoFramerate || 0,
        videoBitrateKbps: Math.round(s.videoDatarate || 0),
      },
      // Credentials in the publish URL never reach the 30-day event log, the matcher or callbacks.
      params: withoutSecrets({ ...s.streamQuery }),
      media: { subject: entry.media.subject, startSeq, startMs: entry.startedAt },
      at: Date.now(),
    };
    this.publishes.add(1);
    this.log.info({ stream: streamLabel(ev.stream), sessionId: s.id, client: s.ip, codecs: ev.codecs }, 'publish');
    await publishDurable(this.bus, SUBJECTS.ingestPublish, ev, `publish:${s.id}`).catch((err) => {
      this.log.error({ sessionId: s.id, err: (err as Error).message }, 'could not announce publish');
    });
  }

  private onDecision(d: MatchDecision): void {
    // No actor was made for the session (no template, unsupported codec...): nothing will read its packets.
    if (d.record || d.plan !== null) return;
    const entry = this.live.get(d.sessionId);
    if (!entry) return;
    const video = d.publish?.codecs.video ?? entry.sniffer.result().video;
    if ((video === 'h264' || video === 'h265') && this.snapshots.configFor(entry.stream)) {
      // Thumbnails are taken of it (services/recorder/src/thumbnails/live-snapshots.ts): one keyframe per GOP is all they read.
      entry.media.onlyKeyframes();
      this.log.info({ stream: streamLabel(entry.stream), reason: d.reason }, 'stream not recorded but snapshotted: only its keyframes stay on the media plane');
      return;
    }
    entry.media.silence();
    this.bus.jsm.streams.purge(STREAMS.media, { filter: entry.media.subject }).then(
      (r) => this.log.info({ stream: streamLabel(entry.stream), purged: r.purged, reason: d.reason }, 'stream not recorded: its packets leave the media plane'),
      (err) => this.log.error({ stream: streamLabel(entry.stream), err: (err as Error).message }, 'could not purge an unrecorded stream from the media plane'),
    );
  }

  private onDonePublish(session: NmsSession): void {
    const broadcast = Context.broadcasts.get(session.streamPath);
    // Players (our recorder's pull among them) must not wait for a publisher that is gone.
    for (const sub of broadcast?.subscribers.values() ?? []) sub.close();
    const entry = this.live.get(session.id);
    if (!entry) return;
    this.live.delete(session.id);
    if (entry.poll) clearInterval(entry.poll);
    // The end marker goes first: a recorder drains the session up to it.
    const ended = entry.media.end().finally(() => {
      // The subject's order is kept while a later session of the stream publishes.
      if (![...this.live.values()].some((e) => e.media.subject === entry.media.subject)) this.subjectOrders.delete(entry.media.subject);
    });
    if (!entry.announced) return;
    void ended.then(() => this.announceUnpublish(entry));
  }

  private async announceUnpublish(entry: LiveSession): Promise<void> {
    const session = entry.session;
    const ev: IngestUnpublished = {
      stream: entry.stream,
      sessionId: session.id,
      nodeId: this.config.ingest.nodeId,
      at: Date.now(),
    };
    this.log.info({ stream: streamLabel(ev.stream), sessionId: session.id }, 'unpublish');
    await publishDurable(this.bus, SUBJECTS.ingestUnpublish, ev, `unpublish:${session.id}`).catch((err) => {
      this.log.error({ sessionId: session.id, err: (err as Error).message }, 'could not announce unpublish');
    });
  }

  async stop(): Promise<void> {
    this.keys.stop();
    this.snapshots.stop();
    this.decisionsSub?.unsubscribe();
    this.decisionsSub = null;
    const open = [...this.live.values()];
    for (const entry of open) if (entry.poll) clearInterval(entry.poll);
    await this.nms?.stop();
    this.nms = null;
    // Sessions node-media-server did not end on its way down still get their end marker and unpublish.
    await Promise.allSettled(open.map(async (entry) => {
      if (!this.live.delete(entry.session.id)) return;
      await entry.media.end();
      if (entry.announced) await this.announceUnpublish(entry);
    }));
  }
}

/**
 * node-media-server gives every RTMP session an FLV tag parser with a zero-filled
 * 1 MiB buffer, which RTMP input never uses (its chunks are parsed elsewhere):
 * 1 MiB resident per stream, a quarter of our memory budget. A small buffer in its
 * place still grows on demand if some path ever parses FLV with it.
 */
function releaseIdleFlvParser(session: NmsSession): void {
  const flv = session.rtmp?.flv;
  if (!flv || flv.parserTagCapacity <= 4096) return;
  flv.parserTagCapacity = 4096;
  flv.parserTagData = Buffer.allocUnsafe(4096);
}
