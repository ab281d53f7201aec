import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand,
  type CompletedPart, type S3Client,
} from '@aws-sdk/client-s3';

export interface MultipartTarget {
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
}

/** Parts uploaded at once: bounds memory to this many part buffers. */
const PARALLEL_PARTS = 2;

/**
 * Uploads a file in parts, each carrying its own SHA-256 (x-amz-checksum-sha256),
 * which a checksum-aware server verifies per part. Resolves true when the server
 * confirmed every part's checksum (and the composite of them, when it returns one),
 * false when it ignored them (the caller then reads the object back).
 */
export async function putMultipart(client: S3Client, t: MultipartTarget, localPath: string, size: number, partSize: number): Promise<boolean> {
  const created = await client.send(new CreateMultipartUploadCommand({
    Bucket: t.bucket, Key: t.key, ContentType: t.contentType, Metadata: t.metadata, ChecksumAlgorithm: 'SHA256',
  }));
  const uploadId = created.UploadId!;
  const file = await open(localPath, 'r');
  try {
    const count = Math.ceil(size / partSize);
    const parts: { part: CompletedPart; digest: Buffer; echoed: boolean }[] = new Array(count);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      for (let n = next++; n < count && !failed; n = next++) {
        const length = Math.min(partSize, size - n * partSize);
        const body = Buffer.alloc(length);
        const { bytesRead } = await file.read(body, 0, length, n * partSize);
        if (bytesRead !== length) throw new Error(`${localPath} shrank while being uploaded (part ${n + 1})`);
        const digest = createHash('sha256').update(body).digest();
        const checksum = digest.toString('base64');
        const res = await client.send(new UploadPartCommand({
          Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumber: n + 1, Body: body, ContentLength: length, ChecksumSHA256: checksum,
        }));
        const echoed = res.ChecksumSHA256 === checksum;
        if (res.ChecksumSHA256 && !echoed) throw new Error(`s3: part ${n + 1} of ${t.key} stored with checksum ${res.ChecksumSHA256}, sent ${checksum}`);
        parts[n] = { part: { PartNumber: n + 1, ETag: res.ETag, ...(echoed ? { ChecksumSHA256: checksum } : {}) }, digest, echoed };
      }
    };
    // Settle every worker before aborting, so no part is still being sent (or read) afterwards.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, () => worker().catch((err) => {
      failed = true;
      throw err;
    })));
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    const done = await client.send(new CompleteMultipartUploadCommand({
      Bucket: t.bucket, Key: t.key, UploadId: uploadId, MultipartUpload: { Parts: parts.map((p) => p.part) },
    }));
    const allEchoed = parts.every((p) => p.echoed);
    if (allEchoed && done.ChecksumSHA256) {
      // AWS reports the checksum of the part checksums, suffixed with the part count.
      const composite = createHash('sha256').update(Buffer.concat(parts.map((p) => p.digest))).digest('base64');
      if (done.ChecksumSHA256.split('-')[0] !== composite) {
        throw new Error(`s3: ${t.key} completed with checksum ${done.ChecksumSHA256}, expected ${composite}-${count}`);
      }
    }
    return allEchoed;
  } catch (err) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId })).catch((abortErr: Error) => {
      // The upload failed either way; the parts left behind are the bucket's lifecycle rule's to expire.
      (err as Error).message += ` (and aborting the multipart upload failed: ${abortErr.message})`;
    });
    throw err;
  } finally {
    await file.close();
  }
}
