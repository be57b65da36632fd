import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import { procIsOurs, processState } from './proc-stat.js';
import { processTable, type TableEntry } from './process-table.js';

/**
 * Whether process group `pgid` still has a member that is not a zombie.
 *
 * `kill(-pgid, 0)` alone is not enough: an orphaned grandchild is reparented to pid 1, and where
 * pid 1 does not reap (some container and micro-VM inits), a member we already killed stays a
 * zombie forever and would look alive, turning every stop into a full grace period. On Linux the
 * members are confirmed through /proc; elsewhere the kill probe is the best there is.
 *
 * This is the one-off question, answered at once; {@link groupHasLiveMembersSoon} answers it for
 * every group asked in one turn with one look at /proc, and a stop that waits for its group to
 * empty asks the shared poller (./group-poller.ts), which does the same for every stopping group.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  if (!groupExists(pgid)) return false;
  if (process.platform !== 'linux') return true;
  const members = liveMembersByGroup(new Set([pgid]));
  return members === undefined || members.has(pgid);
}

/**
 * {@link groupHasLiveMembers}, for a caller that can wait for the end of this turn of the event
 * loop: every group asked in the same turn is answered by one pass over /proc. Why. Each child's
 * end asks whether its group still has members, and when hundreds end together (a Ctrl-C whose
 * SIGKILLs leave members a moment as zombies, a flood of children exiting) each asking its own
 * pass read all of /proc once per group: 1000 groups spent some 3 s in /proc after their SIGKILL.
 * A group with no member at all is answered at once, without /proc (the common end).
 */
export function groupHasLiveMembersSoon(pgid: number): Promise<boolean> {
  if (!groupExists(pgid)) return Promise.resolve(false);
  if (process.platform !== 'linux') return Promise.resolve(true);
  return new Promise((resolve) => {
    if (asked.size === 0) setImmediate(answerAsked);
    const answers = asked.get(pgid);
    if (answers === undefined) asked.set(pgid, [resolve]);
    else answers.push(resolve);
  });
}

/** The groups asked of in this turn (see {@link groupHasLiveMembersSoon}), with who waits for each answer. */
const asked = new Map<number, ((alive: boolean) => void)[]>();

function answerAsked(): void {
  const groups = new Map(asked);
  asked.clear();
  // Asked again now (the members may have gone meanwhile): an empty group needs no look at /proc.
  const existing = new Set([...groups.keys()].filter(groupExists));
  const members = existing.size === 0 ? new Map<number, number[]>() : liveMembersByGroup(existing);
  for (const [pgid, answers] of groups) {
    const alive = existing.has(pgid) && (members === undefined || members.has(pgid));
    for (const answer of answers) answer(alive);
  }
}

/** `kill(-pgid, 0)`: whether the group has any member at all, zombies included. */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // ESRCH: nobody left. EPERM: members exist that we may not signal (they changed uid), so
    // there is nothing we could stop anyway.
    const code = errnoCode(error);
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
}

/**
 * Whether the group has live members and the system refuses this process every one of them
 * (EPERM): they now run as another user, so nothing can stop them from here. Such a group counts
 * as gone for the waits above (see {@link groupExists}); this is how a stop tells it from an empty
 * one. A zombie keeps its owner's uid, so the kill probe alone would take another user's finished
 * process, waiting for a pid 1 that may never reap it, for one left running: on Linux a live member
 * is confirmed through /proc.
 */
export function groupRefusesSignals(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    if (errnoCode(error) !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  const members = liveMembersByGroup(new Set([pgid]));
  return members === undefined || members.has(pgid);
}

/**
 * One pass over /proc: the live (non-zombie) members of each of `pgids`, by group; a group with
 * none is absent. Undefined when /proc cannot be read, or a process could not be looked at (EMFILE
 * and the like): it may be a live member, and saying "alive" costs a grace period at worst, while
 * saying "gone" could leave a leftover running.
 */
export function liveMembersByGroup(pgids: ReadonlySet<number>): Map<number, number[]> | undefined {
  if (!procIsOurs()) return undefined; // no /proc of ours to look at: trust the kill probe
  let entries: string[];
  try {
    entries = node.fs.readdirSync('/proc');
  } catch {
    return undefined; // no /proc to look at: trust the kill probe
  }
  const found = new Map<number, number[]>();
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // only numeric entries are processes
    const state = processState(Number(entry));
    if (state === undefined) return undefined;
    if (state === 'gone' || !pgids.has(state.pgrp) || !state.live) continue;
    const members = found.get(state.pgrp);
    if (members === undefined) found.set(state.pgrp, [Number(entry)]);
    else members.push(Number(entry));
  }
  return found;
}

/**
 * Whether `pid` is still a live member of `pgid`: one read of its stat, the cheap question for a
 * member already known. A pid that exited (or was reused by another group) is not.
 */
export function isLiveMember(pid: number, pgid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'gone' && state.pgrp === pgid && state.live;
}

/**
 * Whether `pid`, a child of ours whose exit the event loop has not told yet, has in fact exited:
 * a zombie until the loop reaps it, and no process at all once it has, its exit callback still to
 * run. libuv reaps every exited child in one pass, then runs their callbacks one by one, with our
 * promise reactions in between: the first one's failure cancels the nursery while its sibling is
 * reaped and not yet told. A zombie is told by /proc (false where /proc cannot tell); a reaped one
 * by `kill(pid, 0)`, not by a missing /proc entry, which is also how hidepid=2 hides a live child
 * that became another user (a pid is reused only once the pid space has wrapped round).
 */
export function exitedUnseen(pid: number): boolean {
  if (!processExists(pid)) return true;
  const state = processState(pid);
  return state !== undefined && state !== 'gone' && !state.live;
}

/**
 * Whether `proc`, a child of ours, has exited: its exit told (its `returncode` set), or
 * not yet told ({@link exitedUnseen}). The one question every "did it exit before this?" asks.
 */
export function hasExited(proc: { readonly pid: number; readonly returncode: number | null }): boolean {
  return proc.returncode !== null || exitedUnseen(proc.pid);
}

/** `kill(pid, 0)`: whether any process has `pid`, a zombie or one we may not signal included. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

/**
 * A process that left a child's group, known by its pid and its start time (in clock ticks since
 * boot, as /proc gives it), so that a pid reused once it has gone is never taken for it; with its
 * parent when it was found (a member of the group, or another that left it).
 */
export interface Escapee {
  readonly pid: number;
  readonly ppid: number;
  readonly startTime: string;
}

/**
 * The live processes that descend from live members of group `pgid` but are in another group:
 * they left it (setsid, setpgid; every PostgreSQL backend leads a session of its own), so a signal
 * to the group misses them, and once their parent dies nothing ties them to it any more. Asked
 * while the members live: as a stop begins, and at its SIGKILL (see ./terminate.ts). One pass over
 * /proc, shared by every group asked in the same turn of the event loop (a flood of stops begins
 * and escalates together); [] where /proc cannot be read. Parents come before their children.
 */
export function escapedDescendants(pgid: number): Escapee[] {
  const table = processTable();
  const escaped: Escapee[] = [];
  const queue: number[] = [];
  for (const member of table.values()) {
    if (member.pgrp !== pgid) continue;
    // A member that left the group since the read without forking (a background job that ran
    // setsid(1), which calls setsid() itself when it leads no group; a daemon's setsid() after its
    // fork) moved no pid: the table still counts it a member, and the group's signal misses it. It
    // is an escapee itself, whoever its parent is now: read again, a daemon's first child, its
    // parent gone, lives under pid 1 and would be nobody's descendant. One stat per member.
    const left = leftGroup(member, pgid);
    if (left !== undefined) escaped.push(left);
    queue.push(member.pid);
  }
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of table.childrenOf.get(next) ?? []) {
      if (child.pgrp === pgid) continue; // a member: the group's signal reaches it, and it is searched from itself
      escaped.push({ pid: child.pid, ppid: child.ppid, startTime: child.startTime });
      queue.push(child.pid);
    }
  }
  return escaped;
}

/** `member`, a live member of `pgid` when the table was read, as an escapee if it lives in another group now. */
function leftGroup(member: TableEntry, pgid: number): Escapee | undefined {
  const state = processState(member.pid);
  if (state === undefined || state === 'gone' || !state.live || state.startTime !== member.startTime || state.pgrp === pgid) return undefined;
  return { pid: member.pid, ppid: state.ppid, startTime: member.startTime };
}

/** Whether `escapee` still runs: its pid is live and started when it did (not a pid reused since). */
export function escapeeRunning(escapee: Escapee): boolean {
  const state = processState(escapee.pid);
  return state !== undefined && state !== 'gone' && state.live && state.startTime === escapee.startTime;
}

/**
 * Whether `escapee` may still run: {@link escapeeRunning}, or its stat could not be read (EMFILE and
 * the like). What waits for it to be gone asks this: taking one unread for gone would end the wait
 * with it running, while it is signalled only once it is known to be itself.
 */
export function escapeeMayRun(escapee: Escapee): boolean {
  const state = processState(escapee.pid);
  return state === undefined || (state !== 'gone' && state.live && state.startTime === escapee.startTime);
}
