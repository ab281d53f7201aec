import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import NodeMediaServer, { type NmsSession } from 'node-media-server';
import Context, { type NmsBroadcast, type NmsPacket } from 'node-media-server/src/core/context.js';
import nmsLogger from 'node-media-server/src/core/logger.js';
import { SUBJECTS, publishDurable, streamLabel, type Bus, type IngestPublished, type IngestUnpublished } from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { componentLogger, meter } from '../../../libs/telemetry/index.js';
import { CodecSniffer } from './codec-sniffer.js';
import { domainOf } from './domain-map.js';

interface LiveSession {
  session: NmsSession;
  sniffer: CodecSniffer;
  announced: boolean;
  poll: NodeJS.Timeout | null;
}

/**
 * RTMP ingest on node-media-server. It records nothing itself: it announces
 * publishes (with codecs, parameters and the URL to pull from) and their end.
 */
export class IngestService {
  private readonly log = componentLogger('ingest');
  private nms: NodeMediaServer | null = null;
  private readonly live = new Map<string, LiveSession>();
  private readonly publishes = meter('ingest').createCounter('liverecord_ingest_publishes_total', { description: 'Publishes announced' });

  constructor(private bus: Bus, private config: Config) {}

  async start(): Promise<void> {
    const storePath = join(this.config.dataDir, 'ingest');
    mkdirSync(storePath, { recursive: true });
    this.nms = new NodeMediaServer({ bind: this.config.bind, rtmp: { port: this.config.ingest.rtmpPort }, store: { path: storePath } });
    // The constructor forces debug logging; keep node-media-server quiet unless we debug.
    nmsLogger.level = this.config.logLevel === 'debug' || this.config.logLevel === 'trace' ? 'debug' : 'error';
    this.nms.on('postPublish', (session) => this.onPostPublish(session));
    this.nms.on('donePublish', (session) => this.onDonePublish(session));
    await this.nms.run();
    this.log.info({ port: this.config.ingest.rtmpPort, bind: this.config.bind }, 'RTMP ingest listening');
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
    const entry: LiveSession = { session, sniffer: new CodecSniffer(), announced: false, poll: null };
    this.live.set(session.id, entry);
    this.wrapBroadcast(broadcast, entry);
    entry.poll = setInterval(() => this.maybeAnnounce(entry), 50);
  }

  private wrapBroadcast(broadcast: NmsBroadcast, entry: LiveSession): void {
    const original = broadcast.broadcastMessage.bind(broadcast);
    broadcast.broadcastMessage = (packet: NmsPacket) => {
      if (!entry.announced) entry.sniffer.observe(packet, Date.now());
      original(packet);
    };
  }

  private maybeAnnounce(entry: LiveSession): void {
    if (entry.announced || !entry.sniffer.settled(Date.now(), this.config.ingest.codecWaitMs)) return;
    entry.announced = true;
    if (entry.poll) clearInterval(entry.poll);
    entry.poll = null;
    const s = entry.session;
    const codecs = entry.sniffer.result();
    const ev: IngestPublished = {
      stream: { domain: domainOf(s.streamHost, this.config.domains.default, this.config.domains.aliases), app: s.streamApp, stream: s.streamName },
      sessionId: s.id,
      nodeId: this.config.ingest.nodeId,
      clientAddress: s.ip,
      host: s.streamHost,
      codecs: {
        video: codecs.video, audio: codecs.audio,
        width: s.videoWidth || 0, height: s.videoHeight || 0, fps: s.videoFramerate || 0,
        videoBitrateKbps: Math.round(s.videoDatarate || 0),
      },
      params: { ...s.streamQuery },
      pullUrl: `rtmp://${this.config.ingest.pullHost}:${this.config.ingest.rtmpPort}/${s.streamApp}/${s.streamName}`,
      at: Date.now(),
    };
    this.publishes.add(1);
    this.log.info({ stream: streamLabel(ev.stream), sessionId: s.id, client: s.ip, codecs: ev.codecs }, 'publish');
    publishDurable(this.bus, SUBJECTS.ingestPublish, ev, `publish:${s.id}`).catch((err) => {
      this.log.error({ sessionId: s.id, err: (err as Error).message }, 'could not announce publish');
    });
  }

  private onDonePublish(session: NmsSession): void {
    const broadcast = Context.broadcasts.get(session.streamPath);
    // Players (our recorder's pull among them) must not wait for a publisher that is gone.
    for (const sub of broadcast?.subscribers.values() ?? []) sub.close();
    const entry = this.live.get(session.id);
    if (!entry) return;
    this.live.delete(session.id);
    if (entry.poll) clearInterval(entry.poll);
    if (!entry.announced) return;
    const ev: IngestUnpublished = {
      stream: { domain: domainOf(session.streamHost, this.config.domains.default, this.config.domains.aliases), app: session.streamApp, stream: session.streamName },
      sessionId: session.id,
      nodeId: this.config.ingest.nodeId,
      at: Date.now(),
    };
    this.log.info({ stream: streamLabel(ev.stream), sessionId: session.id }, 'unpublish');
    publishDurable(this.bus, SUBJECTS.ingestUnpublish, ev, `unpublish:${session.id}`).catch((err) => {
      this.log.error({ sessionId: session.id, err: (err as Error).message }, 'could not announce unpublish');
    });
  }

  async stop(): Promise<void> {
    for (const entry of this.live.values()) if (entry.poll) clearInterval(entry.poll);
    await this.nms?.stop();
    this.nms = null;
  }
}
