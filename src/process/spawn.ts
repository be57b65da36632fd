import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { node } from '../builtins.js';
import type { ResolvedRunOptions } from './options.js';
import { readPipesInPlace } from './output/pipe-reads.js';
import { Process } from './process.js';
import { closedCwd, closedStdioFd, diagnose, execModeChecked, execProblem, forgetStartable, namingBusyWriters, spawnErrno } from './spawn/diagnose.js';
import { SpawnError } from './errors.js';
import { fdShortage } from './spawn/fd-headroom.js';
import { userMayEnterCwd } from './spawn/cwd-access.js';
import { crossesUsers, inheritableFds, withLeakedFdsBlanked, type StdioEntry } from './spawn/inherited-fds.js';
import { idSwitch, switchedSpawn, type IdSwitch } from './spawn/groups.js';
import { warnOfUnpassedBytes } from './spawn/given-environment.js';
import { commandArgv } from './spawn/exec-args.js';
import { CWD_CLOSED_STATUS, UNREGISTERED, execStatusCode, gateCommand, gateStdio, gateVerdict, givenIds, type GateStdio, type GatedSpawn } from './spawn/gate.js';
import { registrationAround, registrationPipe, watchOverChild, watchdogEnabled } from './stop/watchdog.js';
import { ownEndOf, pipeEnds, type ChildPipes } from './stop/pipe-holders.js';
import { forgetProcessTable } from './stop/process-table.js';
import { spawnDone, spawnTurn } from './spawn/turns.js';
import { errnoCode } from '../errno.js';

/** A spawned child: the public handle, plus the raw pieces only subvisor itself touches. */
export interface SpawnedChild {
  readonly proc: Process;
  readonly child: ChildProcess;
  /** The kernel's names of the child's ends of the pipes we read, and its start time, read as it spawned (see ./stop/pipe-holders.ts). */
  readonly pipeEnds: ChildPipes | undefined;
}

/** What spawning reads: the resolved run options (their `stopSignal` is what the watchdog sends first if the parent dies). */
export type SpawnOptions = ResolvedRunOptions;

/**
 * Starts the child and resolves once its command runs; rejects with a {@link SpawnError} naming
 * the command and the cause when it cannot start. Node reports most spawn failures as a later
 * 'error' event (and a few as a synchronous throw); both become this one rejection, diagnosed.
 *
 * With `cancelled` aborted by the time it would spawn, it spawns nothing and rejects with the
 * signal's reason.
 *
 * The child is registered with the parent's watchdog before its command may run (see
 * ./spawn/gate.ts); its supervisor then holds the registration of its group for as long as the
 * group lives (`ownUntilExit`).
 */
export async function spawnProcess(options: SpawnOptions, cancelled?: AbortSignal): Promise<SpawnedChild> {
  try {
    return await startProcess(options, cancelled);
  } catch (error) {
    throw error instanceof SpawnError ? await namingBusyWriters(error, options, cancelled) : error;
  }
}

/** {@link spawnProcess}, its failures diagnosed but a busy program's writers not yet looked for. */
async function startProcess(options: SpawnOptions, cancelled: AbortSignal | undefined): Promise<SpawnedChild> {
  const badFd = closedStdioFd(options);
  if (badFd !== undefined) throw badFd;
  // The watchdog first (started if need be): a gated child registers itself on its pipe.
  const watchdogPipe = watchdogEnabled() ? await registrationPipe() : undefined;
  // A cancel that came while the watchdog was awaited: spawning now would run a command whose
  // caller is told it was cancelled (and would believe it never ran).
  if (cancelled?.aborted === true) throw cancelled.reason;
  const { child, gated, gate, spawnedAt } = await spawnInItsTurn(options, watchdogPipe, cancelled);
  if (!gated || gate?.passesBytes !== true) warnOfUnpassedBytes(options);
  readPipesInPlace(child);
  // At once, while the child (the gate, or the command just exec'd) surely still holds them: a
  // command that exits in a few ms would be gone by the time its start resolves.
  const gatePipe = gated && watchdogPipe !== undefined ? ownEndOf(watchdogPipe.stream) : undefined;
  const ownEnds = (): string[] => [child.stdout, child.stderr].flatMap((stream) => (stream ? (ownEndOf(stream) ?? []) : []));
  const ends = child.pid === undefined ? undefined : pipeEnds(child.pid, [...(child.stdout ? [1] : []), ...(child.stderr ? [2] : [])], gatePipe, ownEnds);
  // Every stream gets an 'error' listener at once: a stray EPIPE or ECONNRESET must never become
  // an unhandled 'error' that kills the parent. Reading errors also end the stream, so the drain
  // still sees its end.
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.on('error', ignoreStreamError);
  const spawned = node.events.once(child, 'spawn'); // rejects when it did not spawn
  // A gated child wrote its registration itself, where it had a watchdog to write it to; it is recorded here, for the release.
  const unwatch = watch(child, options, gated && watchdogPipe !== undefined);
  let proc: Process;
  try {
    await spawned;
    // Listening for the exit from here on: a gated command may exit before its verdict arrives.
    proc = new Process(child, options.cmd, spawnedAt);
    const failedExec = gated ? await gateVerdict(child) : undefined;
    forgetStartable();
    if (failedExec !== undefined) {
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
      if (failedExec === CWD_CLOSED_STATUS) throw closedCwd(options);
      throw spawnErrno(execStatusCode(failedExec, execModeChecked(options)), options, `the exec failed with status ${failedExec}`);
    }
  } catch (error) {
    unwatch();
    throw diagnose(error, options);
  }
  // Whoever awaited this registers the child's group for as long as it lives (ownUntilExit) before
  // the end of this loop turn; from then on this hold only keeps a released group registered.
  setImmediate(unwatch).unref();
  // A child that failed to spawn never emits 'exit'; one that spawned may still emit 'error' for a
  // failed kill(), which is not fatal.
  child.on('error', ignoreStreamError);
  if (options.input !== undefined && child.stdin) writeInput(child, options.input);
  return { proc, child, pipeEnds: ends };
}

/** The watchdog's pipe, as `registrationPipe` gives it. */
type WatchdogPipe = { readonly stream: Writable; readonly pid: number };
/** A gate as the spawn uses it: its command and its stdio. */
type Gate = GatedSpawn & { readonly stdio: GateStdio };
/** A child spawned in its turn: whether behind `gate`, and when its spawn began (`performance.now()`). */
interface ChildInItsTurn {
  readonly child: ChildProcess;
  readonly gated: boolean;
  readonly gate: Gate | undefined;
  readonly spawnedAt: number;
}

/**
 * Waits for the spawn's turn of the event loop (see ./spawn/turns.ts), then spawns: behind the
 * gate or setpriv where one applies. Whatever ends the turn's spawn (spawned, failed, cancelled
 * while waiting, the program found missing), the next one waiting may go on in the same turn.
 */
async function spawnInItsTurn(options: SpawnOptions, watchdogPipe: WatchdogPipe | undefined, cancelled: AbortSignal | undefined): Promise<ChildInItsTurn> {
  try {
    const turn = spawnTurn(cancelled);
    if (turn !== undefined) {
      await turn;
      cancelled?.throwIfAborted();
    }
    const gate = gateFor(options, watchdogPipe);
    const ids = idSwitch(options);
    // Behind the gate or setpriv, a missing program is an exit status 127: looked for first.
    if (gate !== undefined || ids !== undefined) {
      const code = execProblem(options);
      if (code !== undefined) throw diagnose(spawnErrno(code, options, 'found before spawning'), options);
    }
    // Taken before the fork: the command runs from some moment inside spawn(), and a parent
    // descheduled once the fork returned (a loaded machine) would count short of what the command
    // ran (`sleep 0.7` said to have run 699 ms).
    const spawnedAt = performance.now();
    const started = startChild(options, gate, ids);
    forgetProcessTable();
    return { ...started, gate, spawnedAt };
  } finally {
    spawnDone();
  }
}

/**
 * The gate to spawn `options`' command behind, with its stdio, or undefined where none applies (see
 * ./spawn/gate.ts): one that registers the child with the watchdog on `watchdogPipe`; with no
 * watchdog, one only for a child given ids, for its verdict (see `UNREGISTERED`).
 */
function gateFor(options: SpawnOptions, watchdogPipe: WatchdogPipe | undefined): Gate | undefined {
  if (watchdogPipe === undefined && !givenIds(options)) return undefined;
  const registration = watchdogPipe === undefined ? UNREGISTERED : [...registrationAround(options), String(watchdogPipe.pid)] as const;
  const gate = gateCommand(options, registration);
  return gate === undefined ? undefined : { ...gate, stdio: gateStdio(watchdogPipe?.stream) };
}

/**
 * Spawns the command, behind the gate when there is one; `gated` says whether it went behind it.
 * The gate's shell and script take some 700 bytes more of exec's room than the command alone
 * (ARG_MAX, shared with the environment): a command whose arguments fit under a shell or
 * timeout(1) but not beside the gate runs without it, as where the gate does not apply (see
 * ./spawn/gate.ts). Node throws E2BIG at once, before anything ran.
 */
function startChild(options: SpawnOptions, gate: Gate | undefined, ids: IdSwitch | undefined): { child: ChildProcess; gated: boolean } {
  if (gate !== undefined) {
    try {
      return { child: start(options, gate, ids), gated: true };
    } catch (error) {
      if (errnoCode(error) !== 'E2BIG') throw diagnose(error, options);
    }
  }
  // Without the gate (none applies, as for argv0, or E2BIG beside it), Node enters the cwd before
  // it switches ids, and nothing asks whether the child's user may: a child of another user is
  // kept out of a cwd closed to it here, as the kernel says (ACLs included), or its mode bits.
  if (crossesUsers(options.uid, options.gid) && !userMayEnterCwd(options, ids)) throw closedCwd(options);
  try {
    return { child: start(options, undefined, ids), gated: false };
  } catch (error) {
    throw diagnose(error, options);
  }
}

/**
 * Spawns the command, behind the gate when there is one, and behind setpriv when `ids` says so
 * (see ./spawn/groups.ts): setpriv then switches the ids, and Node must not.
 */
function start(options: SpawnOptions, gate: Gate | undefined, ids: IdSwitch | undefined): ChildProcess {
  const exec = execOf(options, gate, ids);
  checkFds(exec.stdio, options);
  const leaked = crossesUsers(options.uid, options.gid) ? inheritableFds() : [];
  // Opened for the spawn alone: the child has its own copy (see withLeakedFdsBlanked).
  const nullFd = leaked.length === 0 ? undefined : node.fs.openSync('/dev/null', 'r+');
  try {
    return node.childProcess.spawn(exec.file, exec.args, {
      cwd: options.cwd,
      uid: ids === undefined ? options.uid : undefined,
      gid: ids === undefined ? options.gid : undefined,
      // detached on POSIX is setsid(): a new session with no controlling terminal, the child the
      // leader of its own process group, so one signal to the group reaches all it started.
      detached: options.newSession,
      windowsHide: true,
      stdio: nullFd === undefined ? exec.stdio : withLeakedFdsBlanked(exec.stdio, leaked, nullFd),
      env: exec.env,
      shell: exec.shell,
      argv0: exec.argv0,
    });
  } finally {
    if (nullFd !== undefined) node.fs.closeSync(nullFd);
  }
}

/** What {@link start} execs: the gate or the command, behind setpriv when `ids` is given. */
function execOf(options: SpawnOptions, gate: Gate | undefined, ids: IdSwitch | undefined): { file: string; args: readonly string[]; env: NodeJS.ProcessEnv | undefined; stdio: StdioEntry[]; shell?: SpawnOptions['shell']; argv0?: string } {
  const { cmd } = options;
  const stdio: StdioEntry[] = [options.stdin, options.stdout, options.stderr];
  if (gate !== undefined) {
    const gated: StdioEntry[] = [...stdio, ...gate.stdio];
    return ids === undefined ? { file: gate.file, args: gate.args, env: gate.env, stdio: gated } : { ...switchedSpawn(ids, gate.file, gate.args, gate.env, cmd, true), stdio: gated };
  }
  if (ids !== undefined) {
    // argv0 with groups is refused when the options are read: setpriv cannot set argv[0].
    const [program = '', ...rest] = commandArgv(options);
    return { ...switchedSpawn(ids, program, rest, options.env ?? process.env, cmd, false), stdio };
  }
  const file = typeof cmd === 'string' ? cmd : (cmd[0] as string); // validated non-empty
  const args = typeof cmd === 'string' ? [] : cmd.slice(1);
  return { file, args, env: options.env, stdio, shell: options.shell, argv0: options.argv0 };
}

/** Throws EMFILE (as a spawn would) when too few fds are free to spawn with `stdio` without leaking (see ./spawn/fd-headroom.ts). */
function checkFds(stdio: readonly unknown[], options: SpawnOptions): void {
  const code = fdShortage(stdio);
  if (code !== undefined) throw spawnErrno(code, options, 'too few free file descriptors for its pipes, found before spawning');
}

/**
 * Registers the child with the watchdog as soon as it has a pid (`written`: the child has written
 * its line itself, see ./spawn/gate.ts), and returns the hold that covers the spawn: released once
 * the supervisor holds the registration, or by the child's exit, whichever comes first.
 */
function watch(child: ChildProcess, options: SpawnOptions, written: boolean): () => void {
  if (child.pid === undefined) return noop; // it did not spawn: 'error' follows
  const unwatch = watchOverChild({ pid: child.pid, newSession: options.newSession, killGraceMs: options.killGraceMs, stopSignal: options.stopSignal }, written);
  child.once('exit', unwatch);
  return unwatch;
}

function writeInput(child: ChildProcess, input: Buffer): void {
  // EPIPE here means the child exited (or closed stdin) without reading everything: its choice,
  // and not an error of ours (trio and subprocess ignore BrokenPipeError on input the same way).
  child.stdin?.end(input);
}

function ignoreStreamError(): void {
  // Named so its purpose is visible: EPIPE / ECONNRESET on a child's pipes are part of a child's
  // normal life (it exited, it closed its end); the exit status says whether that was a failure.
}

function noop(): void {
  // nothing was registered
}
