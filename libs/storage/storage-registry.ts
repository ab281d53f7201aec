import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageTarget } from '../bus/index.js';
import type { Config } from '../config/index.js';
import { LocalDiskStorage } from './local-disk.js';
import { S3Storage, s3Client, type S3Settings } from './s3-storage.js';
import type { StorageBackend } from './storage-backend.js';

/** The backend of each storage target: local disk, or a bucket on the configured (or the template's) S3 endpoint. */
export class StorageRegistry {
  readonly local: LocalDiskStorage;
  private readonly clients = new Map<string, S3Client>();
  private readonly buckets = new Map<string, S3Storage>();

  constructor(private config: Config) {
    this.local = new LocalDiskStorage(config.storage.root, config.api.publicBaseUrl);
  }

  get s3Configured(): boolean {
    return !!this.config.storage.s3.endpoint;
  }

  private settings(endpoint: string): S3Settings {
    const s = this.config.storage.s3;
    return { endpoint, region: s.region, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, forcePathStyle: s.forcePathStyle, partSizeBytes: s.partSizeBytes };
  }

  backendFor(target: StorageTarget): StorageBackend {
    if (target.kind === 'local') return this.local;
    if (!this.s3Configured) throw new Error('storage target is S3 but no S3 endpoint is configured (LR_S3_ENDPOINT)');
    const endpoint = target.endpoint || this.config.storage.s3.endpoint;
    const id = `${endpoint}|${target.bucket}`;
    let b = this.buckets.get(id);
    if (!b) {
      let client = this.clients.get(endpoint);
      if (!client) {
        client = s3Client(this.settings(endpoint));
        this.clients.set(endpoint, client);
      }
      b = new S3Storage(client, target.bucket, endpoint, this.config.storage.s3.partSizeBytes);
      this.buckets.set(id, b);
    }
    return b;
  }

  close(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
    this.buckets.clear();
  }
}
