/**
 * Stops `members` in reverse dependency order: `stop(member)` begins only once `stop` has settled
 * for every member that depends on it (`dependentsOf`, restricted to `members`), and independent
 * branches stop at the same time. So a database gets its stop signal only after the web server
 * that uses it has exited, and can still answer the requests the server finishes on its way out.
 *
 * Generic over what is stopped, so the order is decided here once, for the end of a run and for a
 * restart of one process with its dependents alike. The dependency graph has no cycles (the config
 * refuses them), so the recursion ends. Every stop is awaited even when one rejects; the first
 * rejection is then rethrown.
 */
export async function stopInOrder<T>(members: readonly T[], dependentsOf: (member: T) => readonly T[], stop: (member: T) => Promise<void>): Promise<void> {
  const included = new Set(members);
  const stops = new Map<T, Promise<void>>();
  const stopOf = (member: T): Promise<void> => {
    let stopping = stops.get(member);
    if (stopping === undefined) {
      const before = dependentsOf(member).filter((dependent) => included.has(dependent));
      // A dependent whose stop failed has still settled: its dependency is stopped all the same.
      stopping = Promise.allSettled(before.map(stopOf)).then(() => stop(member));
      stops.set(member, stopping);
    }
    return stopping;
  };
  await settleAll(members.map(stopOf));
}

/** Waits for every promise; rejects with the first rejection only once all have settled. */
async function settleAll(promises: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
