// Traces cross every hop: NATS headers between services, gRPC metadata from clients, exported over OTLP.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import * as pb from '../../../libs/proto/index.js';
import { grpcClient, makeTestMedia, push, startSystem, waitFor, type RunningSystem } from '../../../test-kit/index.js';

interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string }

describe('tracing - context across NATS and gRPC, exported over OTLP', () => {
  let receiver: Server;
  let sys: RunningSystem;
  const spans: Span[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const json = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] };
          for (const rs of json.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    sys = await startSystem({ LR_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as { port: number }).port}`, LR_DEFAULT_TEMPLATE_SLICE_SECONDS: '2', LR_DEFAULT_TEMPLATE_DELAY_SECONDS: '1' });
  });

  after(async () => {
    if (sys) assert.equal(await sys.stop(), 0);
    receiver?.close();
  });

  it('one trace runs from the publish through the matcher to the recorder', async () => {
    await push(makeTestMedia('h264-aac', 40), `rtmp://127.0.0.1:${sys.ports.rtmp}/live/traced`, { seconds: 4 }).done;
    const matched = await waitFor('the matcher span', () => spans.find((s) => s.name === 'handle lr.evt.ingest.publish'), 20000);
    const recorded = await waitFor('the recorder span in the same trace', () => spans.find((s) => s.name === 'handle lr.work.assign' && s.traceId === matched.traceId), 20000);
    assert.equal(recorded.traceId, matched.traceId);
  });

  it('a gRPC caller\'s traceparent continues into the index service', async () => {
    const client = grpcClient(sys.ports.grpc, sys.adminKey);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const md = new Metadata();
    md.set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`);
    await new Promise((resolve, reject) => client.describeLiveStreamRecordIndexFiles(pb.DescribeLiveStreamRecordIndexFilesRequest.fromPartial({
      domainName: 'localhost', appName: 'live', streamName: 'traced', startTime: '2026-01-01T00:00:00Z', endTime: '2036-01-01T00:00:00Z',
    }), md, (err, res) => (err ? reject(err) : resolve(res))));
    client.close();
    const api = await waitFor('the api span', () => spans.find((s) => s.name === 'DescribeLiveStreamRecordIndexFiles' && s.traceId === traceId), 20000);
    assert.equal(api.parentSpanId, '00f067aa0ba902b7');
    const index = await waitFor('the index span', () => spans.find((s) => s.name === 'serve lr.rpc.index.describe_files' && s.traceId === traceId), 20000);
    assert.equal(index.traceId, traceId);
  });
});
