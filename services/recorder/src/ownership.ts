// Who owns which stream actor. A lease in a TTL bucket says which worker runs
// an actor; the actor's snapshot is written with compare-and-set on its KV
// revision, so a worker that lost ownership (its lease expired and another
// adopted the actor) can no longer write: its next write fails and it lets go.
import type { KV } from '@nats-io/kv';
import { BUCKETS, bucket, type Bus } from '../../../libs/bus/index.js';
import type { StreamState } from './stream-machine.js';

/** The write was refused because someone else wrote since: this worker is no longer the owner. */
export class OwnershipLost extends Error {}

function isWrongRevision(err: unknown): boolean {
  return /wrong last sequence|key exists|10071/i.test(String((err as Error)?.message ?? err));
}

export interface Claim {
  token: string;
  leaseRevision: number;
  snapshotRevision: number;
  /** When the lease was last created or renewed (ms): past its TTL, another worker may own the stream. */
  renewedAt: number;
}

export class Ownership {
  private snapshots!: KV;
  private leases!: KV;

  constructor(private readonly bus: Bus, private readonly workerId: string) {}

  async open(): Promise<void> {
    this.snapshots = await bucket(this.bus, BUCKETS.actors);
    this.leases = await bucket(this.bus, BUCKETS.leases);
  }

  /** Creates the stream's lease; null when another worker holds it. */
  private async acquireLease(token: string): Promise<number | null> {
    try {
      return await this.leases.create(token, this.workerId);
    } catch (err) {
      if (isWrongRevision(err)) return null;
      throw err;
    }
  }

  /** Takes a new stream: its lease, then its first snapshot. Null when another worker has it. */
  async claimNew(token: string, state: StreamState): Promise<Claim | null> {
    const leaseRevision = await this.acquireLease(token);
    if (leaseRevision === null) return null;
    let snapshotRevision: number;
    try {
      // create(): a snapshot left by an earlier actor of this stream is adopted, never overwritten.
      snapshotRevision = await this.snapshots.create(token, JSON.stringify(state));
    } catch (err) {
      // Best effort: a lease left behind expires with its TTL and the stream is claimed again then.
      await this.leases.delete(token, { previousSeq: leaseRevision }).catch(() => undefined);
      if (isWrongRevision(err)) return null;
      throw err;
    }
    return { token, leaseRevision, snapshotRevision, renewedAt: Date.now() };
  }

  async ownerOf(token: string): Promise<string | null> {
    const e = await this.leases.get(token);
    return e && e.operation === 'PUT' ? e.string() : null;
  }

  /** Snapshots whose lease has lapsed: their owner died. */
  async orphans(hosted: ReadonlySet<string>): Promise<string[]> {
    const out: string[] = [];
    for await (const token of await this.snapshots.keys()) {
      if (hosted.has(token)) continue;
      const lease = await this.leases.get(token);
      if (!lease || lease.operation !== 'PUT') out.push(token);
    }
    return out;
  }

  /** Takes an orphaned actor over; exactly one worker wins the lease. */
  async adopt(token: string): Promise<{ claim: Claim; state: StreamState } | null> {
    const leaseRevision = await this.acquireLease(token);
    if (leaseRevision === null) return null;
    const snap = await this.snapshots.get(token);
    if (!snap || snap.operation !== 'PUT') {
      await this.leases.delete(token);
      return null;
    }
    return { claim: { token, leaseRevision, snapshotRevision: snap.revision, renewedAt: Date.now() }, state: snap.json<StreamState>() };
  }

  /** Persists a snapshot only if nobody else wrote it since this worker did. */
  async persist(claim: Claim, state: StreamState): Promise<void> {
    try {
      claim.snapshotRevision = await this.snapshots.update(claim.token, JSON.stringify(state), claim.snapshotRevision);
    } catch (err) {
      if (isWrongRevision(err)) throw new OwnershipLost(`snapshot of ${claim.token} was written by another worker`);
      throw err;
    }
  }

  /**
   * Renews a lease. A lapsed lease nobody took is taken again; a lease another
   * worker holds is lost. Transient broker errors are thrown as they are: the
   * caller retries on its next round.
   */
  async renew(claim: Claim): Promise<void> {
    const started = Date.now();
    try {
      claim.leaseRevision = await this.leases.update(claim.token, this.workerId, claim.leaseRevision);
      claim.renewedAt = started;
      return;
    } catch (err) {
      if (!isWrongRevision(err)) throw err;
    }
    try {
      claim.leaseRevision = await this.leases.create(claim.token, this.workerId);
      claim.renewedAt = started;
    } catch (err) {
      if (isWrongRevision(err)) throw new OwnershipLost(`lease of ${claim.token} is held by ${await this.ownerOf(claim.token).catch(() => 'another worker')}`);
      throw err;
    }
  }

  /** Gives the actor up and keeps its snapshot for whoever adopts it. */
  async handOver(claim: Claim, state: StreamState): Promise<void> {
    await this.persist(claim, state);
    await this.leases.delete(claim.token, { previousSeq: claim.leaseRevision });
  }

  /** The recording ended: no snapshot, no lease; neither is deleted if another worker wrote it since. */
  async release(claim: Claim): Promise<void> {
    try {
      await this.snapshots.delete(claim.token, { previousSeq: claim.snapshotRevision });
    } catch (err) {
      if (isWrongRevision(err)) throw new OwnershipLost(`snapshot of ${claim.token} was written by another worker`);
      throw err;
    }
    await this.leases.delete(claim.token, { previousSeq: claim.leaseRevision }).catch((err: unknown) => {
      // A lease that lapsed or was taken over is not ours to delete.
      if (!isWrongRevision(err)) throw err;
    });
  }

  /** Whether a stream has an actor (hosted, or a snapshot waiting for adoption), and its owner. */
  async lookup(token: string): Promise<{ exists: boolean; owner: string | null }> {
    const snap = await this.snapshots.get(token);
    if (!snap || snap.operation !== 'PUT') return { exists: false, owner: null };
    return { exists: true, owner: await this.ownerOf(token) };
  }

  async snapshotSize(token: string): Promise<number> {
    const e = await this.snapshots.get(token);
    return e?.value.length ?? 0;
  }
}
