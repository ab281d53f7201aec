// The master composer against a real broker and local storage, with the index's
// describeFiles answered by this test: a master whose set stays incomplete (a
// rendition never stored, a segment never stored) is given up on after its
// retries, and says so (not acked in silence, not retried forever).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  CONSUMERS, INDEX_METHODS, STREAMS, SUBJECTS, publishDurable, serve, streamLabel,
  type Bus, type CatalogFile, type DescribeFilesQuery, type DescribeFilesResult, type FileStored, type StreamRef,
} from '../../../libs/bus/index.js';
import { loadConfig, type Config } from '../../../libs/config/index.js';
import { StorageRegistry } from '../../../libs/storage/index.js';
import { startNats, tempDir, waitFor, type TestNats } from '../../../test-kit/index.js';
import { MasterComposer } from '../src/master-composer.js';
import { VariantStore } from '../src/variants.js';
import { log } from './fixtures.js';

const LOCAL = { kind: 'local' as const, bucket: '', endpoint: '' };
const T0 = Date.parse('2026-01-01T00:00:00Z');

interface LogLine { msg: string; reason?: string; objectKey?: string; missing?: { playlist: string; missing: string[] }[] }

function fileOf(stream: StreamRef, recordingId: string, objectKey: string): CatalogFile {
  return {
    recordId: `${recordingId}-1`, stream, recordingId, format: 'm3u8', sequence: 1, objectKey, storage: LOCAL, url: '',
    startMs: T0, endMs: T0 + 10000, durationMs: 10000, width: 640, height: 360, size: 100, createdMs: T0 + 10000,
  };
}

function storedEvent(f: CatalogFile): FileStored {
  return {
    objectKey: f.objectKey, storage: f.storage, size: f.size, sha256: '', url: '',
    file: { stream: f.stream, recordingId: f.recordingId, format: f.format, sequence: f.sequence, startMs: f.startMs, endMs: f.endMs, durationMs: f.durationMs, width: f.width, height: f.height, segmentKeys: [], pushArgs: {} },
  };
}

const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.000,\nseg-0.ts\n#EXT-X-ENDLIST\n';

describe('master composer', () => {
  let nats: TestNats;
  let bus: Bus;
  let config: Config;
  let variants: VariantStore;
  let composer: MasterComposer;
  let storage: StorageRegistry;
  const lines: LogLine[] = [];
  /** What the stub catalogue lists, per stream label. */
  const catalogue = new Map<string, CatalogFile[]>();
  let index: { stop(): void };

  before(async () => {
    nats = await startNats();
    bus = await nats.bus('master-composer-test');
    config = loadConfig({ LR_DATA_DIR: tempDir('master') });
    storage = new StorageRegistry(config);
    variants = new VariantStore(bus);
    await variants.open();
    index = serve<DescribeFilesQuery, DescribeFilesResult>(bus, SUBJECTS.indexRpc(INDEX_METHODS.describeFiles), 'index', log, async (q) => {
      const files = catalogue.get(streamLabel(q.stream)) ?? [];
      return { files, total: files.length };
    });
    const captured = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
    composer = new MasterComposer(bus, config, variants, captured, { retries: 3, retryDelayMs: 100 });
    await composer.start();
  });

  after(async () => {
    await composer?.stop();
    index?.stop();
    storage?.close();
    await nats?.stop();
  });

  async function withRendition(name: string): Promise<{ source: StreamRef; rendition: StreamRef }> {
    const source: StreamRef = { domain: 'localhost', app: 'live', stream: name };
    const rendition: StreamRef = { ...source, stream: `${name}_ld` };
    await variants.put({ source, rendition, transcodeTemplateId: 'ld', sourceCodecs: 'avc1.64001e,mp4a.40.2', renditionCodecs: 'avc1.64000d,mp4a.40.2', playlist: true, at: T0 - 1000, lastSeenMs: T0 + 20000 });
    return { source, rendition };
  }

  const settled = () => waitFor('the event acked', async () => (await bus.jsm.consumers.info(STREAMS.events, CONSUMERS.transcoderMaster)).num_ack_pending === 0, 10000, 50);

  it('a rendition playlist that never comes: the master is given up on, with what was missing', async () => {
    const { source, rendition } = await withRendition('norend');
    const src = fileOf(source, 'rec-norend', 'record/live/norend/a.m3u8');
    await publishDurable(bus, SUBJECTS.fileStored, storedEvent(src));
    const gaveUp = await waitFor('the give-up', () => lines.find((l) => l.objectKey === src.objectKey && /not written/.test(l.msg)), 15000, 50);
    assert.equal(gaveUp.reason, 'variants_missing');
    assert.deepEqual(gaveUp.missing, [{ playlist: src.objectKey, missing: [streamLabel(rendition)] }]);
    await settled();
  });

  it('a segment that is never stored: the master is given up on instead of retried forever', async () => {
    const { source, rendition } = await withRendition('noseg');
    const src = fileOf(source, 'rec-noseg', 'record/live/noseg/a.m3u8');
    const ren = fileOf(rendition, 'rec-noseg-ld', 'transcodeRecord/live/noseg_ld/a.m3u8');
    const local = storage.backendFor(LOCAL);
    // Both playlists are stored, their segments are not.
    for (const f of [src, ren]) await local.putBytes(f.objectKey, Buffer.from(PLAYLIST), 'application/vnd.apple.mpegurl');
    catalogue.set(streamLabel(rendition), [ren]);
    await publishDurable(bus, SUBJECTS.fileStored, storedEvent(src));
    const gaveUp = await waitFor('the give-up', () => lines.find((l) => l.objectKey === src.objectKey && /not written/.test(l.msg)), 15000, 50);
    assert.equal(gaveUp.reason, 'segment_missing');
    assert.deepEqual(gaveUp.missing, [{ playlist: src.objectKey, missing: ['record/live/noseg/seg-0.ts'] }]);
    await settled();
  });
});
