// Writes a recording's master playlist once its source playlist and the
// playlists of the renditions recorded alongside are all stored: it reads
// stored-file events (durable), so whichever of them is stored last completes
// the set. BANDWIDTH is measured from the stored segments' sizes, RESOLUTION is
// the catalogue's, CODECS what the transcoder saw (variants.ts). The master is
// stored next to the source playlist and catalogued as a file of the source stream.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { JsMsg } from '@nats-io/jetstream';
import {
  CONSUMERS, INDEX_METHODS, RetryLater, STREAMS, SUBJECTS, call, consumeDurable, publishDurable, streamLabel,
  type Bus, type CatalogFile, type DescribeFilesQuery, type DescribeFilesResult, type FileStored, type RenditionVariant, type Running, type StreamRef,
} from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { MASTER_RECORDING_SUFFIX, isSafeKey, masterPlaylistKey, relativeKey } from '../../../libs/naming/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { meter, type Logger } from '../../../libs/telemetry/index.js';
import { masterPlaylist, measureBandwidth, mediaSegments, overlapMs, type Variant } from './master-playlist.js';
import type { VariantStore } from './variants.js';

/** A rendition file belongs to a source file when they share at least this part of the shorter one. */
const MIN_OVERLAP = 0.5;
/**
 * Deliveries of a file event whose set is incomplete, or whose playlists list segments not stored
 * yet (the catalogue and the storage may lag the event by a moment), before the master is given up on.
 */
const INCOMPLETE_RETRIES = 10;
const RETRY_DELAY_MS = 3000;

/** What a master playlist still waits for: per playlist, the rendition streams or segments missing. */
type Missing = { playlist: string; missing: string[] }[];

/** The set is not complete yet: tried again a few times, then given up on (logged and counted). */
class NotYet extends RetryLater {
  constructor(readonly reason: 'variants_missing' | 'segment_missing', message: string, readonly missing: Missing, delayMs: number) {
    super(message, delayMs);
  }
}

export interface MasterComposerOptions {
  /** Deliveries before an incomplete master is given up on (tests shorten them). */
  retries?: number;
  retryDelayMs?: number;
}

type Described = Pick<CatalogFile, 'stream' | 'recordingId' | 'format' | 'sequence' | 'objectKey' | 'storage' | 'startMs' | 'endMs' | 'durationMs' | 'width' | 'height'>;

const isPlaylist = (f: { format: string }) => f.format === 'm3u8' || f.format === 'cmaf';
const isMaster = (f: { recordingId: string }) => f.recordingId.endsWith(MASTER_RECORDING_SUFFIX);

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class MasterComposer {
  private consumer: Running | null = null;
  private readonly storage: StorageRegistry;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly outcomes = meter('transcoder').createCounter('liverecord_transcoder_master_playlists_total', {
    description: 'Master playlists by outcome: stored, or given up on (variants_missing, segment_missing)',
  });

  constructor(private readonly bus: Bus, config: Config, private readonly variants: VariantStore, private readonly log: Logger, opts: MasterComposerOptions = {}) {
    this.storage = new StorageRegistry(config);
    this.retries = opts.retries ?? INCOMPLETE_RETRIES;
    this.retryDelayMs = opts.retryDelayMs ?? RETRY_DELAY_MS;
  }

  async start(): Promise<void> {
    this.consumer = await consumeDurable<FileStored>(this.bus, {
      stream: STREAMS.events, durable: CONSUMERS.transcoderMaster, filterSubject: SUBJECTS.fileStored,
      component: 'transcoder', log: this.log, concurrency: 4,
      // A recording's files one after another on first delivery (a retried one may be overtaken: harmless, a master is
      // recomputed whole); different recordings' at once.
      keyOf: (ev) => ev.file.recordingId,
      // Files stored before live transcoding was deployed have no renditions to list.
      deliverNew: true,
    }, (ev, msg) => this.onFile(ev, msg));
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
    this.storage.close();
  }

  private async onFile(ev: FileStored, msg: JsMsg): Promise<void> {
    const f = ev.file;
    if (!isPlaylist(f) || isMaster(f)) return;
    try {
      await this.composeFor(ev);
    } catch (err) {
      if (!(err instanceof NotYet) || msg.info.deliveryCount < this.retries) throw err;
      this.log.error({
        stream: streamLabel(f.stream), objectKey: ev.objectKey, reason: err.reason, missing: err.missing, deliveries: msg.info.deliveryCount,
      }, 'master playlist not written: the set was still incomplete after the last retry');
      this.outcomes.add(1, { outcome: err.reason });
    }
  }

  private async composeFor(ev: FileStored): Promise<void> {
    const f = ev.file;
    const own: Described = { ...f, objectKey: ev.objectKey, storage: ev.storage };
    const asRendition = await this.variants.ofRendition(f.stream);
    const missing: Missing = [];
    if (asRendition) {
      // A rendition's playlist: the source files it overlaps may now have every variant.
      const sources = (await this.filesOf(asRendition.source, own)).filter((s) => !isMaster(s) && overlapMs(s, own) > 0);
      for (const s of sources) {
        const m = await this.compose(s, own);
        if (m.length > 0) missing.push({ playlist: s.objectKey, missing: m });
      }
      if (sources.length === 0) missing.push({ playlist: ev.objectKey, missing: [`a playlist of the source ${streamLabel(asRendition.source)}`] });
    } else {
      const m = await this.compose(own, null);
      if (m.length > 0) missing.push({ playlist: ev.objectKey, missing: m });
    }
    if (missing.length > 0) {
      throw new NotYet('variants_missing', `master playlist of ${streamLabel(f.stream)}: waiting for the other variants`, missing, this.retryDelayMs);
    }
  }

  /** Files of a stream around another file's time range (the catalogue's view). */
  private async filesOf(stream: StreamRef, around: { startMs: number; endMs: number }): Promise<CatalogFile[]> {
    const q: DescribeFilesQuery = { stream, startMs: around.startMs - 60000, endMs: around.endMs + 60000, pageNum: 1, pageSize: 100, order: 'asc' };
    const r = await call<DescribeFilesQuery, DescribeFilesResult>(this.bus, SUBJECTS.indexRpc(INDEX_METHODS.describeFiles), q, 10000);
    return r.files.filter(isPlaylist);
  }

  /**
   * Writes the master of a source playlist when every rendition live during it
   * has a stored playlist; else the renditions missing (nothing written). `known`
   * is a rendition file the catalogue may not list yet (the event being handled).
   */
  private async compose(source: Described, known: Described | null): Promise<string[]> {
    const renditions = (await this.variants.ofSource(source.stream)).filter((v) => v.playlist !== false && v.at <= source.endMs && v.lastSeenMs >= source.startMs);
    if (renditions.length === 0) return [];
    const parts: { file: Described; codecs: string }[] = [];
    const missing: string[] = [];
    for (const v of renditions) {
      const file = await this.renditionFile(v, source, known);
      if (file) parts.push({ file, codecs: v.renditionCodecs });
      else missing.push(streamLabel(v.rendition));
    }
    if (missing.length > 0) return missing;
    const masterKey = masterPlaylistKey(source.objectKey);
    const variants: Variant[] = [];
    for (const p of [{ file: source, codecs: renditions[0].sourceCodecs }, ...parts]) {
      const bw = await this.bandwidthOf(p.file);
      variants.push({ uri: relativeKey(masterKey, p.file.objectKey), bandwidth: bw.peak, averageBandwidth: bw.average, width: p.file.width, height: p.file.height, codecs: p.codecs });
    }
    const backend = this.storage.backendFor(source.storage);
    const stored = await backend.putBytes(masterKey, Buffer.from(masterPlaylist(variants)), 'application/vnd.apple.mpegurl');
    const recordingId = `${source.recordingId}${MASTER_RECORDING_SUFFIX}`;
    const ev: FileStored = {
      objectKey: masterKey, storage: source.storage, size: stored.size, sha256: stored.sha256, url: backend.urlOf(masterKey),
      file: {
        stream: source.stream, recordingId, format: source.format, sequence: source.sequence, startMs: source.startMs, endMs: source.endMs,
        durationMs: source.durationMs, width: source.width, height: source.height, segmentKeys: [], pushArgs: {},
      },
    };
    await publishDurable(this.bus, SUBJECTS.fileStored, ev, `master:${recordingId}:${source.format}:${source.sequence}`);
    this.log.info({ stream: streamLabel(source.stream), masterKey, variants: variants.length }, 'master playlist stored');
    this.outcomes.add(1, { outcome: 'stored' });
    return [];
  }

  /** The rendition's playlist covering the source file (most overlap), or null while it is not stored. */
  private async renditionFile(v: RenditionVariant, source: Described, known: Described | null): Promise<Described | null> {
    const candidates: Described[] = (await this.filesOf(v.rendition, source)).filter((f) => !isMaster(f));
    if (known && known.stream.stream === v.rendition.stream && known.stream.app === v.rendition.app && known.stream.domain === v.rendition.domain) candidates.push(known);
    let best: Described | null = null;
    for (const c of candidates) if (!best || overlapMs(c, source) > overlapMs(best, source)) best = c;
    if (!best) return null;
    const shorter = Math.max(1, Math.min(best.endMs - best.startMs, source.endMs - source.startMs));
    return overlapMs(best, source) >= MIN_OVERLAP * shorter ? best : null;
  }

  /** Peak and average bit rate of a stored media playlist, from its segments' stored sizes. */
  private async bandwidthOf(file: Described): Promise<{ peak: number; average: number }> {
    const backend = this.storage.backendFor(file.storage);
    const text = await readText(await backend.read(file.objectKey));
    const dir = posix.dirname(file.objectKey);
    const measured: { durationSec: number; bytes: number }[] = [];
    for (const s of mediaSegments(text)) {
      const key = posix.normalize(posix.join(dir, s.uri));
      if (!isSafeKey(key)) throw new Error(`playlist ${file.objectKey} lists an unusable segment URI ${s.uri.slice(0, 200)}`);
      const info = await backend.stat(key);
      if (!info) throw new NotYet('segment_missing', `segment ${key} of ${file.objectKey} is not stored yet`, [{ playlist: file.objectKey, missing: [key] }], this.retryDelayMs);
      measured.push({ durationSec: s.durationSec, bytes: info.size });
    }
    return measureBandwidth(measured);
  }
}
