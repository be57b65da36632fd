import { groupExists, isLiveMember, liveMembersByGroup } from './group.js';

/**
 * One poller for every stopping group. The exits of grandchildren make no event in the parent, so
 * a stop that waits for its group to empty has to look; looking means reading /proc (see
 * ./group.ts for the zombies that `kill(-pgid, 0)` cannot tell from the living), and each
 * supervisor reading all of /proc every 10 ms for its own group saturated the event loop when
 * hundreds stopped at once: 300 groups with members ignoring SIGTERM, grace 2 s, had their SIGKILLs
 * land between 2.0 and 6.3 s, the whole stop taking 7.6 s at 100 % CPU.
 *
 * So each tick costs, per group: one `kill(-pgid, 0)` (no member at all: empty), else one stat
 * read of a member found alive before (still there: not empty). Only groups whose known members
 * all went are looked up in /proc, all of them in the same single pass. Ticks come every
 * {@link POLL_MS}, or less often when a tick itself takes long (never more than a third of the
 * time goes to looking), and only while some group is waited on. The deadlines of the stops do
 * not depend on it: each has its own timer.
 */
const POLL_MS = 10;

interface Group {
  readonly settlers: Set<() => void>;
  /** Members found alive in the last pass over /proc: while any one of them lives, the group is not empty. */
  members: readonly number[];
}

const groups = new Map<number, Group>();
let timer: NodeJS.Timeout | undefined;

/** A wait for a group to have no live member; `cancel` ends it (and, with the last one, the polling). */
export interface GroupWait {
  readonly empty: Promise<void>;
  readonly cancel: () => void;
}

/** Resolves `empty` once process group `pgid` has no live (non-zombie) member. */
export function whenGroupEmpty(pgid: number): GroupWait {
  // A group with no member at all (the usual end: the leader was its only member) is empty now,
  // not at the next tick: a stop in a chain of dependents waited a tick for each, 10 ms a link.
  if (!groupExists(pgid)) return { empty: Promise.resolve(), cancel: noop };
  let settle = noop;
  const empty = new Promise<void>((resolve) => (settle = resolve));
  let group = groups.get(pgid);
  if (group === undefined) groups.set(pgid, (group = { settlers: new Set(), members: [] }));
  group.settlers.add(settle);
  timer ??= setTimeout(tick, POLL_MS);
  return { empty, cancel: () => forget(pgid, settle) };
}

function tick(): void {
  const started = performance.now();
  const unknown = new Set<number>();
  for (const [pgid, group] of groups) {
    if (!groupExists(pgid)) settleGroup(pgid);
    else if (process.platform !== 'linux') continue; // no /proc: the kill probe is all there is
    else if (!group.members.some((pid) => isLiveMember(pid, pgid))) unknown.add(pgid);
  }
  if (unknown.size > 0) {
    const found = liveMembersByGroup(unknown); // undefined: /proc could not be read, so every group counts as alive
    for (const pgid of unknown) {
      const members = found === undefined ? [] : (found.get(pgid) ?? []);
      const group = groups.get(pgid);
      if (found !== undefined && members.length === 0) settleGroup(pgid);
      else if (group !== undefined) group.members = members;
    }
  }
  timer = groups.size === 0 ? undefined : setTimeout(tick, Math.max(POLL_MS, 2 * (performance.now() - started)));
}

function settleGroup(pgid: number): void {
  for (const settle of groups.get(pgid)?.settlers ?? []) settle();
  groups.delete(pgid);
}

function forget(pgid: number, settle: () => void): void {
  const group = groups.get(pgid);
  if (group === undefined || !group.settlers.delete(settle)) return;
  if (group.settlers.size === 0) groups.delete(pgid);
  if (groups.size === 0 && timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
}

function noop(): void {
  // replaced by the promise's resolve before use
}
