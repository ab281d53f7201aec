import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { OutboundDenied, STORAGE_POLICY, guardedLookup, hostDenied } from '../outbound/index.js';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isSafeKey } from '../naming/index.js';
import { ChecksumMismatchError, hexToBase64, sha256Bytes, sha256File, sha256Stream } from './checksum.js';
import { putMultipart } from './s3-multipart.js';
import type { StorageBackend, StoredInfo, VerifiedPut } from './storage-backend.js';

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
  // The endpoint is configuration, but a name can still resolve (or be rebound) to cloud metadata or
  // another link-local address: those are refused when the socket connects, literals at once.
  const denied = hostDenied(new URL(s.endpoint).hostname, STORAGE_POLICY);
  if (denied) throw new OutboundDenied(`storage endpoint ${s.endpoint}: ${denied}`);
  const lookup = guardedLookup(STORAGE_POLICY);
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    credentials: s.accessKeyId ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
    maxAttempts: 2,
    // Without these a request on a connection that died silently waits forever, and so would its upload.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60000, httpAgent: new HttpAgent({ keepAlive: true, lookup }), httpsAgent: new HttpsAgent({ keepAlive: true, lookup }) },
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** A server that verified a request's checksum rejects a mismatch with one of these. */
export function isChecksumRejection(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch';
}

/**
 * Objects in one bucket of an S3-compatible service (AWS S3, MinIO, Ceph RGW, ...).
 * Every write carries its SHA-256 (x-amz-checksum-sha256, per part for multipart);
 * a server that verifies it echoes it back, and a server that does not (some
 * emulators, old gateways) gets the object read back and hashed before the put
 * resolves. The SHA-256 is also kept as metadata for stat().
 */
export class S3Storage implements StorageBackend {
  readonly kind = 's3' as const;

  constructor(private client: S3Client, readonly bucket: string, private endpoint: string, private partSizeBytes: number) {}

  private key(key: string): string {
    if (!isSafeKey(key)) throw new Error(`unsafe object key "${key}"`);
    return key;
  }

  async put(key: string, localPath: string, contentType: string): Promise<VerifiedPut> {
    const local = await sha256File(localPath);
    const target = { bucket: this.bucket, key: this.key(key), contentType, metadata: { sha256: local.sha256 } };
    let serverVerified: boolean;
    if (local.size > this.partSizeBytes) {
      serverVerified = await putMultipart(this.client, target, localPath, local.size, this.partSizeBytes);
    } else {
      serverVerified = await this.putSingle(target, createReadStream(localPath), local);
    }
    return this.confirm(key, local, serverVerified);
  }

  async putBytes(key: string, body: Buffer, contentType: string): Promise<VerifiedPut> {
    const local = sha256Bytes(body);
    const serverVerified = await this.putSingle({ bucket: this.bucket, key: this.key(key), contentType, metadata: { sha256: local.sha256 } }, body, local);
    return this.confirm(key, local, serverVerified);
  }

  /** One PUT with its checksum; true when the server answered with the same checksum (it verified it). */
  private async putSingle(t: { bucket: string; key: string; contentType: string; metadata: Record<string, string> }, body: Readable | Buffer, local: StoredInfo): Promise<boolean> {
    const checksum = hexToBase64(local.sha256);
    const res = await this.client.send(new PutObjectCommand({
      Bucket: t.bucket, Key: t.key, ContentType: t.contentType, Metadata: t.metadata, Body: body, ContentLength: local.size, ChecksumSHA256: checksum,
    }));
    if (res.ChecksumSHA256 && res.ChecksumSHA256 !== checksum) {
      throw new ChecksumMismatchError(t.key, local, { size: local.size, sha256: Buffer.from(res.ChecksumSHA256, 'base64').toString('hex') }, 'server-checksum');
    }
    return res.ChecksumSHA256 === checksum;
  }

  /** Where the server did not vouch for the bytes, read them back. */
  private async confirm(key: string, local: StoredInfo, serverVerified: boolean): Promise<VerifiedPut> {
    if (serverVerified) return { ...local, verifiedBy: 'server-checksum' };
    const stored = await sha256Stream(await this.read(key));
    if (stored.size !== local.size || stored.sha256 !== local.sha256) throw new ChecksumMismatchError(key, local, stored, 'read-back');
    return { ...local, verifiedBy: 'read-back' };
  }

  /** Size from the server; the SHA-256 is the one a verified put recorded as metadata. */
  async stat(key: string): Promise<StoredInfo | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: Number(head.ContentLength ?? 0), sha256: head.Metadata?.sha256 ?? '' };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
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
