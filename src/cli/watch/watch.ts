import { dirname, relative } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { withDependencies } from '../config/graph.js';
import type { ProcessSpec, WatchSpec } from '../config/spec.js';
import type { Output } from '../output.js';
import { ignoreRule } from './ignore.js';
import { WatchError, watchErrorAsWritten } from './errors.js';
import { watchTree, type Watching } from './tree.js';
import { destinationOf, exists } from './lookups.js';
import { OwnWrites } from './own-writes.js';
import { failureIdentity } from '../stack/failures.js';
import { formatDuration } from '../stack/state.js';

/**
 * How long a burst may go on before the run says it does (Tilt's figure): a process that writes
 * into its own watched tree without a pause as long as the debounce (its log, a database journal,
 * a build's output) makes one endless burst, and a save beside it would go unheard without a word.
 * The restart still waits for the pause (SPEC: one restart per burst, trailing-edge; a restart cut
 * into the burst would come again every 10 s, the process's own writes making the next burst), but
 * the state line names what keeps changing and the way out. A `git checkout` or a formatter run
 * over a whole project is over well within it.
 */
const LONG_BURST_MS = 10_000;

/** What a restart's state line adds when the changes look like the process's own writes: the way out. */
const LEAVE_IT_OUT = '(if the process writes there itself, leave that out with `ignore`)';

/** What watching needs of the running stack (the `Stack` coordinator). */
export interface Restartable {
  /** The end of the run is decided: a change then restarts nothing. */
  readonly ending: boolean;
  /**
   * Restarts `name` (every copy of it, with their dependents) as a change to its watched paths
   * asks; resolves with the processes (by their names in the config) that were started again.
   */
  restartForChange(name: string): Promise<readonly string[]>;
  /** Every copy of `name` was stopped by `subvisor stop`, and stays stopped whatever changes. */
  keptStopped(name: string): boolean;
  /** Every copy of `name` still waits for its `dependsOn`, never spawned in its life, or stays stopped: a change has nothing to restart. */
  waitingToStart(name: string): boolean;
  /** A burst of changes for `name` ended (before its restart waits its turn): a re-run of it waiting out a backoff need not. */
  changeHeard(name: string): void;
  /** When each copy of `name` last spawned (`performance.now()`): none before its first start. */
  lastSpawns(name: string): readonly number[];
}

/**
 * Watch mode (SPEC §10): watches the paths of every process that has `watch`, and restarts it
 * through `stack` after each burst of changes, with a state line that says why
 * (`web * restarting: src/app.ts changed`). Restarts go one at a time (two chains restarting at
 * once could stop a process the other is starting), bursts that ended together in start order, and
 * a process that a chain restarted after its own last change is not restarted again for it:
 * `build` and `web` (which depends on it) watching the same file restart `web` once a save, not
 * twice. A burst that ends while a process it depends on is still collecting one (a longer
 * debounce) waits for that burst: the chain that restarts `build` then restarts `web` too.
 *
 * Everything is watched before this returns, so a path that cannot be watched is a
 * {@link ConfigError} (at the process's `watch`) before anything starts. `close()` ends every
 * watch and timer: nothing is left to keep the CLI alive after the run. `ownPaths` (absolute: the
 * log directory, the control socket) are never watched (see {@link ignoreRule}).
 */
export function watchStack(stack: Restartable, specs: readonly ProcessSpec[], output: Pick<Output, 'status'>, ownPaths: readonly string[] = []): Watching {
  const lane = new RestartLane(output, (process) => watched.indexOf(process));
  const watched: WatchedProcess[] = [];
  // Each also by its real directories: a log directory named by a link (`logs -> var/logs`) is
  // heard by the watch of the tree that holds its target as var/logs/web.log, which the name in
  // the config does not cover, and every line written to it would be a change. A NAME.log that is
  // a link is left out where it leads, its target not made yet included.
  const own = ownPaths.flatMap((path) => [...new Set([path, destinationOf(path)])]);
  try {
    for (const [name, spec] of watchedProcesses(specs)) if (spec.watch !== undefined) watched.push(new WatchedProcess(name, spec, spec.watch, stack, lane, output, own));
  } catch (error) {
    for (const process of watched) process.close();
    throw error;
  }
  for (const process of watched) {
    const upstream = upstreamOf(process.name, specs);
    process.upstream = watched.filter((other) => upstream.has(other.name));
  }
  return {
    close: () => {
      for (const process of watched) process.close();
    },
  };
}

/**
 * The processes to watch, by their name in the config, each with the spec of its first copy: the
 * copies of a replicated process (`web.1` ... `web.N`) share their `watch`, so one watcher serves
 * them all, and a burst restarts them together, once (not once per copy).
 */
function watchedProcesses(specs: readonly ProcessSpec[]): Map<string, ProcessSpec> {
  const byName = new Map<string, ProcessSpec>();
  for (const spec of specs) {
    const name = spec.replica?.of ?? spec.name;
    if (!byName.has(name)) byName.set(name, spec);
  }
  return byName;
}

/**
 * The processes (by their names in the config: `web` for its copies) that `name` depends on,
 * directly or not: a restart of any of them restarts `name` too, as part of its chain.
 */
function upstreamOf(name: string, specs: readonly ProcessSpec[]): Set<string> {
  const configName = (spec: ProcessSpec): string => spec.replica?.of ?? spec.name;
  const copies = specs.filter((spec) => configName(spec) === name).map((spec) => spec.name);
  const reached = withDependencies(specs, copies);
  return new Set(specs.filter((spec) => reached.has(spec.name) && configName(spec) !== name).map(configName));
}

/** A path changed since the last restart. */
interface Change {
  /** Absolute. */
  readonly path: string;
  /** When it was last heard (`performance.now()`). */
  readonly heardAt: number;
  /** Nothing was there before its first change since the last restart (see TreeListener.changed). */
  readonly made: boolean;
}

/** One process's watches (all its copies') and the burst of changes they are collecting. */
class WatchedProcess {
  readonly #watches: Watching[] = [];
  /** The paths changed since the last restart began (shown relative to the cwd), the latest last. */
  readonly #changed = new Map<string, Change>();
  #quietTimer: NodeJS.Timeout | undefined;
  /** When the first change of the burst being collected was heard (`performance.now()`). */
  #burstBeganAt: number | undefined;
  /** The burst being collected was said to go on (see {@link LONG_BURST_MS}): said once a burst. */
  #burstSaid = false;
  readonly #cwd: string;
  /** The cwd's pieces when a variable made it: paths under it are named as written in what is said. */
  readonly #cwdParts: ProcessSpec['cwdParts'];
  readonly #ownWrites = new OwnWrites();
  /** The watched processes it depends on, directly or not (set once all are watched). */
  upstream: readonly WatchedProcess[] = [];
  /** Dependents whose bursts ended during this one's: they go to the lane once this one's has. */
  readonly #waitingForMe = new Set<WatchedProcess>();

  constructor(
    /** The process's name in the config: `web` for the copies `web.1` ... `web.N`. */
    readonly name: string,
    spec: ProcessSpec,
    private readonly watch: WatchSpec,
    private readonly stack: Restartable,
    private readonly lane: RestartLane,
    private readonly output: Pick<Output, 'status'>,
    ownPaths: readonly string[],
  ) {
    this.#cwd = spec.cwd ?? process.cwd();
    this.#cwdParts = spec.cwdParts;
    const ignored = ignoreRule(watch.ignore, this.#cwd, ownPaths);
    for (const path of watch.paths) {
      try {
        this.#watches.push(watchTree(path, ignored, { changed: (changed, made) => this.#heard(changed, made === true), failed: (error) => this.#say(error) }));
      } catch (error) {
        this.close();
        throw error instanceof WatchError ? watchProblem(name, spec, watchErrorAsWritten(error, this.#cwd, this.#cwdParts), error) : error;
      }
    }
  }

  close(): void {
    clearTimeout(this.#quietTimer);
    this.#quietTimer = undefined;
    for (const watching of this.#watches) watching.close();
  }

  /**
   * How long its bursts go on before it says so: {@link LONG_BURST_MS}, or twice the debounce if
   * that is longer. Not the debounce itself: then every burst of two changes (a save and its
   * formatter's rewrite) would be told as a process writing there itself.
   */
  get #longBurstMs(): number {
    return Math.max(LONG_BURST_MS, 2 * this.watch.debounceMs);
  }

  /**
   * Trailing-edge debounce: each change pushes the restart back until the paths have been quiet
   * for `debounce`, so a burst (a save, a formatter, a checkout) is one restart, made once it is
   * over; one that goes on past {@link #longBurstMs} is said, once.
   */
  #heard(path: string, made: boolean): void {
    const now = performance.now();
    const shown = relative(this.#cwd, path) || '.';
    const earlier = this.#changed.get(shown);
    this.#changed.delete(shown); // the latest change is named in the state line
    this.#changed.set(shown, { path, heardAt: now, made: earlier?.made ?? made });
    this.#burstBeganAt ??= now;
    if (!this.#burstSaid && now - this.#burstBeganAt >= this.#longBurstMs) this.#sayLongBurst(shown);
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#quiet(), this.watch.debounceMs);
  }

  /** A burst that does not end: what keeps changing, that the restart waits for a pause, and the way out. */
  #sayLongBurst(latest: string): void {
    this.#burstSaid = true;
    const more = this.#changed.size - 1;
    this.output.status({
      name: this.name,
      event: 'restart-waits',
      text: `restart waits: ${latest}${more > 0 ? ` and ${more} more` : ''} changing, with no pause of ${formatDuration(this.watch.debounceMs)} in ${formatDuration(this.#longBurstMs)} ${LEAVE_IT_OUT}`,
      fields: { reason: 'change', path: latest, more, debounceMs: this.watch.debounceMs, burstMs: this.#longBurstMs },
    });
  }

  /**
   * The burst is over. A restart already waiting in the lane takes these changes along; one that
   * is under way (it took the changes before these) is followed by one more: never lost, never doubled.
   */
  #quiet(): void {
    this.#quietTimer = undefined;
    this.#burstBeganAt = undefined;
    this.#burstSaid = false;
    // A burst of a process it depends on, still being collected, will restart it with its chain.
    const collecting = this.upstream.find((other) => other.#quietTimer !== undefined);
    if (collecting !== undefined) {
      collecting.#waitingForMe.add(this);
      return;
    }
    this.#forgetCameAndWent();
    // Nothing is left that changed (a temporary file came and went): a restart, and the end of a
    // backoff that changeHeard brings, would be for nothing.
    if (this.#changed.size > 0) {
      this.stack.changeHeard(this.name);
      this.lane.add(this);
    }
    const waiting = [...this.#waitingForMe];
    this.#waitingForMe.clear();
    // One that heard more since waits for its own quiet again.
    for (const dependent of waiting) if (dependent.#quietTimer === undefined) dependent.#quiet();
  }

  /**
   * Its turn in the lane: restarts it for the changes heard so far, but those heard before a chain
   * restarted it (`restartedAt`, when that restart began) are dealt with already; with nothing
   * else, nothing restarts. Resolves with the processes started again.
   */
  async restart(restartedAt: number | undefined): Promise<readonly string[]> {
    this.#forgetCameAndWent();
    const heard = [...this.#changed].filter(([, { heardAt }]) => restartedAt === undefined || heardAt >= restartedAt);
    const changed = heard.map(([path]) => path);
    this.#changed.clear();
    const latest = changed.at(-1);
    if (latest === undefined || this.stack.ending) return [];
    // Nothing would restart: a `restarting` line would announce what never comes.
    if (this.stack.keptStopped(this.name)) return [];
    // Not started yet, it reads the changed files when it does: `restarting` and `stopped` lines
    // would tell of a life that never began.
    if (this.stack.waitingToStart(this.name)) return [];
    const more = changed.length - 1;
    // In the order last heard: the first is the earliest of the last changes, near enough the
    // burst's start (not Math.min(...all): 150 000 files checked out are more arguments than a call takes).
    const looping = this.#ownWrites.looping(changed, heard[0]?.[1].heardAt ?? performance.now(), this.stack.lastSpawns(this.name));
    const why = looping !== undefined ? `, each time soon after its start, ${looping} times in a row ${LEAVE_IT_OUT}` : '';
    this.output.status({
      name: this.name,
      event: 'restarting',
      text: `restarting: ${latest}${more > 0 ? ` and ${more} more` : ''} changed${why}`,
      fields: { reason: 'change', path: latest, more, ...(looping !== undefined ? { soonAfterStart: looping } : {}) },
    });
    try {
      return await this.stack.restartForChange(this.name);
    } finally {
      this.#ownWrites.restarted();
    }
  }

  /**
   * Forgets the paths made since the last restart that are gone again: nothing changed there. A
   * tool that writes through a temporary file (`sed -i`'s `sedXXXXXX`, atomic writers' `.app.ts.123`)
   * would otherwise be counted in every save's `and N more`, or restart the process on its own.
   * So are the paths gone under a directory that came and went: nothing was there before it (its
   * files, listed when it was found, are not heard as made: `mv tmp src/`, then `rm -r src/tmp`).
   */
  #forgetCameAndWent(): void {
    const cameAndWent = new Set<string>();
    for (const [shown, change] of this.#changed) {
      if (change.made && !exists(change.path)) {
        cameAndWent.add(change.path);
        this.#changed.delete(shown);
      }
    }
    if (cameAndWent.size === 0) return;
    for (const [shown, change] of this.#changed) if (isUnder(change.path, cameAndWent) && !exists(change.path)) this.#changed.delete(shown);
  }

  #say(error: WatchError): void {
    this.output.status({ name: this.name, event: 'failed', text: `${watchErrorAsWritten(error, this.#cwd, this.#cwdParts)}; changes under it go unnoticed`, fields: failureIdentity(error) });
  }
}

/**
 * Runs restarts one after another, the waiting ones in start order (`rank`), so that a process
 * restarted by a chain is not restarted a second time after it; one that fails is said, and the
 * next still runs. Of those with nothing they depend on waiting too, a restart passed over once
 * goes before any that came later, so a process whose restarts retrigger themselves (a task
 * writing into its own watched tree) cannot starve the rest; one whose upstream waits is dealt
 * with by that upstream's chain.
 */
class RestartLane {
  readonly #waiting: { readonly process: WatchedProcess; passedOver: boolean }[] = [];
  #running = false;
  /** When the latest restart that started each process again began, by its name in the config. */
  readonly #restartedAt = new Map<string, number>();

  constructor(
    private readonly output: Pick<Output, 'status'>,
    private readonly rank: (process: WatchedProcess) => number,
  ) {}

  /** Queues a restart of `process`, unless one is waiting already (it takes the new changes along). */
  add(process: WatchedProcess): void {
    if (!this.#waiting.some((waiting) => waiting.process === process)) this.#waiting.push({ process, passedOver: false });
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    // One turn first: bursts that ended together (one save seen by several processes' watches)
    // are then all waiting, and go in start order.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let next = this.#takeFirst(); next !== undefined; next = this.#takeFirst()) {
      const beganAt = performance.now();
      try {
        for (const name of await next.restart(this.#restartedAt.get(next.name))) this.#restartedAt.set(name, beganAt);
      } catch (error) {
        this.output.status({ name: 'subvisor', event: 'failed', text: `a restart after a change failed: ${error instanceof Error ? error.message : String(error)}`, fields: failureIdentity(error) });
      }
    }
    this.#running = false;
  }

  /**
   * The next restart, taken out of the queue: of those with nothing they depend on waiting too (its
   * chain restarts them, after the task has run again), the first passed over before, else the one
   * earliest in start order. A dependent that went first would restart on the old build, and again
   * with the chain.
   */
  #takeFirst(): WatchedProcess | undefined {
    const free = this.#waiting.filter(({ process }) => !process.upstream.some((other) => this.#waiting.some((waiting) => waiting.process === other)));
    if (free.length === 0) return undefined; // only when nothing waits: what depends on what has no cycle
    const first = free.find((waiting) => waiting.passedOver) ?? free.reduce((best, waiting) => (this.rank(waiting.process) < this.rank(best.process) ? waiting : best));
    this.#waiting.splice(this.#waiting.indexOf(first), 1);
    for (const waiting of this.#waiting) waiting.passedOver = true;
    return first.process;
  }
}

/** A path that cannot be watched, reported as the config's problem (`message`: the error in the config's words): at the process's `watch`, before anything starts. */
function watchProblem(name: string, spec: ProcessSpec, message: string, error: WatchError): ConfigError {
  const { source } = spec;
  return new ConfigError([{ file: source?.file ?? '<config>', line: source?.line, column: source?.column, path: `processes.${name}.watch`, process: name, message, cause: error }]);
}

/** Whether a directory above `path` is one of `dirs`. */
function isUnder(path: string, dirs: ReadonlySet<string>): boolean {
  for (let at = dirname(path); at !== dirname(at); at = dirname(at)) if (dirs.has(at)) return true;
  return false;
}
