import { settlesWithin } from '../../core/timer.js';
import { errnoCode } from '../../errno.js';
import { escapeeMayRun, escapeeRunning, escapedDescendants, groupHasLiveMembers, groupHasLiveMembersSoon, groupRefusesSignals, hasExited, type Escapee } from './group.js';
import { escapeeAwaited, signalEscapee, untilEscapeesGone } from './escapees.js';
import { whenGroupEmpty } from './group-poller.js';
import { watchOverEscapee } from './watchdog.js';
import { StopDeniedError } from '../errors.js';
import { processInternals, type Process } from '../process.js';

/** How a child is addressed when stopping it: its whole process group, or (newSession: false) itself. */
export interface StopTarget {
  readonly proc: Process;
  readonly newSession: boolean;
}

/** How to stop a child: trio's `deliver_cancel`, with its grace. */
export interface StopPolicy {
  /** From the start of the stop until SIGKILL to whatever is left; Infinity: never. */
  readonly killGraceMs: number;
  /** The first signal the group gets (followed by SIGCONT, so that a stopped process can handle it). */
  readonly stopSignal: NodeJS.Signals;
  /** replaces {@link askToStop} as the first step; called synchronously, fire-and-forget */
  readonly deliverCancel?: (() => void) | undefined;
  /** called once, just before SIGKILL escalation */
  readonly onEscalate?: (() => void) | undefined;
}

/** What became of a signal: delivered, nobody there to receive it, or refused by the system (EPERM). */
export type SignalOutcome = 'sent' | 'gone' | 'denied';

/**
 * Sends `signal` to the child's process group (a new-session child leads its own group, whose id
 * is its pid), or to the child alone. 'denied' when no one there may be signalled by this process:
 * they now run as another user (see {@link StopDeniedError}).
 */
export function signalTarget(target: StopTarget, signal: NodeJS.Signals): SignalOutcome {
  // A reaped child's pid may be reused: without a group to address, only a child not yet reaped is signalled.
  if (!target.newSession && target.proc.returncode !== null) return 'gone';
  return sendSignal(target.newSession ? -target.proc.pid : target.proc.pid, signal);
}

/**
 * The first step of a stop when no `deliverCancel` replaces it: the stop signal, then SIGCONT (as
 * systemd does: a process stopped by job control or a debugger would otherwise never run its
 * handler, and die of the SIGKILL instead). Nothing more once the stop signal is refused: its
 * outcome is the step's, for the caller to report at once.
 */
export function askToStop(target: StopTarget, stopSignal: NodeJS.Signals): SignalOutcome {
  const outcome = signalTarget(target, stopSignal);
  if (outcome !== 'denied') signalTarget(target, 'SIGCONT');
  return outcome;
}

/**
 * SIGKILL, the end of every stop's grace: to the child's group, and to what its live members
 * started that has left the group (setsid, setpgid), looked up while they still live: a
 * PostgreSQL backend leads a session of its own, and one busy in a query does not notice its
 * postmaster's death, so the group's SIGKILL alone leaves it running, holding the cluster's shared
 * memory (the next postgres refuses to start) and the child's output. A stop signal before it goes
 * to the group only, so a postmaster still relays its own shutdown. The one place that decides
 * what a kill reaches, with {@link killRecordedEscapees} for a group already gone. Those a stop in
 * progress found as it began, whose parent may have died since, are SIGKILLed too. What the outcome
 * says is the group's; one that left it and may not be signalled is left as it is.
 */
export function killTarget(target: StopTarget): SignalOutcome {
  const escaped = target.newSession ? escapedDescendants(target.proc.pid) : [];
  // The group first: a postmaster that saw its backends die before it would report each as a crash.
  const outcome = signalTarget(target, 'SIGKILL');
  for (const escapee of escaped) signalEscapee(escapee, 'SIGKILL');
  killRecordedEscapees(target);
  return outcome;
}

/**
 * What a stop in progress found, as it began, had left the child's group (see {@link stopTarget}),
 * until the stop ends. A kill from outside the stop reaches them through it: the parent's exit or
 * its second Ctrl-C SIGKILLs what is still owned, and a group gone in time has nothing left to
 * find them by (the shell that started them died of its stop signal), while they wait out the grace.
 */
const recordedEscapees = new WeakMap<Process, readonly Escapee[]>();

/** SIGKILL to what the stop of `target` in progress found had left its group and still runs (each checked to be itself). */
export function killRecordedEscapees(target: StopTarget): void {
  for (const escapee of recordedEscapees.get(target.proc) ?? []) signalEscapee(escapee, 'SIGKILL');
}

/** Whether anything is left to stop: the child, or (new session) a live member of its group. */
export function targetAlive(target: StopTarget): boolean {
  if (target.proc.returncode === null) return true;
  return target.newSession && groupHasLiveMembers(target.proc.pid);
}

/** {@link targetAlive}, with the group looked up together with every other asked in this turn (see groupHasLiveMembersSoon). */
export async function targetAliveSoon(target: StopTarget): Promise<boolean> {
  if (target.proc.returncode === null) return true;
  return target.newSession && (await groupHasLiveMembersSoon(target.proc.pid));
}

/** How long the members of a SIGKILLed group are given to actually be gone. */
const SIGKILL_SETTLE_MS = 1000;
/**
 * Stops the child and everything in its group: the stop signal and SIGCONT (as systemd does: a
 * process stopped by job control or a debugger would otherwise never run its handler, and die of
 * the SIGKILL instead), or `deliverCancel` in their place; then SIGKILL once `killGraceMs` has
 * passed since the stop began with anything still alive, whatever `deliverCancel` is doing (trio's
 * default `deliver_cancel`, and its rule that cancellation cannot be delayed forever). The grace is
 * measured for the whole group, not just the leader: a grandchild that ignores SIGTERM must not
 * outlive the scope merely because its parent obeyed. Resolves once the leader has exited and the
 * group is empty: SIGKILL cannot be refused, but it is delivered asynchronously, so its effect is
 * waited for too (bounded: a process stuck in the kernel, in uninterruptible sleep, dies only when
 * the kernel lets it).
 *
 * What the group's live members started that has left it (setsid, setpgid) is looked up as the
 * stop begins, and stopped with the group: SIGKILLed with it at the grace, or, when the group is
 * gone in time, given the stop signal then and SIGKILL at the grace (see {@link stopEscapees}).
 *
 * An exception thrown by `deliverCancel` or `onEscalate` does not stop the stop: it is rethrown
 * once the group is gone.
 */
export async function stopTarget(target: StopTarget, policy: StopPolicy): Promise<void> {
  if (!targetAlive(target)) return throwIfRefused(target, policy.stopSignal);
  const begunAt = performance.now();
  // Now, while the members that started them live: a shell that dies of its SIGTERM leaves its
  // `setsid worker &` to init, and nothing in /proc ties the worker to the child any more.
  const escaped = target.newSession ? escapedDescendants(target.proc.pid) : [];
  const thrown: unknown[] = [];
  if (policy.deliverCancel === undefined) {
    if (askToStop(target, policy.stopSignal) === 'denied') throw stopDenied(target, policy.stopSignal);
  } else {
    callCatching(policy.deliverCancel, thrown);
  }
  if (escaped.length > 0) recordedEscapees.set(target.proc, escaped);
  // Should subvisor be SIGKILLed before the stop ends, its watchdog cannot find them through the
  // group: the members that started them may be gone (a shell dead of its SIGTERM), whether or not
  // others still hold the group.
  const unwatch = escaped.map((escapee) => watchOverEscapee(escapee, policy.killGraceMs));
  const gone = untilGone(target);
  try {
    if (!(await settlesWithin(gone.promise, begunAt + policy.killGraceMs - performance.now())) && !(await goneUnseen(target, gone.promise))) {
      callCatching(policy.onEscalate, thrown);
      if (killTarget(target) === 'denied' || !(await diesOfKill(target.proc))) throw stopDenied(target, 'SIGKILL');
      await settlesWithin(gone.promise, SIGKILL_SETTLE_MS);
      throwIfRefused(target, 'SIGKILL');
    } else {
      await stopEscapees(escaped, policy, begunAt);
    }
  } finally {
    gone.cancel();
    recordedEscapees.delete(target.proc);
    for (const release of unwatch) release();
  }
  throwIfRefused(target, policy.stopSignal);
  if (thrown.length > 0) throw thrown[0];
}

/**
 * Stops `holders`, processes outside the child's group that still hold its pipes after its exit,
 * its drain grace and the stop of its group (see ./pipe-holders.ts), as {@link stopEscapees} stops
 * what left the group: the stop signal and SIGCONT to each whose listed parent is gone, SIGKILL to
 * those left at the grace, which runs from now (`onKill` is told which, first). Without this, such a
 * holder (a PostgreSQL backend busy in a query when its postmaster was SIGKILLed from outside) ran
 * on after the scope, holding the cluster's shared memory, so every restart of postgres failed
 * until its query ended. Watched over meanwhile, as a stop's escapees are, should subvisor be
 * SIGKILLed before they are gone; and registered with the child's stop as those are, so a kill
 * from outside the stop (the parent's exit, its second Ctrl-C) SIGKILLs them at once, as it does
 * the group, instead of leaving them to the watchdog's grace.
 */
export async function stopPipeHolders(target: StopTarget, holders: readonly Escapee[], policy: StopPolicy, onKill?: (left: readonly Escapee[]) => void): Promise<void> {
  const unwatch = holders.map((holder) => watchOverEscapee(holder, policy.killGraceMs));
  recordedEscapees.set(target.proc, holders);
  try {
    await stopEscapees(holders, policy, performance.now(), onKill);
  } finally {
    recordedEscapees.delete(target.proc);
    for (const release of unwatch) release();
  }
}

/**
 * What left the group and still runs once the group is gone in time: the stop signal (and
 * SIGCONT), then SIGKILL to those left when the stop's grace ends, as the group's own members
 * would have had; resolves once they are gone (after a SIGKILL, within its settle time). Not
 * before the group is gone: the stop signal goes to the group alone, so a postmaster still stops
 * its backends (each in a session of its own) itself, and waits for them. Nor to one whose parent,
 * itself left the group, still runs, for the same reason: a postmaster or a supervisor started by
 * a `setsid server &` whose shell died of its SIGTERM stops its own children, in its own order,
 * and each gets the stop signal from here only once its parent is gone. Without this, the
 * promise that nothing outlives the scope held for them only when the stop escalated, or when the
 * watchdog stopped them (subvisor SIGKILLed), which signals them whether or not the group obeyed.
 */
async function stopEscapees(recorded: readonly Escapee[], policy: StopPolicy, begunAt: number, onKill?: (left: readonly Escapee[]) => void): Promise<void> {
  // One whose stat cannot be read for now (EMFILE) may run: it is waited for, and signalled once
  // it can be told to be itself, at a later look. One we may not signal is left as it is.
  const left = recorded.filter(escapeeAwaited);
  if (left.length === 0) return;
  const byPid = new Map(left.map((escapee) => [escapee.pid, escapee]));
  const told = new Set<Escapee>();
  const tellOrphans = (): void => {
    // Parents come first (see escapedDescendants): one told now still runs, and keeps its children.
    for (const escapee of left) {
      if (told.has(escapee)) continue;
      const parent = byPid.get(escapee.ppid);
      if ((parent !== undefined && escapeeMayRun(parent)) || !escapeeRunning(escapee)) continue;
      told.add(escapee);
      signalEscapee(escapee, policy.stopSignal);
      signalEscapee(escapee, 'SIGCONT');
    }
  };
  const killed = new Set<Escapee>();
  const killLeft = (): void => {
    for (const escapee of left) {
      if (killed.has(escapee) || !escapeeRunning(escapee)) continue;
      killed.add(escapee);
      signalEscapee(escapee, 'SIGKILL');
    }
  };
  let onLook = tellOrphans;
  tellOrphans();
  const gone = untilEscapeesGone(left, () => onLook());
  try {
    if (await settlesWithin(gone.promise, begunAt + policy.killGraceMs - performance.now())) return;
    // Again at each look: one that could not be read at the grace is SIGKILLed once it can.
    onLook = killLeft;
    onKill?.(left.filter(escapeeRunning));
    killLeft();
    await settlesWithin(gone.promise, SIGKILL_SETTLE_MS);
  } finally {
    gone.cancel();
  }
}

/**
 * Whether a group that outlasted its grace by the clock had in fact obeyed its stop signal, its end
 * not yet seen: then nothing is left to SIGKILL, and an escalation would be reported (`still
 * running 5.0 s after its stop signal`) of a process that was not. That is what a parent that did
 * not run for a while sees (suspended by Ctrl-Z during the stop, SIGSTOPped, starved): the grace's
 * timer and the leader's exit are both due in the same turn of the event loop, and libuv runs
 * timers before it polls for the SIGCHLD that tells the exit. So the leader is asked through /proc
 * (a zombie until reaped) and the group for live members, and the end is waited for (bounded: one
 * that does not come is escalated as before). Where /proc cannot tell, it is not gone.
 */
async function goneUnseen(target: StopTarget, gone: Promise<unknown>): Promise<boolean> {
  const leaderGone = hasExited(target.proc);
  // Asked with every other group in this turn: a flood of stops reaches its graces together, each
  // leader already gone (died of its SIGTERM) and a member left, and a pass over /proc per group
  // would hold up every SIGKILL.
  if (!leaderGone || (target.newSession && (await groupHasLiveMembersSoon(target.proc.pid)))) return false;
  return settlesWithin(gone, SIGKILL_SETTLE_MS);
}

/**
 * Whether something of the child is left that may not be signalled: members of its group (the
 * group's waits count them as gone, there being nothing to do about them), or, without a group of
 * its own, the child itself. Such a leftover breaks the promise that nothing outlives the scope.
 */
export function targetRefuses(target: StopTarget): boolean {
  if (target.newSession) return groupRefusesSignals(target.proc.pid);
  return target.proc.returncode === null && sendSignal(target.proc.pid, 0) === 'denied';
}

function throwIfRefused(target: StopTarget, signal: NodeJS.Signals): void {
  if (targetRefuses(target)) throw stopDenied(target, signal);
}

/**
 * Waits for the leader to die of the SIGKILL just sent to its group. False when it is still there
 * after the settle time and the system refuses to signal it: the group's kill reached other members
 * only, and the leader (now another user's) will not exit for us. A leader that may be signalled
 * is waited for however long the kernel takes (uninterruptible sleep).
 */
async function diesOfKill(proc: Process): Promise<boolean> {
  const exited = processInternals.exited(proc);
  if (await settlesWithin(exited, SIGKILL_SETTLE_MS)) return true;
  if (proc.returncode === null && sendSignal(proc.pid, 0) === 'denied') return false;
  await exited;
  return true;
}

/** The refusal of `signal` to `target`, as the stop reports it. */
export function stopDenied(target: StopTarget, signal: NodeJS.Signals): StopDeniedError {
  return new StopDeniedError({ cmd: target.proc.args, pid: target.proc.pid, signal, group: target.newSession });
}

function sendSignal(pid: number, signal: NodeJS.Signals | 0): SignalOutcome {
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') return 'denied';
    throw error;
  }
}

/** Resolves once the leader has exited and (new session) its group has no live member. */
function untilGone(target: StopTarget): { readonly promise: Promise<unknown>; readonly cancel: () => void } {
  if (!target.newSession) return { promise: processInternals.exited(target.proc), cancel: noop };
  // The group is looked at only once the leader is gone: until then it is certainly not empty,
  // and the leader's exit is an event, worth nothing to poll for.
  let cancelled = false;
  let cancelWait = noop;
  const promise = processInternals.exited(target.proc).then(() => {
    if (cancelled) return;
    const wait = whenGroupEmpty(target.proc.pid);
    cancelWait = wait.cancel;
    return wait.empty;
  });
  return {
    promise,
    cancel: () => {
      cancelled = true;
      cancelWait();
    },
  };
}

function callCatching(callback: (() => void) | undefined, thrown: unknown[]): void {
  try {
    callback?.();
  } catch (error) {
    thrown.push(error);
  }
}

function noop(): void {
  // nothing to cancel
}
