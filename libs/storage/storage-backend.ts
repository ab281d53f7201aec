import type { Readable } from 'node:stream';

export interface StoredInfo {
  size: number;
  sha256: string;
}

/**
 * How a put confirmed that the stored object holds the bytes sent:
 * - server-checksum: the server verified the SHA-256 the request carried (x-amz-checksum-sha256) and said so;
 * - read-back: the stored bytes were read again and hashed (local disk, or an S3 server without checksums).
 */
export type Verification = 'server-checksum' | 'read-back';

export interface VerifiedPut extends StoredInfo {
  verifiedBy: Verification;
}

/**
 * One place objects are kept. Writes are idempotent: putting the same key twice is harmless.
 * A put resolves only once the stored object is known to hold exactly the bytes sent, and
 * rejects with ChecksumMismatchError otherwise, so a caller never has to compare by itself.
 */
export interface StorageBackend {
  readonly kind: 'local' | 's3';
  put(key: string, localPath: string, contentType: string): Promise<VerifiedPut>;
  putBytes(key: string, body: Buffer, contentType: string): Promise<VerifiedPut>;
  /** Size and checksum of a stored object, or null when it does not exist. */
  stat(key: string): Promise<StoredInfo | null>;
  /** Whether an object exists, without reading it. */
  exists(key: string): Promise<boolean>;
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  delete(key: string): Promise<void>;
  urlOf(key: string): string;
}
