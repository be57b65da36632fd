import { signalTarget, stopTarget, targetAlive, type StopTarget } from './terminate.js';

/**
 * No supervised child outlives the parent. While at least one child is alive, subvisor listens for
 * SIGINT, SIGTERM and SIGHUP and for the parent's 'exit'; with no child alive it listens for
 * nothing, so importing subvisor changes nothing about how the process handles signals.
 *
 * - A signal that nobody else handles would have killed the parent at once and orphaned the
 *   children. Instead they get SIGTERM, then SIGKILL after their grace, and the parent then dies
 *   of the same signal, so its exit status still says what happened. The same signal again
 *   skips the grace.
 * - A signal the application handles itself is left to it (it is expected to cancel its scopes);
 *   if it then exits, the 'exit' rule applies.
 * - 'exit' (process.exit(), an uncaught exception, the end of the program) cannot wait: every
 *   child group still alive gets SIGKILL, synchronously.
 *
 * A parent killed by SIGKILL runs no code at all; see the README's guarantees for that limit.
 */
const owned = new Map<StopTarget, number>();
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let shuttingDown: NodeJS.Signals | undefined;

/** Registers a live child; returns the function that releases it. */
export function ownUntilExit(target: StopTarget, killGraceMs: number): () => void {
  if (owned.size === 0) install();
  owned.set(target, killGraceMs);
  return () => {
    if (!owned.delete(target)) return;
    if (owned.size === 0 && shuttingDown === undefined) uninstall();
  };
}

function install(): void {
  for (const signal of FORWARDED) process.on(signal, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  for (const signal of FORWARDED) process.off(signal, onSignal);
  process.off('exit', onExit);
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // the application handles it: its call
  if (shuttingDown !== undefined) {
    killAll();
    dieOf(signal);
    return;
  }
  shuttingDown = signal;
  void Promise.all([...owned].map(([target, killGraceMs]) => stopTarget(target, killGraceMs))).finally(() => dieOf(signal));
}

function onExit(): void {
  killAll();
}

function killAll(): void {
  for (const target of owned.keys()) {
    if (targetAlive(target)) signalTarget(target, 'SIGKILL');
  }
}

function dieOf(signal: NodeJS.Signals): void {
  uninstall();
  process.kill(process.pid, signal);
}
