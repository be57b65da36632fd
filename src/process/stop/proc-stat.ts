import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';

// What /proc says of one process (its parent, group, start time, whether it lives), read with one
// open and one read of its stat; nothing where /proc is not ours.

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
export function processState(pid: number): { readonly ppid: number; readonly pgrp: number; readonly startTime: string; readonly live: boolean } | 'gone' | undefined {
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
