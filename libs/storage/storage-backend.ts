import type { Readable } from 'node:stream';

export interface StoredInfo {
  size: number;
  sha256: string;
}

/** One place objects are kept. Writes are idempotent: putting the same key twice is harmless. */
export interface StorageBackend {
  readonly kind: 'local' | 's3';
  put(key: string, localPath: string, contentType: string): Promise<StoredInfo>;
  putBytes(key: string, body: Buffer, contentType: string): Promise<StoredInfo>;
  exists(key: string): Promise<boolean>;
  /** Size and checksum of a stored object, or null when it does not exist. */
  stat(key: string): Promise<StoredInfo | null>;
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  delete(key: string): Promise<void>;
  urlOf(key: string): string;
}
