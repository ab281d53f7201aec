// The S3 backend against a real S3-API server, through a proxy that can corrupt an upload.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChecksumMismatchError, S3Storage, isChecksumRejection, s3Client } from '../index.js';
import { startCuttableProxy, startS3, tempDir, type CuttableProxy, type TestS3 } from '../../../test-kit/index.js';

const PART = 5 * 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function storeAt(endpoint: string, bucket: string): S3Storage {
  const client = s3Client({ endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true, partSizeBytes: PART });
  return new S3Storage(client, bucket, endpoint, PART);
}

describe('S3 storage backend', () => {
  let s3: TestS3;
  let proxy: CuttableProxy;
  /** Writes go through the proxy; `direct` reads what the server really holds. */
  let store: S3Storage;
  let direct: S3Storage;
  const dir = tempDir('s3');

  before(async () => {
    s3 = await startS3();
    await s3.createBucket('recordings');
    proxy = await startCuttableProxy(Number(new URL(s3.endpoint).port));
    store = storeAt(`http://127.0.0.1:${proxy.port}`, 'recordings');
    direct = storeAt(s3.endpoint, 'recordings');
  });
  after(async () => {
    await proxy?.close();
    await s3?.stop();
  });

  it('puts a small object; the server holds exactly those bytes', async () => {
    const body = randomBytes(100_000);
    const path = join(dir, 'small.ts');
    writeFileSync(path, body);
    const info = await store.put('record/live/s/1_0.ts', path, 'video/mp2t');
    assert.deepEqual(info, { size: body.length, sha256: sha256(body), verifiedBy: 'read-back' }, 'fauxqs ignores x-amz-checksum-sha256, so the put reads the object back');
    assert.equal(sha256(await readAll(await direct.read('record/live/s/1_0.ts'))), sha256(body));
    assert.deepEqual(await store.stat('record/live/s/1_0.ts'), { size: body.length, sha256: sha256(body) });
    assert.equal(store.urlOf('record/live/s/1_0.ts'), `http://127.0.0.1:${proxy.port}/recordings/record/live/s/1_0.ts`);
  });

  it('a byte flipped on the way is detected, and putting again stores the right bytes', async () => {
    const body = randomBytes(200_000);
    const path = join(dir, 'flipped.ts');
    writeFileSync(path, body);
    const corrupted = proxy.corruptNextPut();
    await assert.rejects(store.put('record/live/s/flipped.ts', path, 'video/mp2t'), (err) => err instanceof ChecksumMismatchError && err.detectedBy === 'read-back');
    assert.match(await corrupted, /^PUT \/recordings\/record\/live\/s\/flipped\.ts/);
    const held = await readAll(await direct.read('record/live/s/flipped.ts'));
    assert.equal(held.length, body.length);
    assert.notEqual(sha256(held), sha256(body), 'the server did store the corrupted bytes: only the check stood in the way');
    await store.put('record/live/s/flipped.ts', path, 'video/mp2t');
    assert.equal(sha256(await readAll(await direct.read('record/live/s/flipped.ts'))), sha256(body));
  });

  it('uploads a large file in parts, detects a corrupted part, and reads byte ranges', async () => {
    const body = randomBytes(PART * 2 + 12345);
    const path = join(dir, 'large.mp4');
    writeFileSync(path, body);
    const corrupted = proxy.corruptNextPut();
    await assert.rejects(store.put('record/live/s/big.mp4', path, 'video/mp4'), ChecksumMismatchError);
    assert.match(await corrupted, /partNumber=/);
    const info = await store.put('record/live/s/big.mp4', path, 'video/mp4');
    assert.equal(info.size, body.length);
    assert.equal(info.sha256, sha256(body));
    const whole = await readAll(await direct.read('record/live/s/big.mp4'));
    assert.ok(whole.equals(body));
    const range = await readAll(await store.read('record/live/s/big.mp4', { start: PART - 10, end: PART + 9 }));
    assert.ok(range.equals(body.subarray(PART - 10, PART + 10)));
  });

  it('putting the same key again is harmless', async () => {
    const path = join(dir, 'again.ts');
    writeFileSync(path, 'same');
    const a = await store.put('record/live/s/again.ts', path, 'video/mp2t');
    const b = await store.put('record/live/s/again.ts', path, 'video/mp2t');
    assert.deepEqual(a, b);
  });

  it('lists by prefix and deletes', async () => {
    for (let i = 0; i < 5; i++) await store.putBytes(`list/p/${i}.ts`, Buffer.from(`x${i}`), 'video/mp2t');
    const listed = await store.list('list/p/');
    assert.deepEqual(listed.map((o) => o.key).sort(), [0, 1, 2, 3, 4].map((i) => `list/p/${i}.ts`));
    await store.delete('list/p/0.ts');
    assert.equal(await store.stat('list/p/0.ts'), null);
    assert.equal((await store.list('list/p/')).length, 4);
  });

  it('refuses keys that are not safe', async () => {
    await assert.rejects(store.putBytes('../x', Buffer.from('a'), 'text/plain'), /unsafe object key/);
  });
});

/**
 * The part of a checksum-aware S3 server that matters here (AWS S3, MinIO): a PUT whose
 * body does not hash to its x-amz-checksum-sha256 is refused with BadDigest, and an
 * accepted one answers with the checksum it verified.
 */
function startVerifyingServer(): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const claimed = String(req.headers['x-amz-checksum-sha256'] ?? '');
      const actual = createHash('sha256').update(Buffer.concat(chunks)).digest('base64');
      if (req.method !== 'PUT' || !claimed) return res.writeHead(501).end();
      if (claimed !== actual) {
        return res.writeHead(400, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>');
      }
      res.writeHead(200, { etag: '"e"', 'x-amz-checksum-sha256': actual }).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, requests })));
}

describe('S3 storage backend - a server that verifies checksums', () => {
  it('sends the SHA-256 with the write, needs no read-back, and a corrupted body is refused by the server', async () => {
    const fake = await startVerifyingServer();
    const proxy = await startCuttableProxy(fake.port);
    try {
      const store = storeAt(`http://127.0.0.1:${proxy.port}`, 'b');
      const body = randomBytes(50_000);
      assert.deepEqual(await store.putBytes('k/ok.ts', body, 'video/mp2t'), { size: body.length, sha256: sha256(body), verifiedBy: 'server-checksum' });
      const corrupted = proxy.corruptNextPut();
      await assert.rejects(store.putBytes('k/bad.ts', body, 'video/mp2t'), (err) => isChecksumRejection(err));
      await corrupted;
      assert.ok(fake.requests.every((r) => r.startsWith('PUT ')), `no read-back: ${fake.requests.join(', ')}`);
    } finally {
      await proxy.close();
      fake.server.close();
    }
  });
});
