// Answers larger than one broker message: 3000 files in one page, 5000 templates
// page by page. The system runs against a nats-server with NATS's default 1 MB
// max_payload (as an external broker would have), so the index's answer must
// travel in parts; before, it stopped the whole process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { startNatsServer, type NatsServerProcess } from '../../../libs/runtime/index.js';
import {
  AddLiveAppRecordConfigRequest, DescribeLiveRecordConfigRequest, DescribeLiveStreamRecordIndexFilesRequest,
  type DescribeLiveRecordConfigResponse, type DescribeLiveStreamRecordIndexFilesResponse, type LiveRecordServiceClient,
} from '../../../libs/proto/index.js';
import { freePort, grpcClient, seedCatalogue, startSystem, tempDir, unary, waitFor, type RunningSystem } from '../../../test-kit/index.js';

const FILES = 3000;
const TEMPLATES = 5000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('answers larger than one broker message', () => {
  let nats: NatsServerProcess;
  let sys: RunningSystem;
  let client: LiveRecordServiceClient;

  before(async () => {
    nats = await startNatsServer({ port: await freePort(), storeDir: tempDir('nats-1mb'), maxPayloadBytes: 1024 * 1024 });
    sys = await startSystem({ LR_NATS_URL: nats.url });
    client = grpcClient(sys.ports.grpc, sys.adminKey);
  });

  after(async () => {
    client?.close();
    await sys?.stop();
    await nats?.stop();
  });

  it(`DescribeLiveStreamRecordIndexFiles answers page_size 3000 over ${FILES} files`, async () => {
    const stream = { domain: 'big.example.com', app: 'live', stream: 's1' };
    await seedCatalogue(nats.url, { stream, recordingId: 'r-big', startMs: T0, files: FILES });
    const query = (pageSize: number, pageNum = 1) => DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
      domainName: stream.domain, appName: stream.app, streamName: stream.stream, startTime: '2025-12-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z', pageSize, pageNum,
    });
    const describe = (q: DescribeLiveStreamRecordIndexFilesRequest) => unary<DescribeLiveStreamRecordIndexFilesRequest, DescribeLiveStreamRecordIndexFilesResponse>(client as unknown as grpc.Client, 'describeLiveStreamRecordIndexFiles', q);
    await waitFor(`${FILES} files in the catalogue`, async () => (await describe(query(1))).totalNum === FILES, 60000);

    const all = await describe(query(3000));
    assert.equal(all.recordIndexInfoList.length, FILES);
    assert.equal(new Set(all.recordIndexInfoList.map((f) => f.recordId)).size, FILES);
    assert.equal(all.totalPage, 1);
    const second = await describe(query(1000, 2));
    assert.deepEqual(second.recordIndexInfoList.map((f) => f.recordId), all.recordIndexInfoList.slice(1000, 2000).map((f) => f.recordId));
    assert.equal(sys.process.exitCode, null, 'the system is still running');
    const metrics = await (await fetch(`http://127.0.0.1:${sys.ports.http}/metrics`)).text();
    assert.match(metrics, /liverecord_rpc_split_replies_total\{[^}]*describe_files[^}]*\} [1-9]/, 'the answer travelled in parts');
  });

  it(`DescribeLiveRecordConfig lists ${TEMPLATES} templates of one domain page by page`, async () => {
    const domain = 'templates.example.com';
    let next = 0;
    const add = async () => {
      while (next < TEMPLATES) {
        const i = next++;
        await unary(client as unknown as grpc.Client, 'addLiveAppRecordConfig', AddLiveAppRecordConfigRequest.fromPartial({
          domainName: domain, appName: `app${i}`, streamName: '*', recordFormat: [{ format: 'm3u8', sliceDuration: 10, cycleDuration: 3600 }],
        }));
      }
    };
    await Promise.all(Array.from({ length: 16 }, add));

    const page = (pageNum: number, order = 'asc') => unary<DescribeLiveRecordConfigRequest, DescribeLiveRecordConfigResponse>(client as unknown as grpc.Client, 'describeLiveRecordConfig',
      DescribeLiveRecordConfigRequest.fromPartial({ domainName: domain, pageNum, pageSize: 100, order }));
    const seen: string[] = [];
    for (let p = 1; ; p++) {
      const r = await page(p);
      assert.equal(r.totalNum, TEMPLATES);
      assert.equal(r.totalPage, TEMPLATES / 100);
      if (r.liveAppRecordList.length === 0) break;
      assert.ok(r.liveAppRecordList.length <= 100);
      seen.push(...r.liveAppRecordList.map((t) => t.appName));
    }
    assert.equal(seen.length, TEMPLATES);
    assert.equal(new Set(seen).size, TEMPLATES, 'no template twice, none skipped');
    const lastAsc = (await page(TEMPLATES / 100)).liveAppRecordList.map((t) => t.appName);
    const firstDesc = (await page(1, 'desc')).liveAppRecordList.map((t) => t.appName);
    assert.deepEqual(firstDesc, [...lastAsc].reverse());
    assert.equal(sys.process.exitCode, null);
  });
});
