import { node } from '../../builtins.js';

/** What a {@link LostEvents} asks of a tree once events may have been lost. */
export interface CatchingUp {
  /** Looks at the tree again: watches what is not watched yet, forgets what went, tells both as changes. */
  catchUp(): void;
}

/** How long the events must stop before the trees are looked at again: one look after a flood, not one during it. */
const QUIET_MS = 100;

/**
 * inotify keeps at most `fs.inotify.max_queued_events` (16384 by default) events unread for one
 * watching process, and drops the rest; Node does not say so (libuv passes over inotify's
 * overflow event). A directory made in such a flood (a `git checkout` or a build of a big tree on
 * a loaded machine, all the process's watches sharing that one queue) is then never watched, and
 * nothing under it is heard again, for the rest of the run. An overflow cannot be seen, but it
 * needs that many events unread at once, so once half as many have come in one after another
 * (none more than {@link QUIET_MS} after the one before), every tree is looked at again when the
 * events stop. A process that never hears a flood never pays for a look: events spread out (a
 * log file beside the sources, left out by a glob, written all day) are read as they come, and
 * overflow nothing, however many there are in all.
 */
export class LostEvents {
  readonly #trees = new Set<CatchingUp>();
  /** Read at the first event, not at import. */
  #floodSize: number | undefined;
  /** Events heard in this burst: since the last look, or the last pause of QUIET_MS. */
  #heard = 0;
  #lastHeardAt = 0;
  #quietTimer: NodeJS.Timeout | undefined;

  constructor(floodSize?: number) {
    this.#floodSize = floodSize;
  }

  watch(tree: CatchingUp): void {
    this.#trees.add(tree);
  }

  /** A tree is closed: nothing to look at, and with none left, no timer keeps the process alive. */
  unwatch(tree: CatchingUp): void {
    this.#trees.delete(tree);
    if (this.#trees.size === 0) this.#reset();
  }

  /** One event came in, from any tree. */
  heard(): void {
    this.#floodSize ??= queuedEventsLimit() / 2;
    const now = performance.now();
    // A pause: what came before it was read meanwhile, and is not in the queue with what follows.
    if (now - this.#lastHeardAt > QUIET_MS && this.#quietTimer === undefined) this.#heard = 0;
    this.#lastHeardAt = now;
    if (++this.#heard < this.#floodSize) return;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => {
      this.#reset();
      for (const tree of [...this.#trees]) tree.catchUp();
    }, QUIET_MS);
  }

  #reset(): void {
    clearTimeout(this.#quietTimer);
    this.#quietTimer = undefined;
    this.#heard = 0;
  }
}

/** The kernel's limit of events queued unread (`fs.inotify.max_queued_events`), 16384 where it cannot be read. */
function queuedEventsLimit(): number {
  try {
    const limit = Number(node.fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
    return Number.isSafeInteger(limit) && limit > 0 ? limit : 16384;
  } catch {
    return 16384;
  }
}

/** The one queue of this process's watches (libuv's one inotify instance): every tree counts its events here. */
export const lostEvents = new LostEvents();
