import { node } from '../../builtins.js';
import type { Process } from '../process.js';

/**
 * Which child's `deliverCancel` hook the code running now was called from, carried in the async
 * context so that it holds after the hook's awaits and in the timers and callbacks it schedules.
 * `Process.stop()` of that same child, from its own hook, would wait for the stop the hook is the
 * first step of: the group would hear nothing until the SIGKILL a whole `killGraceMs` later. So
 * such a call takes the default first step instead, which the stop that runs the hook gives with it.
 */
const current = new node.asyncHooks.AsyncLocalStorage<{ readonly proc: Process; readonly firstStep: () => void }>();

/** Runs `hook`, the `deliverCancel` of `proc`, so that {@link ownHookStep} knows it; `firstStep` is the default one, reporting its own refusal. */
export function runAsHookOf<R>(proc: Process, firstStep: () => void, hook: () => R): R {
  return current.run({ proc, firstStep }, hook);
}

/** The default first step of `proc`'s stop when the code running now was called from `proc`'s own `deliverCancel` (a child's hook inside it is another's); else undefined. */
export function ownHookStep(proc: Process): (() => void) | undefined {
  const hook = current.getStore();
  return hook?.proc === proc ? hook.firstStep : undefined;
}
