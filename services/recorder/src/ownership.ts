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
}

export class Ownership {
  private snapshots!: KV;
  private leases!: KV;

  constructor(private readonly bus: Bus, private readonly workerId: string) {}

  async open(): Promise<void> {
    this.snapshots = await bucket(this.bus, BUCKETS.actors);
    this.leases = await bucket(this.bus, BUCKETS.leases);
  }

  /** Takes a new stream: its lease, then its first snapshot. Null when another worker has it. */
  async claimNew(token: string, state: StreamState): Promise<Claim | null> {
    let leaseRevision: number;
    try {
      leaseRevision = await this.leases.create(token, this.workerId);
    } catch (err) {
      if (isWrongRevision(err)) return null;
      throw err;
    }
    const snapshotRevision = await this.snapshots.put(token, JSON.stringify(state));
    return { token, leaseRevision, snapshotRevision };
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
    let leaseRevision: number;
    try {
      leaseRevision = await this.leases.create(token, this.workerId);
    } catch (err) {
      if (isWrongRevision(err)) return null;
      throw err;
    }
    const snap = await this.snapshots.get(token);
    if (!snap || snap.operation !== 'PUT') {
      await this.leases.delete(token);
      return null;
    }
    return { claim: { token, leaseRevision, snapshotRevision: snap.revision }, state: snap.json<StreamState>() };
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
    try {
      claim.leaseRevision = await this.leases.update(claim.token, this.workerId, claim.leaseRevision);
      return;
    } catch (err) {
      if (!isWrongRevision(err)) throw err;
    }
    try {
      claim.leaseRevision = await this.leases.create(claim.token, this.workerId);
    } catch (err) {
      if (isWrongRevision(err)) throw new OwnershipLost(`lease of ${claim.token} is held by ${await this.ownerOf(claim.token).catch(() => 'another worker')}`);
      throw err;
    }
  }

  /** Gives the actor up and keeps its snapshot for whoever adopts it. */
  async handOver(claim: Claim, state: StreamState): Promise<void> {
    await this.persist(claim, state);
    await this.leases.delete(claim.token);
  }

  /** The recording ended: no snapshot, no lease. */
  async release(claim: Claim): Promise<void> {
    await this.snapshots.delete(claim.token);
    await this.leases.delete(claim.token);
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
