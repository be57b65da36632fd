import type { Condition, Dependency } from '../config/spec.js';

/** Where one milestone of a process stands: not yet, reached, or out of reach for good (and why). */
/**
 * `reason` is a dependent's (`migrate failed (status 3)`, read after "not started: "); `ownWords`, when
 * the process's own end gave it up (a failure, a stop), is that end in the process's own words
 * (`exited with status 3`, `cannot start …: the cwd … does not exist`, `stopped`), for whoever started
 * it by hand, read after `web did not become ready: `.
 */
export type MilestoneState = { readonly kind: 'pending' } | { readonly kind: 'met' } | { readonly kind: 'unmet'; readonly reason: string; readonly ownWords?: string };

const PENDING: MilestoneState = { kind: 'pending' };
const MET: MilestoneState = { kind: 'met' };

/**
 * One thing a dependent can wait for (a process started, became ready, succeeded, completed). Once
 * met it stays met while the process is up (see {@link Milestones.down}); or it is given up with a reason a person reads
 * after "not started: " (`migrate failed (status 3)`). Whoever waits is told of every change, and
 * looks again: a plain promise could only say "met" or "failed", not "pending again" after a
 * manual restart.
 */
export class Milestone {
  #state: MilestoneState = PENDING;
  readonly #listeners = new Set<() => void>();

  get state(): MilestoneState {
    return this.#state;
  }

  meet(): void {
    if (this.#state.kind === 'pending') this.#set(MET);
  }

  /** It can no longer be met in this life: says why. A milestone already met stays met. */
  giveUp(reason: string, ownWords?: string): void {
    if (this.#state.kind === 'pending') this.#set(ownWords === undefined ? { kind: 'unmet', reason } : { kind: 'unmet', reason, ownWords });
  }

  /** A new life of the process (started again by hand): everything is ahead of it again. */
  reset(): void {
    if (this.#state.kind !== 'pending') this.#set(PENDING);
  }

  /** Resolves with its state once it is met or given up (at once when it is already). */
  settled(): Promise<MilestoneState> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#state.kind === 'pending') return;
        stop();
        resolve(this.#state);
      };
      const stop = this.onChange(check);
      check();
    });
  }

  /** Calls `listener` at each change; returns how to stop. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #set(state: MilestoneState): void {
    this.#state = state;
    for (const listener of [...this.#listeners]) listener();
  }
}

/** The four milestones of a process, one per {@link Condition} a dependent can name. */
export class Milestones {
  readonly started = new Milestone();
  readonly ready = new Milestone();
  readonly succeeded = new Milestone();
  readonly completed = new Milestone();

  of(condition: Condition): Milestone {
    return this[condition];
  }

  /** Gives up every milestone not met yet, each with the reason `reasonFor` gives it (and `ownWords`: see {@link MilestoneState}). */
  giveUp(reasonFor: (condition: Condition) => string, ownWords?: string): void {
    for (const condition of CONDITIONS) this.of(condition).giveUp(reasonFor(condition), ownWords);
  }

  reset(): void {
    for (const condition of CONDITIONS) this.of(condition).reset();
  }

  /**
   * The child has exited: its output may still be draining, and its end is judged only after that
   * (up to the drain grace, while something it left holds its pipes). A process that has exited is
   * not ready, however ready it was a moment ago, so a dependent whose last condition is met from
   * now on waits for the verdict (a restart's next ready, or the reason it never will start)
   * instead of starting against a process that is gone. One whose last condition was met before
   * is started all the same (the runner decides at that moment). `started` stays met: it did start.
   */
  exited(): void {
    this.ready.reset();
  }

  /**
   * The process is down until its restart policy's next attempt: being started and ready are ahead
   * of it again, so a dependent that starts meanwhile (restarted by hand or by a change) waits for
   * it to be up, as SPEC §5's `dependsOn` says, not for a crashed attempt's milestones. Dependents
   * already running are left alone; what it did (succeeded, completed) is not undone.
   */
  down(): void {
    this.started.reset();
    this.ready.reset();
  }
}

export const CONDITIONS: readonly Condition[] = ['started', 'ready', 'succeeded', 'completed'];

/** A dependency together with the milestone it waits for. */
export interface Awaited {
  readonly dependency: Dependency;
  readonly milestone: Milestone;
}

/**
 * Waits until every milestone of `awaited` is met (resolves `undefined`), or one can no longer be
 * (resolves with its reason, as soon as it is known, even while others are still pending: there is
 * no point waiting for the rest). `onPending` hears which dependencies are still awaited, each
 * time that changes. Rejects with the signal's reason when it aborts, unless a milestone was given
 * up by then: the reason the dependent can never start is what it reports, not that the run ended.
 */
export async function waitForAll(awaited: readonly Awaited[], signal: AbortSignal, onPending: (pending: readonly Dependency[]) => void): Promise<string | undefined> {
  // Every milestone is listened to once, for the whole wait, and a change only wakes the loop,
  // which looks again. Why. Listening afresh after each change to each milestone still pending
  // cost a listener per pending milestone per change: 300 copies depending on 300 others took
  // 14 s to start, half of it in making and collecting those listeners.
  let changed = noop;
  const wake = (): void => changed();
  const stops = awaited.map(({ milestone }) => milestone.onChange(wake));
  signal.addEventListener('abort', wake);
  try {
    let shown: readonly Awaited[] = [];
    for (;;) {
      const unmet = awaited.map(({ milestone }) => milestone.state).find((state) => state.kind === 'unmet');
      if (unmet?.kind === 'unmet') return unmet.reason;
      const pending = awaited.filter(({ milestone }) => milestone.state.kind === 'pending');
      if (pending.length === 0) return undefined;
      signal.throwIfAborted();
      if (pending.length !== shown.length || pending.some((entry, index) => entry !== shown[index])) onPending(pending.map(({ dependency }) => dependency));
      shown = pending;
      await new Promise<void>((resolve) => (changed = resolve));
    }
  } finally {
    for (const stop of stops) stop();
    signal.removeEventListener('abort', wake);
  }
}

function noop(): void {
  // replaced by the wait's resolve before any change can call it
}

/** Resolves once any of `milestones` is met or given up (at once when one is already). */
export function anySettled(milestones: readonly Milestone[]): Promise<void> {
  return new Promise((resolve) => {
    const stops: (() => void)[] = [];
    const check = (): void => {
      if (milestones.every((milestone) => milestone.state.kind === 'pending')) return;
      for (const stop of stops) stop();
      resolve();
    };
    for (const milestone of milestones) stops.push(milestone.onChange(check));
    check();
  });
}

