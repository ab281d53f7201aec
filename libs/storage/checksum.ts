import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
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

const READ_CHUNK = 256 * 1024;
/** Read buffers kept for the next calls: as many as hash at once in a busy uploader. */
const SPARE_READ_BUFFERS_MAX = 8;
const spareReadBuffers: Buffer[] = [];

/**
 * Every stored segment is hashed: read through a buffer reused across calls rather
 * than a read stream's fresh 64 KiB chunk per read (or a fresh buffer per call),
 * which at a hundred streams was a steady source of garbage for the collector.
 */
export async function sha256File(path: string): Promise<StoredInfo> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  const buf = spareReadBuffers.pop() ?? Buffer.allocUnsafe(READ_CHUNK);
  try {
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    if (spareReadBuffers.length < SPARE_READ_BUFFERS_MAX) spareReadBuffers.push(buf);
    await fh.close();
  }
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
