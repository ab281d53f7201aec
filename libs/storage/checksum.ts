import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { StoredInfo } from './storage-backend.js';

/** Size and SHA-256 (hex) of everything a stream yields. */
export async function sha256Stream(stream: AsyncIterable<unknown>): Promise<StoredInfo> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
  }
  return { size, sha256: hash.digest('hex') };
}

export function sha256File(path: string): Promise<StoredInfo> {
  return sha256Stream(createReadStream(path));
}

export function sha256Bytes(body: Buffer): StoredInfo {
  return { size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}

/** S3 carries checksums base64-encoded (x-amz-checksum-sha256); the catalogue keeps hex. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/**
 * A stored object does not hold the bytes that were sent. Thrown by a put, so the
 * caller retries it; nothing built on the object (an event, a deleted spool copy)
 * may happen before a put resolves.
 */
export class ChecksumMismatchError extends Error {
  override readonly name = 'ChecksumMismatchError';
  constructor(readonly key: string, readonly expected: StoredInfo, readonly actual: StoredInfo, readonly detectedBy: string) {
    super(`stored ${key} does not match what was sent (${detectedBy}: size ${actual.size}/${expected.size}, sha256 ${actual.sha256.slice(0, 12)}…/${expected.sha256.slice(0, 12)}…)`);
  }
}
