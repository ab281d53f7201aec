import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { isSafeKey } from '../naming/index.js';
import { sha256File } from './local-disk.js';
import type { StorageBackend, StoredInfo } from './storage-backend.js';

export interface S3Settings {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Files larger than this go up in parts of this size. */
  partSizeBytes: number;
}

export function s3Client(s: S3Settings): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    credentials: s.accessKeyId ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
    maxAttempts: 2,
    // Without these a request on a connection that died silently waits forever, and so would its upload.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60000 },
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Objects in one bucket of an S3-compatible service (AWS S3, MinIO, Ceph RGW, ...).
 * Every object carries its SHA-256 as metadata so that a stored copy can be
 * confirmed against the spool without reading it back.
 */
export class S3Storage implements StorageBackend {
  readonly kind = 's3' as const;

  constructor(private client: S3Client, readonly bucket: string, private endpoint: string, private partSizeBytes: number) {}

  private key(key: string): string {
    if (!isSafeKey(key)) throw new Error(`unsafe object key "${key}"`);
    return key;
  }

  async put(key: string, localPath: string, contentType: string): Promise<StoredInfo> {
    const local = await sha256File(localPath);
    const size = (await stat(localPath)).size;
    const params = { Bucket: this.bucket, Key: this.key(key), ContentType: contentType, Metadata: { sha256: local.sha256 } };
    if (size > this.partSizeBytes) {
      await new Upload({ client: this.client, params: { ...params, Body: createReadStream(localPath) }, partSize: this.partSizeBytes, queueSize: 2, leavePartsOnError: false }).done();
    } else {
      await this.client.send(new PutObjectCommand({ ...params, Body: createReadStream(localPath), ContentLength: size }));
    }
    const stored = await this.stat(key);
    if (!stored) throw new Error(`s3: ${this.bucket}/${key} is missing right after its upload`);
    return stored;
  }

  async putBytes(key: string, body: Buffer, contentType: string): Promise<StoredInfo> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body, ContentType: contentType, Metadata: { sha256 } }));
    return { size: body.length, sha256 };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async stat(key: string): Promise<StoredInfo | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: Number(head.ContentLength ?? 0), sha256: head.Metadata?.sha256 ?? '' };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
    return res.Body as Readable;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push({ key: o.Key!, size: Number(o.Size ?? 0) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  urlOf(key: string): string {
    return `${this.endpoint.replace(/\/$/, '')}/${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }
}
