import { node } from '../../builtins.js';

/**
 * The children a `deliverCancel` hook starts (a shutdown command), known while they live.
 *
 * Once the group is gone the hook is abandoned (SPEC §8): the call does not wait for the hook,
 * which may be stuck on anything (a request that never answers). What the hook started is another
 * matter: it must not outlive the scope, so the abandon cancels it and waits for exactly these
 * children, each stopped with its own grace. They are carried in the async context, so a child
 * started anywhere under the hook (after awaits, inside a nursery of its own) is counted; a child
 * started by such a child's own hook is counted by that inner hook instead.
 */
const current = new node.asyncHooks.AsyncLocalStorage<Set<Promise<unknown>>>();

/** Runs `hook` so that every child run started under it is added to `children` until it settles. */
export function runCountingChildren<R>(children: Set<Promise<unknown>>, hook: () => R): R {
  return current.run(children, hook);
}

/** Counts `life` (a child run, settling once the child is gone) with the hook it was started under, if any. */
export function countChild(life: Promise<unknown>): void {
  const children = current.getStore();
  if (children === undefined) return;
  children.add(life);
  const forget = (): void => void children.delete(life);
  // The caller awaits `life` itself, and sees its rejection there.
  life.then(forget, forget);
}
