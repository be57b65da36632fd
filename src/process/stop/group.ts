import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

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

export interface TableEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly startTime: string;
}

export type ProcessTable = Map<number, TableEntry> & { readonly childrenOf: Map<number, TableEntry[]> };

let sharedTable: ProcessTable | undefined;
/** {@link lastPidCreated} as {@link sharedTable} was read. */
let sharedTableLastPid: string | undefined;

/**
 * The live processes, read once per turn of the event loop (until {@link forgetProcessTable}) while
 * no process has been created since; none where /proc is not ours. A turn runs from the read to
 * the loop's next check phase, which may be the next iteration's: a stop that escalates there reads
 * the table for its kill, and a child spawned in the phases after it and stopped before that check
 * phase (one a restart or a test starts, stopped once up) would be looked up in a table that
 * predates it. Within a turn, a process forked since the read (a running child's `setsid worker &`
 * just before its stop begins) would be missing too, and the stop would end with it running: so the
 * table is brought up to date once the kernel's last pid ({@link lastPidCreated}) has moved: the
 * processes created since are added ({@link addCreatedSince}), not the whole of /proc read again.
 * Read whole, a table in a flood of stops (200 children cancelled at once) on a machine where
 * anything forks was read again for nearly every stop: 124 to 200 passes over /proc instead of 1,
 * and the cancel took 2.8 to 3.6 s instead of 0.6.
 */
export function processTable(): ProcessTable {
  // Before the read: a process forked during it makes the next ask look again.
  const lastPid = lastPidCreated();
  if (sharedTable !== undefined && lastPid === sharedTableLastPid) return sharedTable;
  if (sharedTable !== undefined && addCreatedSince(sharedTable, sharedTableLastPid, lastPid)) {
    sharedTableLastPid = lastPid;
    return sharedTable;
  }
  const table: ProcessTable = Object.assign(new Map<number, TableEntry>(), { childrenOf: new Map<number, TableEntry[]>() });
  for (const pid of listedPids()) {
    const state = processState(pid);
    // One that cannot be read is passed over: the group's own SIGKILL does not depend on this.
    if (state === undefined || state === 'gone' || !state.live) continue;
    addRow(table, { pid, ppid: state.ppid, pgrp: state.pgrp, startTime: state.startTime });
  }
  const clearingSet = sharedTable !== undefined; // read again within the turn
  sharedTable = table;
  sharedTableLastPid = lastPid;
  if (clearingSet) return table;
  // Not unref'd: the loop must reach its check phase before an I/O callback may read the table
  // again, however long the poll phase would otherwise wait.
  setImmediate(() => (sharedTable = undefined));
  return table;
}

/**
 * Adds to `table`, read when the kernel's last pid was `since`, the processes created until `now`:
 * pids are given out in turn, so they are the listed ones in (since, now]. One listing of /proc and
 * a stat of each new one. False when that cannot tell (the pids wrapped round, more new ones than
 * the table has rows, a pid in the range held by another process than the table's): read it whole.
 */
function addCreatedSince(table: ProcessTable, since: string | undefined, now: string | undefined): boolean {
  const from = Number(since);
  const to = Number(now);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to <= from || to - from > table.size) return false;
  for (const pid of listedPids()) {
    if (pid <= from || pid > to) continue;
    const state = processState(pid);
    if (state === undefined || state === 'gone' || !state.live) continue;
    const known = table.get(pid);
    if (known !== undefined) {
      if (known.startTime === state.startTime) continue; // forked while the table was read, and in it
      return false;
    }
    addRow(table, { pid, ppid: state.ppid, pgrp: state.pgrp, startTime: state.startTime });
  }
  return true;
}

function addRow(table: ProcessTable, row: TableEntry): void {
  table.set(row.pid, row);
  const siblings = table.childrenOf.get(row.ppid);
  if (siblings === undefined) table.childrenOf.set(row.ppid, [row]);
  else siblings.push(row);
}

/** The processes /proc lists (not their threads); none where /proc is not ours. */
function listedPids(): number[] {
  let entries: string[] = [];
  try {
    if (procIsOurs()) entries = node.fs.readdirSync('/proc');
  } catch {
    // no /proc: nothing is known of anyone's parent
  }
  const pids: number[] = [];
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first >= 48 && first <= 57) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Drops the table read in this turn: called once a child of ours has been forked, which the table
 * cannot know of (said here as well as by the last pid, which some sandboxes do not move). Without this, what the child started apart from its group (a `setsid worker &`)
 * was missed by a stop begun before the turn ended: the stop ended at once, the worker running on.
 */
export function forgetProcessTable(): void {
  sharedTable = undefined;
}

let lastPidBuffer: Buffer | undefined;

/**
 * The pid the kernel last gave out in our pid namespace, as text: it moves with every process (and
 * thread) created, so an unchanged one says that no process exists that a table read at the same
 * value lacks. Read from /proc/sys/kernel/ns_last_pid, the kernel's own counter; /proc/loadavg's
 * last field says the same, but is what container tools rewrite (lxcfs with its load average on,
 * kernels that show a container its own load): there it lags or stands still, and a table read
 * before a fork would be taken for one read after it. The load average is asked only where the
 * counter cannot be read (a kernel built without checkpoint/restore). Undefined where neither can
 * be; one that never moves leaves the table shared for the turn, as before it was asked.
 */
function lastPidCreated(): string | undefined {
  const counter = readSmallFile('/proc/sys/kernel/ns_last_pid');
  if (counter !== undefined) return counter.trim();
  return readSmallFile('/proc/loadavg')?.trimEnd().split(' ').at(-1);
}

/** The first 128 bytes of `path`, read into a reused buffer; undefined where it cannot be read. */
function readSmallFile(path: string): string | undefined {
  lastPidBuffer ??= Buffer.alloc(128);
  try {
    const fd = node.fs.openSync(path, 'r');
    try {
      return lastPidBuffer.toString('latin1', 0, node.fs.readSync(fd, lastPidBuffer, 0, lastPidBuffer.length, 0));
    } finally {
      node.fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

let ownProc: boolean | undefined;

/**
 * Whether /proc numbers processes as we do. One of another pid namespace (unshare --pid without
 * --mount-proc, a sandbox that keeps the host's) shows other processes under our children's ids:
 * read as ours, a group with live members would look empty and its stop end before its grace, with
 * nothing SIGKILLed. Such a /proc is as good as none. Asked once: a process never changes namespace.
 */
export function procIsOurs(): boolean {
  if (ownProc !== undefined) return ownProc;
  try {
    ownProc = node.fs.readlinkSync('/proc/self') === String(process.pid);
  } catch {
    ownProc = false; // no /proc at all
  }
  return ownProc;
}

/**
 * When `pid` started, in clock ticks since boot (the 22nd field of its stat); undefined when it
 * cannot be read, and for a zombie: it has closed every fd it had (a leader whose threads live on
 * too: /proc shows none of their fds under its pid).
 */
export function startTimeOfLive(pid: number): number | undefined {
  const state = processState(pid);
  return state === undefined || state === 'gone' || !state.live || state.startTime === '' ? undefined : Number(state.startTime);
}

/** When `pid` started, if it has exited and is not reaped yet (a zombie); undefined otherwise. */
export function startTimeOfZombie(pid: number): number | undefined {
  const state = processState(pid);
  return state === undefined || state === 'gone' || state.live || state.startTime === '' ? undefined : Number(state.startTime);
}

/** `pid`'s parent; undefined once it is gone, or when /proc cannot tell. */
export function parentOf(pid: number): number | undefined {
  const state = processState(pid);
  return state === undefined || state === 'gone' ? undefined : state.ppid;
}

/** Where /proc/PID/stat is read into: it is a few hundred bytes, and a scan reads hundreds of them. */
let statBuffer: Buffer | undefined;

/** A process's parent, group, start time and whether it is live, 'gone' when it exited while we looked, undefined when it could not be read (or /proc is not ours). */
function processState(pid: number): { readonly ppid: number; readonly pgrp: number; readonly startTime: string; readonly live: boolean } | 'gone' | undefined {
  if (!procIsOurs()) return undefined;
  let stat: string;
  try {
    stat = readStat(pid);
  } catch (error) {
    const code = errnoCode(error);
    return code === 'ENOENT' || code === 'ESRCH' ? 'gone' : undefined;
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
  // The start time is the 22nd field, the 20th after comm.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 20);
  const state = fields[0];
  return { ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: fields[19] ?? '', live: state !== 'Z' && state !== 'X' };
}

/** open, one read into a reused buffer, close: half the system calls and none of the allocations of readFileSync. */
function readStat(pid: number): string {
  statBuffer ??= Buffer.alloc(1024);
  const fd = node.fs.openSync(`/proc/${pid}/stat`, 'r');
  try {
    // The fields read (state, ppid, pgrp, the start time) come soon after comm, well within the first read.
    return statBuffer.toString('latin1', 0, node.fs.readSync(fd, statBuffer, 0, statBuffer.length, 0));
  } finally {
    node.fs.closeSync(fd);
  }
}
