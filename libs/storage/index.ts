export { LocalDiskStorage, sha256File } from './local-disk.js';
export type { StorageBackend, StoredInfo } from './storage-backend.js';
