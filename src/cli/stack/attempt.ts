import { collapseErrorGroup } from '../../core/errors.js';
import { isCancellationOf, linkSignals } from '../../core/scope.js';
import { openNursery, type Nursery } from '../../core/nursery.js';
import { settlesWithin } from '../../core/timer.js';
import { moveOnAfter } from '../../core/timeouts.js';
import { CompletedProcess } from '../../process/completed.js';
import { ExitedBeforeReadyError, OutputClosedBeforeReadyError, ReadyTimeoutError, SpawnError, withStderrNote } from '../../process/errors.js';
import { LIFECYCLE_LOG, lifecycleLog, type LifecycleLog } from '../../process/lifecycle-log.js';
import { processInternals, type Process } from '../../process/process.js';
import { hasExited } from '../../process/stop/group.js';
import { RELAY_BLOCKS, type BlockRelay } from '../../process/relay.js';
import { superviseRunProcess } from '../../process/supervise.js';
import { INHERIT_STDIN, OUTPUT_CLOSED_WAITS, type SuperviseOptions } from '../../process/supervise-options.js';
import { logPatternInWords, stopGraceMs, type LivenessProbe, type ProcessSpec, type ProcessUser } from '../config/spec.js';
import { REPLICA_VARIABLE } from '../config/replicas.js';
import { withChildrenColour } from '../children-colour.js';
import { neutraliseControlSequences, stripSgr } from '../../log/sanitize.js';
import type { Output } from '../output.js';
import { LivenessError, ProbeTimeoutError } from './failures.js';
import { LOADED_LOOP_LATENESS_MS, untilDead, untilPassesWithin, type OutsideProbe, type ProbeEnvironment, type ProbeResult, type ProbeWait } from './probes.js';
import { STILL_NOT_READY_FIRST_MS, sayWhileNotReady } from './still-not-ready.js';
import { spawnErrorAsWritten } from './spawn-words.js';
import { shownCommand } from './shown-command.js';

/** What one start of a process needs besides its spec. */
export interface AttemptPlan {
  readonly spec: ProcessSpec;
  readonly output: Pick<Output, 'lines'>;
  /** The stop-signal-to-SIGKILL grace when the spec gives none. */
  readonly defaultGraceMs: number;
  /** The parent's environment, between the env files and the process's own `env`. */
  readonly parentEnv: NodeJS.ProcessEnv;
  /** The `FORCE_COLOR` a child is told when none of its environment's layers says anything of colour. */
  readonly childrenColour?: string | undefined;
  /** When a process still waiting for its ready probe is first said to be (tests shorten it). Default: {@link STILL_NOT_READY_FIRST_MS}. */
  readonly stillNotReadyFirstMs?: number | undefined;
}

/** What the runner hears while an attempt runs. */
export interface AttemptHooks {
  /** The child has spawned (before it is ready), at `spawnedAt` (`performance.now()`). */
  readonly onSpawn: (proc: Process, spawnedAt: number) => void;
  /**
   * The child has exited, heard at once: what it left may still hold its pipes, and its end is
   * judged only once they are drained (up to the drain grace).
   */
  readonly onExitSeen: () => void;
  /** The child exited at `exitedAt`, the moment its duration ends; told once its pipes are drained. */
  readonly onExit: (exitedAt: number) => void;
  /** Its `ready` probe passed, `afterMs` after it spawned. Not called without a probe. */
  readonly onReady: (afterMs: number) => void;
  /** Its `ready` probe has not passed after `afterMs` of waiting: `last` is its last finished try (undefined before the first). */
  readonly onStillNotReady: (afterMs: number, last: ProbeResult | undefined) => void;
  /**
   * Its liveness probe gave up on it (it is stopped next): the failing streak began at `since`
   * (`performance.now()`), so it was healthy until then, not until its stop.
   */
  readonly onUnhealthy: (since: number) => void;
  /** It was still running `graceMs` after its stop signal: SIGKILL goes to its process group now. */
  readonly onKill: (graceMs: number) => void;
  /** The attempt stops the child itself, for `why` (`not ready within 500 ms`; `reason` for `--json`): its stop signal goes out now. */
  readonly onStopping: (why: string, reason: 'ready' | 'liveness') => void;
  /**
   * The library begins to stop the child, for whatever reason: its group gets the stop signal
   * now. Every stop passes here, also one the runner asked for when it saw no child to stop (its
   * spawn not yet announced, or its leader gone while the group lives on), and one the library
   * makes by itself for what a child that exited left running in its group.
   */
  readonly onStopBegun: (proc: Process) => void;
  /** What left the exited child's group and still holds its output past the drain graces gets its stop signal now: `pids`. */
  readonly onHoldersStopping: (pids: readonly number[]) => void;
  /** Those of them still running `graceMs` after their stop signal: SIGKILL goes to them now. */
  readonly onHoldersKilled: (pids: readonly number[], graceMs: number) => void;
}

/** How an attempt ended. */
export type AttemptEnd =
  /** It exited 0 on its own (`beforeReady`: before its `readyOptional` probe passed). */
  | { readonly kind: 'exited'; readonly completed: CompletedProcess; readonly beforeReady?: true }
  /** It failed: exited non-zero, could not start, was not ready in time, failed its liveness probe. */
  | { readonly kind: 'failed'; readonly error: unknown }
  /**
   * It was stopped, or its start cancelled, because the runner asked. `exitedFirst`: how its exit
   * with status 0 ends the attempt, when the child had exited when the call was cancelled (a
   * leftover held its pipes, or its last lines waited for the reader); the runner knows whether
   * that exit came before the stop, and so is the attempt's end.
   */
  | { readonly kind: 'stopped'; readonly exitedFirst?: Exclude<AttemptEnd, { kind: 'stopped' }> };

/** What the attempt decided on its own while the child ran, and how the child ended. */
interface Verdicts {
  completed?: CompletedProcess;
  /** Set when the ready probe passed (or at once, for a log pattern or no probe). */
  ready: boolean;
  /** The child's exit, once the library saw it (before its pipes drained). */
  exit?: { readonly proc: Process; readonly durationMs: number };
  /** Why we stopped the child ourselves, when we did. */
  stoppedFor?: { readonly kind: 'liveness'; readonly result: ProbeResult; readonly failures: number } | { readonly kind: 'ready-timeout'; readonly last: ProbeResult | undefined; readonly timeoutMs: number };
}

/**
 * One start of a process: spawns it under `nursery.start()` (handed up at spawn, or at its ready
 * line), relays its lines to the output, waits for its outside `ready` probe if it has one, then
 * watches its liveness. Resolves with how it ended; never rejects for the process's own failure.
 * `signal` cancels it: before the spawn nothing is spawned, after it the child is stopped.
 * `stopAsked` says the runner is stopping the child itself: the probes end there, since what they
 * would find out about a child on its way out changes nothing (and an exec probe is one more
 * process to start in the stop's grace).
 */
export async function runAttempt(plan: AttemptPlan, hooks: AttemptHooks, signal: AbortSignal, stopAsked: AbortSignal): Promise<AttemptEnd> {
  const verdicts: Verdicts = { ready: false };
  try {
    await collapseErrorGroup(() => openNursery((tn) => superviseAndWatch(tn, plan, hooks, verdicts, stopAsked), { signal }));
  } catch (error) {
    // A stop before readiness ends the supervising call without started(): start() then rejects
    // with a NotStartedError, which is our stop, not a failure.
    if (verdicts.completed?.stopped === true) return judge(plan, verdicts);
    if (signal.aborted && isCancellationOf(error, signal)) return stoppedAfter(plan, verdicts);
    return exitedBeforeOptionalReady(plan.spec, error) ?? { kind: 'failed', error: error instanceof SpawnError ? spawnErrorAsWritten(error, plan.spec, plan.spec.cwdParts) : error };
  }
  return judge(plan, verdicts);
}

async function superviseAndWatch(tn: Nursery, plan: AttemptPlan, hooks: AttemptHooks, verdicts: Verdicts, stopAsked: AbortSignal): Promise<void> {
  const { spec } = plan;
  // Readiness is timed from the spawn, as the exit's duration is: not from before it, nor from
  // when the start was known (see processInternals.spawnedAt).
  let spawnedAt = performance.now();
  const onSpawn = (spawned: Process): void => {
    spawnedAt = processInternals.spawnedAt(spawned);
    hooks.onSpawn(spawned, spawnedAt);
    void processInternals.exited(spawned).then(hooks.onExitSeen);
  };
  const proc = await tn.start<Process>(async (ctx) => {
    try {
      const onExit = (exited: Process, durationMs: number): void => {
        verdicts.exit = { proc: exited, durationMs };
        hooks.onExit(processInternals.spawnedAt(exited) + durationMs);
      };
      verdicts.completed = await superviseRunProcess(spec.cmd, superviseOptions(plan, hooks, { onSpawn, onExit }), ctx);
    } finally {
      // The child is gone: nothing is left to probe, so the probes still running are cancelled.
      tn.cancel();
    }
  });
  const probe = outsideProbe(spec);
  if (probe !== undefined && (await untilStopAsked(stopAsked, (signal) => waitForProbe(probe, plan, hooks, { proc, verdicts }, signal))) !== true) return;
  verdicts.ready = true;
  // A log pattern's ready line is said at its match (see runReport), before the lines read with it.
  if (probe !== undefined) hooks.onReady(performance.now() - spawnedAt);
  const liveness = spec.liveness;
  if (liveness !== undefined && liveness.kind !== 'log') {
    // Its start period runs from the spawn, as a ready probe's does: the wait for readiness counts.
    const upMs = performance.now() - spawnedAt;
    tn.startSoon(() => untilStopAsked(stopAsked, (signal) => watchLiveness(liveness, probeEnvironment(plan), upMs, { proc, hooks, verdicts }, signal)));
  }
}

/**
 * Runs `fn` in a scope of its own (its signal: the enclosing scope's, or the stop) until it
 * settles, or cuts it and resolves undefined once a stop is asked for.
 */
async function untilStopAsked<R>(stopAsked: AbortSignal, fn: (signal: AbortSignal) => Promise<R>): Promise<R | undefined> {
  try {
    return await moveOnAfter(Infinity, fn, { signal: stopAsked });
  } catch (error) {
    if (isCancellationOf(error, stopAsked)) return undefined;
    throw error;
  }
}

/**
 * Tries the ready probe until it passes (true), or until `readyTimeoutMs`: then the child is
 * stopped and the attempt fails with what the probe said last (false). A child that exits first
 * cancels the wait, and the probe process with it (see superviseAndWatch); so does `signal` (a
 * stop). Meanwhile a long wait is said, with the last try, at growing intervals.
 */
async function waitForProbe(probe: OutsideProbe, plan: AttemptPlan, hooks: AttemptHooks, watched: { proc: Process; verdicts: Verdicts }, signal: AbortSignal): Promise<boolean> {
  const { proc, verdicts } = watched;
  const timeoutMs = plan.spec.readyTimeoutMs ?? Infinity;
  let last: ProbeResult | undefined;
  // Ended with the wait, or at once by a stop: a stop ends the wait only once the try under way
  // is cut, and the child's exit only once its pipes are drained, when nothing is to be said.
  const waitOver = new AbortController();
  const quiet = linkSignals(waitOver.signal, signal);
  const firstMs = plan.stillNotReadyFirstMs ?? STILL_NOT_READY_FIRST_MS;
  const say = (afterMs: number): void => {
    if (!hasExited(proc)) hooks.onStillNotReady(afterMs, last);
  };
  const saying = sayWhileNotReady(firstMs, timeoutMs, say, quiet.signal ?? waitOver.signal);
  let wait: ProbeWait;
  try {
    wait = await untilPassesWithin(probe, probeEnvironment(plan), timeoutMs, undefined, (tried) => (last = tried));
  } finally {
    waitOver.abort();
    quiet.dispose();
    await saying;
  }
  if (wait.passed) return true;
  verdicts.stoppedFor = { kind: 'ready-timeout', last: wait.last, timeoutMs };
  hooks.onStopping(notReadyWithin(timeoutMs), 'ready');
  await proc.stop();
  return false;
}

/** Watches a ready process; after `failures` failed tries in a row, stops it: a liveness failure. */
async function watchLiveness(probe: LivenessProbe & OutsideProbe, where: ProbeEnvironment, upMs: number, watched: { proc: Process; hooks: AttemptHooks; verdicts: Verdicts }, signal: AbortSignal): Promise<void> {
  const { last: result, failingSince } = await untilDead(probe, where, upMs, signal);
  // The last try may have failed of the process's death (its connection reset as it exited), told
  // to the try before the exit is told to us, later still through a wrapper (`sh -c`, npm) that
  // exits once its child has: then the exit is its end, and the cancellation it brings is on its
  // way; stopping it for its liveness would announce a stop of a process already gone.
  if (hasExited(watched.proc) || (await settlesWithin(processInternals.exited(watched.proc), LOADED_LOOP_LATENESS_MS, signal))) return;
  // Once more: a loop held past that wait runs its timer before it reads the news of an exit that
  // came meanwhile, when the wrapper is a zombie already.
  if (hasExited(watched.proc)) return;
  signal.throwIfAborted();
  watched.verdicts.stoppedFor = { kind: 'liveness', result, failures: probe.failures };
  watched.hooks.onUnhealthy(failingSince);
  watched.hooks.onStopping(`failed its liveness probe ${probe.failures} time${probe.failures === 1 ? '' : 's'} in a row`, 'liveness');
  await watched.proc.stop();
}

/**
 * A cancelled call, with the end the child's exit would give when it had exited with status 0 (the
 * library reports any other status it chose before a stop as its failure, not as the cancellation).
 */
function stoppedAfter(plan: AttemptPlan, verdicts: Verdicts): AttemptEnd {
  const { exit } = verdicts;
  if (exit === undefined || exit.proc.returncode !== 0) return { kind: 'stopped' };
  const { proc, durationMs } = exit;
  // Its stderr tail stays with the call that was cancelled: an exit with status 0 is not explained by it.
  const completed = new CompletedProcess({ args: proc.args, returncode: 0, signal: null, stdout: null, stderr: null, pid: proc.pid, durationMs, stopped: false });
  const end = judge(plan, { ...verdicts, completed });
  return end.kind === 'stopped' ? end : { kind: 'stopped', exitedFirst: end };
}

/** How the attempt ended, once the child is gone and nothing of the attempt runs any more. */
function judge(plan: AttemptPlan, verdicts: Verdicts): AttemptEnd {
  const { completed, stoppedFor } = verdicts;
  if (completed === undefined) return { kind: 'stopped' }; // cancelled before the child was judged
  const { spec } = plan;
  const tail = completed.stderr;
  if (completed.stopped && stoppedFor?.kind === 'liveness') {
    return { kind: 'failed', error: new LivenessError(spec.name, stoppedFor.failures, stoppedFor.result.output, tail, stoppedFor.result.exit) };
  }
  if (completed.stopped && stoppedFor?.kind === 'ready-timeout') {
    const probeOutput = stoppedFor.last?.output ?? 'no try finished before the timeout';
    const error = new ProbeTimeoutError({ cmd: spec.cmd, pid: completed.pid, timeoutMs: stoppedFor.timeoutMs, stderr: tail }, spec.name, probeOutput, stoppedFor.last?.exit);
    return { kind: 'failed', error: withStderrNote(error) };
  }
  if (completed.stopped) return { kind: 'stopped' };
  if (!verdicts.ready) {
    // Exited (with 0: any other status was a CalledProcessError) before its outside probe passed:
    // as with a log pattern, a process that quits before it is ready failed.
    if (exitBeforeReadyIsAnExit(spec)) return { kind: 'exited', completed, beforeReady: true };
    const failure = { cmd: spec.cmd, returncode: completed.returncode, signal: completed.signal, stderr: tail, pid: completed.pid, durationMs: completed.durationMs };
    return { kind: 'failed', error: withStderrNote(new ExitedBeforeReadyError(failure, 'its ready probe')) };
  }
  return { kind: 'exited', completed };
}

/**
 * Whether an exit with status 0 before the ready probe passed is an exit rather than a failure:
 * when readiness is optional, and for a task, whose exit 0 is its success (SPEC §9) whatever its
 * probe said; its `ready` dependents are then not started (it exited before it was ready).
 */
function exitBeforeReadyIsAnExit(spec: ProcessSpec): boolean {
  return spec.readyOptional === true || spec.task;
}

/** A log pattern's exit with status 0 before its line, as an exit, when that is no failure (see exitBeforeReadyIsAnExit). */
function exitedBeforeOptionalReady(spec: ProcessSpec, error: unknown): AttemptEnd | undefined {
  if (!exitBeforeReadyIsAnExit(spec) || !(error instanceof ExitedBeforeReadyError) || error.returncode !== 0) return undefined;
  const completed = new CompletedProcess({ args: error.cmd, returncode: 0, signal: null, stdout: null, stderr: error.stderr, pid: error.pid, durationMs: error.durationMs, stopped: false });
  return { kind: 'exited', completed, beforeReady: true };
}

/** The library's options for the attempt; `calls` are its own onSpawn and exit record, which tell the hooks. */
function superviseOptions(plan: AttemptPlan, hooks: AttemptHooks, calls: { onSpawn: (proc: Process) => void; onExit: LifecycleLog['exited'] }): SuperviseOptions & { [RELAY_BLOCKS]: BlockRelay; [LIFECYCLE_LOG]: LifecycleLog; [INHERIT_STDIN]: boolean; [OUTPUT_CLOSED_WAITS]: boolean } {
  const { spec } = plan;
  const log = spec.ready?.kind === 'log' ? spec.ready : undefined;
  const where = probeEnvironment(plan);
  return {
    shell: typeof spec.cmd === 'string',
    cwd: spec.cwd,
    env: where.env,
    uid: where.uid,
    gid: where.gid,
    groups: where.groups,
    label: spec.name,
    relayStdout: true,
    relayStderr: true,
    // Lines in blocks (one call per read, not per line): the command line's relay is its hot path.
    [RELAY_BLOCKS]: (stream, block) => plan.output.lines(spec.name, stream, block),
    readyWhen: log && asShown(log.pattern, logPatternInWords(log)),
    // An outside probe's wait is bounded in waitForProbe; the library bounds only a log pattern's.
    readyTimeoutMs: log === undefined ? undefined : spec.readyTimeoutMs,
    killGraceMs: stopGraceMs(spec, plan.defaultGraceMs),
    stopSignal: spec.stopSignal,
    onSpawn: calls.onSpawn,
    [LIFECYCLE_LOG]: runReport(spec, hooks, calls.onExit),
    [INHERIT_STDIN]: spec.inheritStdin === true,
    // Where an exit before readiness is no failure, output closed before it is none either: the exit decides.
    [OUTPUT_CLOSED_WAITS]: exitBeforeReadyIsAnExit(spec),
  };
}

/**
 * A log probe's pattern, tried on the line as the output shows it too: a child that colours its
 * ready line (`\x1b[32mstarted\x1b[0m`) is shown `started`, and a pattern written from what was
 * seen (`^started$`) must match it.
 */
function asShown(pattern: RegExp, inWords: string): (line: string) => boolean {
  const matches = (line: string): boolean => pattern.test(line) || (line.includes('\x1b') && pattern.test(stripSgr(neutraliseControlSequences(line))));
  // The library names what no line matched by String(readyWhen): the pattern, not this function's source.
  return Object.assign(matches, { toString: () => inWords });
}

/**
 * The library's lifecycle records, with the ones the run shows: the SIGKILL after the grace, the
 * stop of a process whose log pattern did not match in time (the library begins that one), and the
 * match of that pattern (said at once, so it comes between the matching line and the ones read
 * with it), are state lines of the run's own (in its format, and in `--json`), not library
 * records; a refused stop is the attempt's failure, said by its `failed` line. The others stay the
 * library's `runtime` records (shown with `SUBVISOR_LOG_LEVEL=runtime`): the runner's state lines
 * say the same; the exit is also noted, for a call cancelled after it (see stoppedAfter).
 */
function runReport(spec: ProcessSpec, hooks: AttemptHooks, onExit: LifecycleLog['exited']): LifecycleLog {
  // Its spawn record names the command as the starting line does: a value from `.env` by its variable.
  const library = lifecycleLog(spec.name, undefined, shownCommand(spec));
  return {
    ...library,
    stopping: (proc, reason) => {
      if (reason instanceof ReadyTimeoutError) hooks.onStopping(notReadyWithin(reason.timeoutMs), 'ready');
      else if (reason instanceof OutputClosedBeforeReadyError) hooks.onStopping('closed its stdout and stderr before it was ready', 'ready');
      else hooks.onStopBegun(proc);
      library.stopping(proc, reason);
    },
    escalating: (_proc, killGraceMs) => hooks.onKill(killGraceMs),
    stoppingHolders: (proc, pids) => {
      hooks.onHoldersStopping(pids);
      library.stoppingHolders(proc, pids);
    },
    killingHolders: (_proc, pids, killGraceMs) => hooks.onHoldersKilled(pids, killGraceMs),
    ready: (proc, afterMs) => {
      hooks.onReady(afterMs);
      library.ready(proc, afterMs);
    },
    exited: (proc, durationMs) => {
      onExit(proc, durationMs);
      library.exited(proc, durationMs);
    },
    stopDenied: noop,
  };
}

function notReadyWithin(timeoutMs: number): string {
  return `not ready within ${timeoutMs} ms`;
}

function noop(): void {
  // said elsewhere: see the caller
}

/** The ready probe when it is tried from outside (http, tcp, exec); a log pattern is the library's `readyWhen`. */
function outsideProbe(spec: ProcessSpec): OutsideProbe | undefined {
  return spec.ready === undefined || spec.ready.kind === 'log' ? undefined : spec.ready;
}

/** Where the process runs, and so where its exec probes run (SPEC §9: the process's cwd, env and user). */
function probeEnvironment(plan: AttemptPlan): ProbeEnvironment {
  const { spec } = plan;
  const { user } = spec;
  // initgroups(3) lists the primary group among the supplementary ones too (/proc's Groups:), as systemd's User= gives them.
  const identity = user === undefined || isOwnUser(user) ? {} : { uid: user.uid, gid: user.gid, groups: user.groups === undefined ? undefined : [user.gid, ...user.groups] };
  return { cwd: spec.cwd, cwdParts: spec.cwdParts, env: withChildrenColour(childEnvironment(spec, plan.parentEnv), plan.childrenColour), ...identity };
}

/**
 * Whether `user` is the one this subvisor, not root, runs as (the only other one its config may
 * name): the process then runs as subvisor does, unswitched. A switch would only change the group,
 * to the passwd entry's, which only root may: under `sg`, `newgrp` or a service's own `Group=`,
 * subvisor's gid is another, and the spawn failed with EPERM after the processes before it had
 * started.
 */
function isOwnUser(user: ProcessUser): boolean {
  const uid = process.getuid?.();
  return uid !== 0 && uid === user.uid;
}

/**
 * The environment of a child, lowest first: the env files (`.env`, then the top-level and the
 * process's own `envFile`s), the parent's environment, then, for a process run as another `user`,
 * that user's {@link userEnvironment}, and last the process's own `env`, which wins.
 */
export function childEnvironment(spec: ProcessSpec, parentEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const user = spec.user === undefined ? {} : userEnvironment(spec.user);
  const inherited: NodeJS.ProcessEnv = { ...spec.envFromFiles, ...parentEnv, ...user };
  // SPEC §10: set only for replicas, so a program can tell it is one; a copy gets its own in
  // `env`. One inherited (subvisor itself run as a copy, by an outer subvisor) would say otherwise.
  const kept = spec.replica === undefined ? Object.fromEntries(Object.entries(inherited).filter(([name]) => name !== REPLICA_VARIABLE)) : inherited;
  return { ...kept, ...spec.env };
}

/**
 * HOME, USER, LOGNAME and SHELL of a process run as `user`, as systemd's `User=` sets them (and
 * `su`): the parent's name the parent, usually root, whose home the user cannot write and whose
 * shell may be one it cannot run. A passwd entry without a home gets `/`, as login(1) logs it in
 * ("No directory, logging in with HOME=/"), never the parent's; one without a shell gets
 * `/bin/sh`, which an empty field means (passwd(5)).
 */
function userEnvironment(user: ProcessUser): NodeJS.ProcessEnv {
  return { HOME: user.home ?? '/', USER: user.name, LOGNAME: user.name, SHELL: user.shell ?? '/bin/sh' };
}
