import { node } from '../../builtins.js';
import { procIsOurs, processTable, startTimeOf, type Escapee } from './group.js';

/** A child's ends of the pipes we read (see {@link pipeEnds}), and when it started. */
export interface ChildPipes {
  readonly ends: readonly string[];
  /** Clock ticks since boot: what the child started (and so could have given its pipes by inheritance) started no earlier. */
  readonly startTime: number;
}

/**
 * The kernel's names (`socket:[1234]`, `pipe:[5678]`) of what `pid` has open at `fds`: read for a
 * child right after its spawn, its stdout and stderr, while they are still the ends of the pipes
 * we read. Once the child is gone, nothing else says who holds them: a process that left its
 * group (a PostgreSQL backend leads a session of its own) and whose parent died before any stop
 * began (a postmaster SIGKILLed from outside, by the OOM killer or a `kill -9`) is reparented to
 * init, and /proc ties it to the child only by the pipe it still holds. An fd not open, or not a
 * pipe or socket (/dev/null), gives nothing; so does a child already gone, or a /proc of another
 * pid namespace (see procIsOurs), where the pid is someone else.
 */
export function pipeEnds(pid: number, fds: readonly number[]): ChildPipes | undefined {
  if (!procIsOurs() || fds.length === 0) return undefined;
  const startTime = startTimeOf(pid);
  if (startTime === undefined) return undefined;
  const ends: string[] = [];
  for (const fd of fds) {
    try {
      const end = node.fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (end.startsWith('socket:[') || end.startsWith('pipe:[')) ends.push(end);
    } catch {
      // not open (closed already, or the child is gone): nothing of it to look for later
    }
  }
  return ends.length === 0 ? undefined : { ends, startTime };
}

/**
 * The live processes, other than this one, that hold any of the child's pipe ends (see
 * {@link pipeEnds}) open and started no earlier than the child: one pass over every fd of every
 * process, asked only when a pipe is still held after the child's exit, its drain grace and the
 * stop of its group. One that was running before the child did not inherit its pipe but was handed
 * it (an ssh ControlMaster takes its clients' stdio, systemd-run --pipe gives it to PID 1, where
 * the stop signal SIGINT means a reboot): not ours to stop. A process whose fds cannot be read
 * (another user's, under hidepid) is passed over: it could not be signalled either.
 *
 * The pass reads a link per fd (some 3 µs each; a busy host has tens of thousands), so it yields
 * to the event loop every {@link SCAN_SLICE_MS}: the other children's output and probes are not
 * held up by it (300 processes of 50 fds each held the loop for 50 to 300 ms in one piece).
 */
export async function pipeHolders(pipes: ChildPipes | undefined): Promise<Escapee[]> {
  if (pipes === undefined) return [];
  const wanted = new Set(pipes.ends);
  const holders: Escapee[] = [];
  // Taken whole before the first pause: the table is shared only within one turn of the loop.
  const table = [...processTable().values()];
  let sliceBegan = performance.now();
  for (const entry of table) {
    if (entry.pid === process.pid || Number(entry.startTime) < pipes.startTime) continue;
    if (holdsAny(entry.pid, wanted)) holders.push({ pid: entry.pid, ppid: entry.ppid, startTime: entry.startTime });
    if (performance.now() - sliceBegan < SCAN_SLICE_MS) continue;
    await node.timersPromises.setImmediate();
    sliceBegan = performance.now();
  }
  return holders;
}

/** How long the search for holders reads /proc before it lets the event loop run. */
const SCAN_SLICE_MS = 5;

/** Whether `pid` has any of `wanted` open; false when its fds cannot be read (gone, or not ours to look at). */
function holdsAny(pid: number, wanted: ReadonlySet<string>): boolean {
  let fds: string[];
  try {
    fds = node.fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return wanted.has(node.fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false; // closed meanwhile
    }
  });
}
