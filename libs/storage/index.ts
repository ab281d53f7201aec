export { LocalDiskStorage } from './local-disk.js';
export { S3Storage, s3Client, isChecksumRejection, type S3Settings } from './s3-storage.js';
export { StorageRegistry } from './storage-registry.js';
export type { StorageBackend, StoredInfo, VerifiedPut, Verification } from './storage-backend.js';
export { ChecksumMismatchError, sha256File, sha256Bytes } from './checksum.js';
export { dirSize } from './dir-size.js';
