import { node } from '../../builtins.js';
import { Cancelled } from '../../core/errors.js';
import { killUnsearchedHolders } from './pipe-holders.js';
import { listenersBesideSignalExit } from './signal-exit.js';
import { killRecordedEscapees, killTarget, targetAlive, type StopTarget } from './terminate.js';
import { flushReleases, watchOverChild } from './watchdog.js';

/**
 * No supervised child outlives the parent. While at least one child is alive, subvisor listens for
 * SIGINT, SIGTERM and SIGHUP and for the parent's 'exit'; with no child alive it listens for
 * nothing, so importing subvisor changes nothing about how the process handles signals.
 *
 * - A signal that nobody else handles would have killed the parent at once and orphaned the
 *   children. Instead they get SIGTERM, then SIGKILL after their grace, and the parent then dies
 *   of the same signal, so its exit status still says what happened. The same signal again
 *   skips the grace. Until the parent is gone, the supervising calls of those children do not
 *   settle: a child that exits 1 because we sent SIGTERM is not a failure to report, and a
 *   rejection reaching the top level would make the parent exit 1 instead of dying of the signal.
 * - A signal the application handles itself is left to it (it is expected to cancel its scopes);
 *   if it then exits, the 'exit' rule applies.
 * - 'exit' (process.exit(), an uncaught exception, the end of the program) cannot wait: every
 *   child group still alive gets SIGKILL, synchronously.
 * - SIGKILL runs no code in the parent at all: the watchdog (./watchdog.ts) stops what is left.
 */
export interface OwnedChild {
  readonly target: StopTarget;
  readonly killGraceMs: number;
  /** What the watchdog sends the group first if the parent dies without stopping it. */
  readonly stopSignal: NodeJS.Signals;
  /** Stops the child as a cancellation would (SIGTERM, SIGKILL after its grace), giving `reason`; resolves once it is gone. */
  readonly stopForParent: (reason: Cancelled) => Promise<void>;
}

interface Registration {
  readonly child: OwnedChild;
  readonly unwatch: () => void;
}

const owned = new Set<Registration>();
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Set while the parent is dying of a signal: why, and how the held supervisors learn that it survived after all. */
let shutdown: { readonly reason: Cancelled; readonly survived: Promise<void>; readonly resolveSurvived: () => void } | undefined;

/** Registers a live child; returns the function that releases it (idempotent). */
export function ownUntilExit(child: OwnedChild): () => void {
  if (owned.size === 0 && shutdown === undefined) install();
  const registration: Registration = {
    child,
    unwatch: watchOverChild({ pid: child.target.proc.pid, newSession: child.target.newSession, killGraceMs: child.killGraceMs, stopSignal: child.stopSignal }),
  };
  owned.add(registration);
  // Started while the parent is already going down (by code running during the grace): stop it now.
  if (shutdown !== undefined) void child.stopForParent(shutdown.reason);
  return () => {
    if (!owned.delete(registration)) return;
    registration.unwatch();
    if (owned.size === 0 && shutdown === undefined) uninstall();
  };
}

/**
 * Resolves at once, unless the parent is dying of a signal: then it resolves only if the parent
 * survived the re-raised signal (the application began handling it in the meantime). Supervisors
 * of children stopped for the parent wait on this before they settle.
 */
export function unlessParentDies(): Promise<void> {
  return shutdown?.survived ?? Promise.resolve();
}

/** Whether `reason` is the one children get when the parent is dying of a signal. */
export function isParentShutdown(reason: unknown): boolean {
  return reason instanceof ParentSignalled;
}

class ParentSignalled extends Cancelled {}

function install(): void {
  // First in line, so that onSignal counts every listener the signal arrived to: Node takes a
  // process.once() listener off before calling it, so one added before ours (a graceful-shutdown
  // handler set up at start) was already gone when ours ran after it, and the signal the
  // application handled killed it.
  for (const signal of FORWARDED) process.prependListener(signal, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  for (const signal of FORWARDED) process.off(signal, onSignal);
  process.off('exit', onExit);
}

function onSignal(signal: NodeJS.Signals): void {
  if (listenersBesideSignalExit(signal) - 1 > 0) return; // the application handles it: its call
  if (shutdown !== undefined) {
    // The same signal again: no more grace. Except SIGHUP: a terminal going away is often told
    // twice (the shell passes its SIGHUP on, the kernel sends another when that shell exits), and
    // that is nobody insisting.
    if (signal !== 'SIGHUP') dieOf(signal);
    return;
  }
  let resolveSurvived = noop;
  const survived = new Promise<void>((resolve) => (resolveSurvived = resolve));
  shutdown = { reason: new ParentSignalled(`stopped because the parent process received ${signal}`), survived, resolveSurvived };
  const { reason } = shutdown;
  // allSettled: a child the system refuses to stop is left running, and the parent dies all the same.
  void Promise.allSettled([...owned].map(({ child }) => child.stopForParent(reason))).then(() => dieOf(signal));
}

function onExit(): void {
  killAll();
}

/**
 * For a parent about to die of a signal it raises itself (the CLI's "second Ctrl-C", its end after
 * a closed terminal): a re-raised signal runs no 'exit' listener, so this does here what `onExit`
 * would, SIGKILL to every child group still owned, synchronously, and then stops listening, so the
 * signal meets its default action instead of the graceful stop above.
 *
 * @internal
 */
export function killAllOwned(): void {
  killAll();
  owned.clear();
  uninstall();
}

/** SIGKILL to everything still owned, and to what their stops found had left their groups; they cannot survive it, so the watchdog may forget them. */
function killAll(): void {
  for (const registration of owned) {
    const { target } = registration.child;
    // A group gone in time may have left, to its stop's grace, what it had started apart from it.
    if (targetAlive(target)) killTarget(target);
    else killRecordedEscapees(target);
    registration.unwatch();
  }
  // Those of an exited child not found yet: its search, which yields, would never be finished.
  killUnsearchedHolders();
  flushReleases(); // no later loop turn may come to do it
}

function dieOf(signal: NodeJS.Signals): void {
  const current = shutdown;
  if (current === undefined) return; // already re-raised
  killAll(); // anything started during the grace, or still in it
  uninstall();
  raise(signal);
  // Still here: the signal is handled elsewhere now (a listener was added during the grace, or an
  // exit handler of signal-exit's kept it from raising the signal again). Let the held supervisors
  // settle, with the cancellation as their outcome.
  shutdown = undefined;
  current.resolveSurvived();
  if (owned.size > 0) install();
}

/**
 * Raises `signal` at the parent, which dies of it here unless something else handles it. With
 * only signal-exit listening, it is handed the signal at once, as Node would deliver it: it runs its
 * exit handlers and raises it again with nothing left listening. Raised by process.kill instead,
 * the signal would reach it on a later turn of the event loop, and a loop with nothing else to wait
 * for ends before that turn: the parent exited 0.
 */
function raise(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) === 0 || listenersBesideSignalExit(signal) > 0) {
    process.kill(process.pid, signal);
    return;
  }
  // signal-exit 3 and 4 side by side: the last of one version to hear it raises it again by
  // process.kill while the other still listens, so it comes back on a later turn, after the held
  // supervisors have settled (an uncaught Cancelled ended the parent with status 1). Handed on at
  // once instead, as long as one of them raised it again, until none is left. One that did not (an
  // exit handler of signal-exit 4's returned true) kept the parent alive, as it would have alone.
  for (let listening = process.listenerCount(signal); listening > 0 && listenersBesideSignalExit(signal) <= 0; ) {
    if (!raisedAgainDuring(() => process.emit(signal, signal), signal)) return;
    const left = process.listenerCount(signal);
    if (left >= listening) return; // none took it
    listening = left;
  }
}

/**
 * Runs `emit` and tells whether something in it raised `signal` at the parent by process.kill
 * (which still goes ahead). Where process.kill cannot be replaced (made read-only), it cannot tell:
 * the signal is handed on once, as it was before signal-exit 3 and 4 were told apart, rather than a
 * TypeError ending the parent with status 1 instead of the signal.
 */
function raisedAgainDuring(emit: () => void, signal: NodeJS.Signals): boolean {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, and called with process as this
  const { kill } = process;
  let raised = false;
  const watching: typeof process.kill = (pid, sent) => {
    // Counted once sent: a refused one (ESRCH for `-pid` when the parent leads no group) raised nothing.
    const sentIt = kill.call(process, pid, sent);
    if (reachesThisProcess(pid) && isSignal(sent, signal)) raised = true;
    return sentIt;
  };
  try {
    process.kill = watching;
  } catch {
    emit();
    return false;
  }
  try {
    emit();
  } finally {
    // A wrapper a handler put over ours during the emit stays: ours, beneath it, only passes calls on.
    if (process.kill === watching) process.kill = kill;
  }
  return raised;
}

/**
 * Whether a `process.kill(pid)` reaches this process: its pid, or its own process group (`0`, or
 * `-pid` when it leads one). signal-exit 3 and 4 raise by `process.pid`; the group forms cost nothing
 * to know, and a handler that raises so is raising the signal again all the same.
 */
function reachesThisProcess(pid: number): boolean {
  return pid === process.pid || pid === 0 || pid === -process.pid;
}

/** Whether `sent` (a name, a number, or nothing: process.kill's SIGTERM) is `signal`: `process.kill(process.pid, 15)` raises SIGTERM too. */
function isSignal(sent: string | number | undefined, signal: NodeJS.Signals): boolean {
  const given = sent ?? 'SIGTERM';
  return typeof given === 'number' ? given === node.os.constants.signals[signal] : given === signal;
}

function noop(): void {
  // replaced before use
}
