/**
 * A compare-and-set on a KV entry lost: the entry changed (or was created) since the
 * revision the writer read. Told apart from broker trouble, which is no conflict.
 */
export function isWrongRevision(err: unknown): boolean {
  return /wrong last sequence|key exists|10071/i.test(String((err as Error)?.message ?? err));
}
