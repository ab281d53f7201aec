// The S3 backend against a real S3-API server.
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3Storage, s3Client } from '../index.js';
import { startS3, tempDir, type TestS3 } from '../../../test-kit/index.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('S3 storage backend', () => {
  let s3: TestS3;
  let store: S3Storage;
  const dir = tempDir('s3');
  const PART = 5 * 1024 * 1024;

  before(async () => {
    s3 = await startS3();
    await s3.createBucket('recordings');
    const client = s3Client({ endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true, partSizeBytes: PART });
    store = new S3Storage(client, 'recordings', s3.endpoint, PART);
  });
  after(() => s3?.stop());

  it('puts a small object and confirms it by size and checksum', async () => {
    const body = randomBytes(100_000);
    const path = join(dir, 'small.ts');
    writeFileSync(path, body);
    const info = await store.put('record/live/s/1_0.ts', path, 'video/mp2t');
    assert.equal(info.size, body.length);
    assert.equal(info.sha256, createHash('sha256').update(body).digest('hex'));
    assert.deepEqual(await store.stat('record/live/s/1_0.ts'), info);
    assert.equal(store.urlOf('record/live/s/1_0.ts'), `${s3.endpoint}/recordings/record/live/s/1_0.ts`);
  });

  it('uploads a large file in parts, and reads byte ranges', async () => {
    const body = randomBytes(PART * 2 + 12345);
    const path = join(dir, 'large.mp4');
    writeFileSync(path, body);
    const info = await store.put('record/live/s/big.mp4', path, 'video/mp4');
    assert.equal(info.size, body.length);
    assert.equal(info.sha256, createHash('sha256').update(body).digest('hex'));
    const whole = await readAll(await store.read('record/live/s/big.mp4'));
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
