// Which transcoder makes which rendition: a lease per demand key in a TTL
// bucket, created to take the work and renewed with compare-and-set, so several
// transcoders share the renditions and a dead one's are taken over once its
// leases lapse (nats-server 2.9 expires the whole entry with the bucket's TTL).
import type { KV } from '@nats-io/kv';
import { BUCKETS, bucket, isWrongRevision, type Bus } from '../../../libs/bus/index.js';

export class RenditionLeases {
  private kv!: KV;

  constructor(private readonly bus: Bus, private readonly workerId: string) {}

  async open(): Promise<void> {
    this.kv = await bucket(this.bus, BUCKETS.transcodeLeases);
  }

  /** The lease's revision, or null when another transcoder holds it. */
  async acquire(key: string): Promise<number | null> {
    try {
      return await this.kv.create(key, this.workerId);
    } catch (err) {
      if (isWrongRevision(err)) return null;
      throw err;
    }
  }

  /**
   * The new revision, or null when the lease was lost (taken over, or it lapsed and someone took it).
   * A revision moved on by this holder itself (a renewal whose answer came too late) is no loss:
   * the lease is still this holder's, at the revision it now has.
   */
  async renew(key: string, revision: number): Promise<number | null> {
    try {
      return await this.kv.update(key, this.workerId, revision);
    } catch (err) {
      if (!isWrongRevision(err)) throw err;
    }
    const e = await this.kv.get(key);
    return e && e.operation === 'PUT' && e.string() === this.workerId ? e.revision : null;
  }

  /** Gives the lease up, only if it is still this holder's. */
  async release(key: string, revision: number): Promise<void> {
    try {
      await this.kv.delete(key, { previousSeq: revision });
    } catch (err) {
      if (!isWrongRevision(err)) throw err;
    }
  }
}
