import { node } from '../../builtins.js';
import { signalEscapee } from './escapees.js';
import type { Escapee } from './group.js';
import { procIsOurs, startTimeOfLive, startTimeOfZombie } from './proc-stat.js';
import { processTable } from './process-table.js';
import { socketPeers, socketPeersNow } from './socket-peers.js';

/** A child's ends of the pipes we read (see {@link pipeEnds}), and when it started. */
export interface ChildPipes {
  readonly ends: readonly string[];
  /** Clock ticks since boot: what the child started (and so could have given its pipes by inheritance) started no earlier. */
  readonly startTime: number;
  /**
   * The parent's own ends of the pipes, when the child had exited before its ends could be read
   * (`ends` is then empty): the kernel pairs each with the child's (see ./socket-peers.ts), asked
   * only when a search comes.
   */
  readonly ownEnds?: readonly string[];
}

/**
 * The kernel's names (`socket:[1234]`, `pipe:[5678]`) of what `pid` has open at `fds`: read for a
 * child right after its spawn, its stdout and stderr, while they are still the ends of the pipes
 * we read. Once the child is gone, nothing else says who holds them: a process that left its
 * group (a PostgreSQL backend leads a session of its own) and whose parent died before any stop
 * began (a postmaster SIGKILLed from outside, by the OOM killer or a `kill -9`) is reparented to
 * init, and /proc ties it to the child only by the pipe it still holds. An fd not open, or not a
 * pipe or socket (/dev/null), gives nothing; so does a /proc of another pid namespace (see procIsOurs),
 * where the pid is someone else. A child already gone (a zombie: a command that forks a daemon and
 * exits within a millisecond, or a few on a loaded machine, where the parent is descheduled right
 * after the spawn: 14 of 20 such starts, under four busy loops on two cores) has no fd left to read,
 * and what it left holding its output was never looked for; so then `ownEnds`, the parent's ends of
 * its pipes, stand for its own (see {@link ChildPipes.ownEnds}), with its start time as the zombie
 * keeps it. Without them, such a child gives nothing.
 *
 * A gated child (see ../spawn/gate.ts) may be caught writing its registration, `printf ... >&3
 * 2>/dev/null`: for that builtin dash points fd 1 at the watchdog's pipe (fd 3) and fd 2 at
 * /dev/null, its own stdout and stderr kept meanwhile at fds 10 and up. Read then, fd 1 named the
 * watchdog's pipe and fd 2 nothing, and what held the real output was never found (left running
 * on a loaded machine, where the spawn's return and this read are far enough apart). So
 * `gatePipe`, the watchdog's pipe as the parent holds it (see {@link ownEndOf}), is never taken
 * for an end, and when a wanted fd gives none, the copies dash keeps are read instead. It is
 * named by the parent, not read at the child's fd 3: by the time of this read the command may
 * run, its fds 3 and 4 its own, and a command that keeps a copy of its stdout there (`exec
 * 3>&1`) gave no end at all. The verdict socket (fd 4) is not named: the gate points an fd of its
 * output at it only in the trap of a failed exec, a start that fails, whose ends are never
 * searched, and the copy dash keeps of it for the exec (at fd 10) is never read as of the moment
 * of the `printf` (see {@link endsAtOneMoment}).
 */
export function pipeEnds(pid: number, fds: readonly number[], gatePipe?: string, ownEnds?: () => readonly string[]): ChildPipes | undefined {
  if (!procIsOurs() || fds.length === 0) return undefined;
  // A child that exited already has no fd left to read (`true` is often gone by now).
  const startTime = startTimeOfLive(pid);
  if (startTime === undefined) return goneBeforeRead(pid, ownEnds);
  const ends = endsAtOneMoment(pid, fds, new Set(gatePipe === undefined ? [] : [gatePipe]));
  return ends.length === 0 ? undefined : { ends: [...new Set(ends)], startTime };
}

/** A child that exited before its ends were read: its pipes as the parent's ends name them, if it is still a zombie. */
function goneBeforeRead(pid: number, ownEnds: (() => readonly string[]) | undefined): ChildPipes | undefined {
  const startTime = ownEnds === undefined ? undefined : startTimeOfZombie(pid);
  const own = startTime === undefined ? [] : (ownEnds?.() ?? []);
  return startTime === undefined || own.length === 0 ? undefined : { ends: [], startTime, ownEnds: own };
}

/** How many times {@link endsAtOneMoment} reads the fds, while the shell moves on as it reads them. */
const READS = 3;

/**
 * `pid`'s ends at `fds`, and when one gives none, the copies the shell keeps (see {@link pipeEnds}).
 * The reads follow one another while the gate runs on: fd 1 read in its `printf`, fd 2 once that
 * was over, and the copies once it had gone on to `{ exec CMD; } 4>&-`, where dash keeps the
 * verdict socket at fd 10, gave that socket for the child's stdout, and its stdout's holders were
 * never looked for. So the fds are read again after the copies, which are taken only when the fds
 * name what they named before: the shell was still (or again) where it redirects them. Otherwise
 * all is read anew; the last time, what the fds themselves name is all there is.
 */
function endsAtOneMoment(pid: number, fds: readonly number[], gates: ReadonlySet<string>): string[] {
  let direct: string[] = [];
  for (let read = 0; read < READS; read += 1) {
    const named = fds.map((fd) => linkAt(pid, fd));
    direct = named.map(pipeOrSocket).filter((end): end is string => end !== undefined && !gates.has(end));
    if (direct.length === fds.length) return direct;
    const copies = savedByTheShell(pid, gates, fds);
    if (fds.every((fd, index) => linkAt(pid, fd) === named[index])) return [...direct, ...copies];
  }
  return direct;
}

/** Where dash keeps an fd it redirects for one command (its `savefd`: F_DUPFD from 10). */
const FIRST_SAVED_FD = 10;
/** The fds the gate's `printf` redirects, and so the only ones dash keeps copies of while it writes. */
const REDIRECTED_BY_THE_GATE = [1, 2];

/**
 * The kernel's name of the parent's own end of `stream` (the watchdog's pipe, which a gated child
 * is handed as is at its fd 3; a child's stdout or stderr, whose peer is the child's end);
 * undefined without /proc or a descriptor. Read once per stream.
 */
export function ownEndOf(stream: object): string | undefined {
  if (!ownEnds.has(stream)) {
    const fd = (stream as { _handle?: { fd?: unknown } })._handle?.fd;
    ownEnds.set(stream, typeof fd === 'number' && fd >= 0 && procIsOurs() ? pipeAt(process.pid, fd) : undefined);
  }
  return ownEnds.get(stream);
}

const ownEnds = new WeakMap<object, string | undefined>();

/** The pipe or socket `pid` has open at `fd`; undefined when not open (closed, or the child gone) or something else. */
function pipeAt(pid: number, fd: number | string): string | undefined {
  return pipeOrSocket(linkAt(pid, fd));
}

/** What `pid` has open at `fd`, as /proc names it; undefined when not open (closed, or the child gone). */
function linkAt(pid: number, fd: number | string): string | undefined {
  try {
    return node.fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function pipeOrSocket(link: string | undefined): string | undefined {
  return link !== undefined && (link.startsWith('socket:[') || link.startsWith('pipe:[')) ? link : undefined;
}

/**
 * The pipes and sockets a shell keeps at fds 10 and up while it redirects, but the gate's own.
 * Only close-on-exec ones: dash makes its copies so, and an fd inherited across the exec (one the
 * parent's own parent leaked, a make jobserver's pipe) cannot be, so every child shares it and it
 * must never be taken for this child's output. Nor is a copy of what the parent holds itself: dash
 * saves every fd it redirects, so with one stream not piped (`stderr: 'inherit'`, `stdout` at an
 * fd) its copy is the parent's own stderr or the caller's fd, shared with every child handed it
 * since, who would all be stopped as holders. The child's own ends are never the parent's: Node
 * makes its pipes socket pairs, and the parent holds the other end of each. So the parent's fds
 * are read only when one of the fds the gate redirects is not among `wanted` (not piped): they are
 * hundreds in a run of many children, and read at every spawn that caught the printf (a run of
 * 100 `seq` spent some 3% of its CPU there).
 */
function savedByTheShell(pid: number, gates: ReadonlySet<string>, wanted: readonly number[]): string[] {
  const copies = fdsOf(pid)
    .filter((fd) => Number(fd) >= FIRST_SAVED_FD && closeOnExec(pid, fd))
    .map((fd) => pipeAt(pid, fd))
    .filter((end): end is string => end !== undefined && !gates.has(end));
  if (copies.length === 0 || REDIRECTED_BY_THE_GATE.every((fd) => wanted.includes(fd))) return copies;
  const parents = new Set(fdsOf(process.pid).map((fd) => pipeAt(process.pid, fd)));
  return copies.filter((end) => !parents.has(end));
}

/** The fds `pid` has open; none when they cannot be read (gone). */
function fdsOf(pid: number): string[] {
  try {
    return node.fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
}

/** O_CLOEXEC in the octal `flags:` of /proc/PID/fdinfo/FD. */
const O_CLOEXEC = 0o2000000;

function closeOnExec(pid: number, fd: string): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(node.fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (Number.parseInt(flags, 8) & O_CLOEXEC) !== 0;
  } catch {
    return false;
  }
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
  const wanted = endsOf([await withEnds(pipes)]);
  if (wanted.ends.size === 0) return [];
  const holders: Escapee[] = [];
  // Taken whole before the first pause: the table is shared only within one turn of the loop.
  const table = [...processTable().values()];
  let sliceBegan = performance.now();
  for (const entry of table) {
    if (holds(entry, wanted)) holders.push({ pid: entry.pid, ppid: entry.ppid, startTime: entry.startTime });
    if (performance.now() - sliceBegan < SCAN_SLICE_MS) continue;
    await node.timersPromises.setImmediate();
    sliceBegan = performance.now();
  }
  return holders;
}

/**
 * `pipes` with the child's ends, asked of the kernel when only the parent's were known (see
 * {@link ChildPipes.ownEnds}); kept, for a parent that dies while the drain goes on
 * ({@link killUnsearchedHolders}, which asks at once for those not asked yet).
 */
async function withEnds(pipes: ChildPipes): Promise<ChildPipes> {
  if (pipes.ownEnds === undefined) return pipes;
  let ends = peersFound.get(pipes);
  if (ends === undefined) {
    ends = await socketPeers(pipes.ownEnds);
    peersFound.set(pipes, ends);
  }
  return { ends, startTime: pipes.startTime };
}

const peersFound = new WeakMap<ChildPipes, readonly string[]>();

/**
 * The pipes of children that have exited and whose drain is not over: whatever holds them may not
 * be found yet, or may have started something since its search. The search takes a while on a
 * busy host (it yields), and a parent that dies meanwhile (a second Ctrl-C, its exit) must not
 * leave them running: see {@link killUnsearchedHolders}.
 */
const unsearched = new Set<ChildPipes>();

/** Counts `pipes` among those of an exited child whose drain is not over, until the returned function is called. */
export function awaitingHolderSearch(pipes: ChildPipes | undefined): () => void {
  if (pipes === undefined) return () => undefined;
  unsearched.add(pipes);
  return () => unsearched.delete(pipes);
}

/**
 * For a parent about to die: SIGKILL, now, to whatever holds the pipes of an exited child whose
 * drain is not over (see {@link awaitingHolderSearch}), in one synchronous pass for all of them:
 * no later turn of the loop comes to finish a search.
 */
export function killUnsearchedHolders(): void {
  if (unsearched.size === 0) return;
  // A child gone before its ends were read, whose search has not had ss's answer: asked now.
  const unpaired = [...unsearched].filter((pipes) => pipes.ownEnds !== undefined && !peersFound.has(pipes));
  const peers = socketPeersNow(unpaired.map((pipes) => pipes.ownEnds ?? []));
  unpaired.forEach((pipes, index) => peersFound.set(pipes, peers[index] ?? []));
  const wanted = endsOf(unsearched);
  for (const entry of processTable().values()) {
    if (holds(entry, wanted)) signalEscapee({ pid: entry.pid, ppid: entry.ppid, startTime: entry.startTime }, 'SIGKILL');
  }
}

/** The pipe ends wanted, each with when its child started, and the earliest of those starts. */
interface WantedEnds {
  readonly ends: ReadonlyMap<string, number>;
  readonly since: number;
}

/** Each pipe end wanted, with when its child started: only a process started no earlier can hold it by inheritance. */
function endsOf(children: Iterable<ChildPipes>): WantedEnds {
  const ends = new Map<string, number>();
  let since = Number.POSITIVE_INFINITY;
  for (const child of children) {
    since = Math.min(since, child.startTime);
    for (const end of peersFound.get(child) ?? child.ends) ends.set(end, child.startTime);
  }
  return { ends, since };
}

/**
 * Whether `entry`, another process than this one, holds one of `wanted` that it may have inherited.
 * One started before every child wanted is passed over unread: the fds are the cost of the search,
 * and most of a busy host's processes (its databases, its desktop) are older than the child.
 */
function holds(entry: { readonly pid: number; readonly startTime: string }, wanted: WantedEnds): boolean {
  const startTime = Number(entry.startTime);
  if (entry.pid === process.pid || startTime < wanted.since) return false;
  return holdsAny(entry.pid, (end) => {
    const childStart = wanted.ends.get(end);
    return childStart !== undefined && startTime >= childStart;
  });
}

/** How long the search for holders reads /proc before it lets the event loop run. */
const SCAN_SLICE_MS = 5;

/** Whether `pid` has open any end `wanted` says yes to; false when its fds cannot be read (gone, or not ours to look at). */
function holdsAny(pid: number, wanted: (end: string) => boolean): boolean {
  let fds: string[];
  try {
    fds = node.fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return wanted(node.fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false; // closed meanwhile
    }
  });
}
