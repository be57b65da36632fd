import { restartDelayMs, type RestartPolicy } from '../config/spec.js';

/** What to do after an attempt ended on its own (a stop the run asked for never comes here). */
export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; /** 1-based, within the current budget. */ readonly number: number; readonly max: number }
  | { readonly restart: false; /** When the policy would have restarted it: the `max` restarts in a row it used up. */ readonly budgetSpent: number | undefined };

/**
 * A process's restart policy applied to its attempts (SPEC §9):
 * - `no`: never; `on-failure`: after a failure; `always`: after any exit, except that a `task`
 *   is never restarted after it succeeded (its work is done), so for a task it means on-failure;
 * - at most `max` restarts in a row, the wait doubling from `backoffMs` up to `maxBackoffMs`;
 * - an attempt that was healthy longer than `resetAfterMs` starts the count again: a server that
 *   crashes once a week should not run out of restarts after three weeks, and one that never gets
 *   ready must run out however long each try takes.
 *
 * Pure bookkeeping, no timers, so every rule is testable without waiting.
 */
export class RestartBudget {
  #inARow = 0;

  constructor(
    private readonly policy: RestartPolicy,
    private readonly task: boolean,
  ) {}

  /** After an attempt that was healthy for `healthyMs` and ended on its own, `failed` or not. */
  next(failed: boolean, healthyMs: number): RestartDecision {
    if (healthyMs > this.policy.resetAfterMs) this.#inARow = 0;
    if (!this.#wants(failed)) return { restart: false, budgetSpent: undefined };
    const { max } = this.policy;
    if (this.#inARow >= max) return { restart: false, budgetSpent: max };
    const delayMs = restartDelayMs(this.policy, this.#inARow);
    this.#inARow++;
    return { restart: true, delayMs, number: this.#inARow, max };
  }

  /** Whether {@link next} would restart after such an attempt, without using the budget. */
  wouldRestart(failed: boolean, healthyMs: number): boolean {
    const inARow = healthyMs > this.policy.resetAfterMs ? 0 : this.#inARow;
    return this.#wants(failed) && inARow < this.policy.max;
  }

  /** A start by hand: the count starts again (manual restarts never use the budget). */
  reset(): void {
    this.#inARow = 0;
  }

  #wants(failed: boolean): boolean {
    switch (this.policy.policy) {
      case 'no':
        return false;
      case 'on-failure':
        return failed;
      case 'always':
        return failed || !this.task;
    }
  }
}
