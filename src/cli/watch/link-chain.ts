import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { node } from '../../builtins.js';
import { isDirectory, nearestDirectory } from './lookups.js';

/**
 * Where a change to a link chain can be heard: a directory, and the name in it that matters, or
 * every name when the chain runs into a directory that is not there (yet): then `dir` is its
 * nearest ancestor that is, and whatever happens there may bring it back.
 */
interface ListeningPoint {
  readonly dir: string;
  readonly name: string | undefined;
}

/** The kernel's own limit of links followed in one lookup (Linux's MAXSYMLINKS): past it, a loop. */
const MOST_LINKS = 40;

/**
 * Follows the symbolic links from `file` (`.env` -> `../shared/.env` -> `/etc/app/env`) to the
 * first path that is not a link, or not there, and listens where each of them lives. A write to
 * the end of the chain, a save of it by rename, a link in the middle pointed elsewhere, a target
 * gone and made again, even with its directory: each is told as a change of `file`, and the
 * chain is followed anew. `file` itself lives in a directory its owner watches: that owner calls
 * {@link LinkChain.follow} when `file` changes.
 */
export class LinkChain {
  readonly #watchers = new Map<string, FSWatcher>();
  #closed = false;

  constructor(
    private readonly file: string,
    private readonly changed: () => void,
    private readonly failed: (path: string, error: unknown) => void,
  ) {
    this.follow();
  }

  /** Follows the chain again, listening where it now leads; true when that changed where we listen. */
  follow(): boolean {
    if (this.#closed) return false;
    const points = new Map(listeningPoints(this.file).map((point) => [keyOf(point), point]));
    const same = points.size === this.#watchers.size && [...points.keys()].every((key) => this.#watchers.has(key));
    if (same) return false;
    this.#closeWatchers();
    for (const [key, point] of points) this.#listen(key, point);
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#closeWatchers();
  }

  #listen(key: string, point: ListeningPoint): void {
    let watcher: FSWatcher;
    try {
      watcher = node.fs.watch(point.dir, (_event, name) => this.#heard(point, name));
    } catch (error) {
      this.failed(point.dir, error);
      return;
    }
    // Its directory went away: the chain is followed anew at the next change heard, or now.
    watcher.on('error', () => {
      watcher.close();
      if (this.#watchers.get(key) === watcher) this.#watchers.delete(key);
      if (this.follow()) this.changed();
    });
    this.#watchers.set(key, watcher);
  }

  #heard(point: ListeningPoint, name: string | Buffer | null): void {
    if (this.#closed) return;
    if (point.name === undefined) {
      // A directory on the way may be back: the chain's end is told only once it is there.
      if (this.follow() && endExists(this.file)) this.changed();
    } else if (name !== null && name.toString() === point.name) {
      this.follow(); // made, removed, or pointed elsewhere
      this.changed();
    }
  }

  #closeWatchers(): void {
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }
}

/** Where the chain from `file` can change, past `file` itself; none when `file` is not a link. */
function listeningPoints(file: string): ListeningPoint[] {
  const points: ListeningPoint[] = [];
  let at = file;
  for (let hop = 0; hop < MOST_LINKS; hop++) {
    const target = linkTarget(at);
    if (target === undefined) break;
    // Relative to the link's real directory, as the kernel reads it (`..` past a linked directory).
    at = resolve(realDirectory(dirname(at)), target);
    const dir = realDirectory(dirname(at));
    if (!isDirectory(dir)) {
      points.push({ dir: nearestDirectory(dir), name: undefined });
      break;
    }
    points.push({ dir, name: basename(at) });
  }
  return points;
}

function keyOf(point: ListeningPoint): string {
  return `${point.dir}\0${point.name ?? ''}`;
}

/** What the link at `path` holds; undefined when it is not a link, or not there. */
function linkTarget(path: string): string | undefined {
  try {
    return node.fs.readlinkSync(path);
  } catch {
    return undefined;
  }
}

function realDirectory(dir: string): string {
  try {
    return node.fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

/** Whether `file`, followed to its end, is there. */
function endExists(file: string): boolean {
  try {
    node.fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}
