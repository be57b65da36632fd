import { node } from '../../builtins.js';
import type { Process } from '../process.js';

/**
 * Which child's `deliverCancel` hook the code running now was called from, carried in the async
 * context so that it holds after the hook's awaits. `Process.stop()` of that same child, from its
 * own hook, would wait for the stop the hook is the first step of: the group would hear nothing
 * until the SIGKILL a whole `killGraceMs` later. So such a call is the default first step instead.
 */
const current = new node.asyncHooks.AsyncLocalStorage<Process>();

/** Runs `hook`, the `deliverCancel` of `proc`, so that {@link isInHookOf} knows it. */
export function runAsHookOf<R>(proc: Process, hook: () => R): R {
  return current.run(proc, hook);
}

/** Whether the code running now was called from `proc`'s own `deliverCancel` (a child's hook inside it is another's). */
export function isInHookOf(proc: Process): boolean {
  return current.getStore() === proc;
}
