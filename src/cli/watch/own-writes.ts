/**
 * How soon after a restart a change counts as the process's own start writing: a compiled file,
 * a database journal, a build's output beside the sources. Long enough for a slow start's first
 * write; a person who saves the same file this soon after each of several restarts is rare, and
 * is only shown a hint.
 */
const SOON_AFTER_START_MS = 2000;

/** In a row, from which a restart is said to look like one the process causes itself. */
const LOOP_AFTER = 3;

/**
 * Tells a process that restarts for its own writes: a process that writes into its watched tree
 * as it starts (`dist/` inside `src/`, a `.sqlite-journal`) restarts, writes, restarts again, for
 * ever, and each state line only names the file. inotify cannot say who wrote a file, so the sign
 * is the pattern: the same paths changed, each time soon after the restart before. Watchers such
 * as nodemon loop the same way without a word.
 */
export class OwnWrites {
  #lastPaths: string | undefined;
  #inARow = 0;
  #lastRestartEndedAt: number | undefined;

  /**
   * A restart for `paths`, the first of them heard at `firstHeardAt` (`performance.now()`), is
   * about to begin: how many restarts in a row, this one included, look like a loop the process
   * makes itself, or `undefined` when this one does not (yet) look like one.
   */
  looping(paths: readonly string[], firstHeardAt: number): number | undefined {
    const key = [...paths].sort().join('\0');
    const soon = this.#lastRestartEndedAt !== undefined && firstHeardAt - this.#lastRestartEndedAt < SOON_AFTER_START_MS;
    this.#inARow = soon && key === this.#lastPaths ? this.#inARow + 1 : 1;
    this.#lastPaths = key;
    return this.#inARow >= LOOP_AFTER ? this.#inARow : undefined;
  }

  /** The restart is over (the process and its dependents started again): its own writes come from now on. */
  restarted(): void {
    this.#lastRestartEndedAt = performance.now();
  }
}
