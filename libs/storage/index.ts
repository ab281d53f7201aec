export { LocalDiskStorage, sha256File } from './local-disk.js';
export { S3Storage, s3Client, type S3Settings } from './s3-storage.js';
export { StorageRegistry } from './storage-registry.js';
export type { StorageBackend, StoredInfo } from './storage-backend.js';
export { dirSize } from './dir-size.js';
