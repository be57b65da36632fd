/**
 * How soon after a restart (or a start) a change counts as the process's own start writing: a compiled file,
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
 * is the pattern: the same paths changed, each time soon after the restart before, the first of
 * them soon after a start of the process too. An editor's autosave makes the same pattern once
 * it has begun (each save comes soon after the restart the one before made), but its first save
 * comes whenever its user began typing, long after the start. Watchers such as nodemon loop the
 * same way without a word.
 */
export class OwnWrites {
  #lastPaths: string | undefined;
  #inARow = 0;
  /** The restarts in a row began with a change heard soon after a start of the process. */
  #beganAtAStart = false;
  #lastRestartEndedAt: number | undefined;

  /**
   * A restart for `paths`, the first of them heard at `firstHeardAt` (`performance.now()`), is
   * about to begin; `spawns` are when each copy of the process last started, on the same clock:
   * how many restarts in a row, this one included, look like a loop the process makes itself, or
   * `undefined` when this one does not (yet) look like one.
   */
  looping(paths: readonly string[], firstHeardAt: number, spawns: readonly number[]): number | undefined {
    const key = [...paths].sort().join('\0');
    const soon = this.#lastRestartEndedAt !== undefined && firstHeardAt - this.#lastRestartEndedAt < SOON_AFTER_START_MS;
    if (soon && key === this.#lastPaths) {
      this.#inARow += 1;
    } else {
      this.#inARow = 1;
      // A change heard before the copy's spawn is none of that copy's writes.
      this.#beganAtAStart = spawns.some((spawnedAt) => firstHeardAt >= spawnedAt && firstHeardAt - spawnedAt < SOON_AFTER_START_MS);
    }
    this.#lastPaths = key;
    return this.#beganAtAStart && this.#inARow >= LOOP_AFTER ? this.#inARow : undefined;
  }

  /** The restart is over (the process and its dependents started again): its own writes come from now on. */
  restarted(): void {
    this.#lastRestartEndedAt = performance.now();
  }
}
