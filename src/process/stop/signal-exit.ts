/**
 * signal-exit (what execa's `cleanup`, ora and restore-cursor use to run code as the process
 * ends) listens for SIGINT, SIGTERM and SIGHUP too, and leaves a signal alone while any other
 * listener is there: exactly what we do. Beside each other, each waited for the other and the
 * signal was ignored, Ctrl-C and all (seen with an execa child running beside a supervised one).
 * Its listeners are not the application handling the signal: once it is the only one left, it
 * runs its exit handlers and raises the signal again.
 *
 * So this counts the listeners of `signal` that are not signal-exit's (ours among them, if in place).
 *
 * signal-exit 4 keeps its instances' count on a global emitter, and counts those of signal-exit 3
 * (`process.__signal_exit_emitter__`) in too; we count both the same way, one listener per signal
 * for each.
 */
export function listenersBesideSignalExit(signal: NodeJS.Signals): number {
  return process.listenerCount(signal) - signalExitListeners();
}

function signalExitListeners(): number {
  const current = (globalThis as Record<symbol, unknown>)[Symbol.for('signal-exit emitter')];
  const legacy = (process as unknown as Record<string, unknown>)['__signal_exit_emitter__'];
  return countOf(current) + countOf(legacy);
}

function countOf(emitter: unknown): number {
  if (typeof emitter !== 'object' || emitter === null) return 0;
  const { count } = emitter as { count?: unknown };
  return typeof count === 'number' && count > 0 ? count : 0;
}
