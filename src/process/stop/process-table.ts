import { node } from '../../builtins.js';
import { procIsOurs, processState } from './proc-stat.js';

// Every live process as one table (its parent, group, start time), what a stop searches for the
// descendants that left a child's group: read once and shared while no process has been created
// since, so that a flood of stops reads /proc once (see processTable).

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
