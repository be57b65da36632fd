import type { FSWatcher } from 'node:fs';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { node } from '../../builtins.js';
import { lstatOf } from '../../process/stat.js';
import { MISSING, toldItsOwnRemoval, versionOf } from './lookups.js';

/**
 * Where a change to a link chain can be heard: a directory, and the name in it that matters. The
 * end of the chain (the file read through the links), or a link on the way to it, a file's or a
 * directory's, or the first name on the way that is not there (yet).
 */
interface ListeningPoint {
  readonly dir: string;
  readonly name: string;
  readonly end: boolean;
}

/** The kernel's own limit of links followed in one lookup (Linux's MAXSYMLINKS): past it, a loop. */
const MOST_LINKS = 40;

/**
 * Follows `file`, a symbolic link or a file reached through one (`.env` -> `../shared/.env` ->
 * `/srv/app/current/.env`, with `current` -> `releases/v2`), name by name as the kernel does, and
 * listens where each link on the way lives, and where its end does. A write to the end, a save of it by rename, a link on the way
 * pointed elsewhere, the end or a directory on the way gone and made again: each is told as a
 * change of `file`, and the chain is followed anew. `file` itself lives in a directory its owner
 * watches: that owner calls {@link LinkChain.follow} when `file` changes.
 */
export class LinkChain {
  /** The watch of each point listened at, by its key; undefined for one that could not be watched (said once). */
  readonly #watchers = new Map<string, FSWatcher | undefined>();
  /** What the end was when last looked at, after the watches were set (see {@link versionOf}). */
  #end = MISSING;
  #closed = false;

  /**
   * @param ownerWatches - Whether `file` itself is heard by its owner (a file root, through its
   *   directory), which then calls {@link follow}; when not (a directory root, which its owner
   *   watches from inside), `file` is a point to listen at too when it is a link.
   */
  constructor(
    private readonly file: string,
    private readonly changed: () => void,
    private readonly failed: (path: string, error: unknown) => void,
    private readonly ownerWatches = true,
  ) {
    this.follow();
  }

  /** Follows the chain again, listening where it now leads; true when the end is not what it was. */
  follow(): boolean {
    if (this.#closed) return false;
    const points = new Map(followChain(this.file, this.ownerWatches).map((point) => [keyOf(point), point]));
    const same = points.size === this.#watchers.size && [...points.keys()].every((key) => this.#watchers.has(key));
    if (!same) {
      this.#closeWatchers();
      for (const [key, point] of points) this.#listen(key, point);
    }
    // Looked at once the watches are set: an end made between the look and the watch (a `cp -r`
    // makes the directory, then the file in it at once) is not heard by a watch set after it.
    const before = this.#end;
    this.#end = versionOf(this.file);
    return this.#end !== before;
  }

  /**
   * After events may have been lost (see LostEvents): the chain followed anew, and told if its end
   * is not what it was when last looked at (a write to it in a flood that overflowed the queue).
   */
  catchUp(): void {
    if (this.follow()) this.changed();
  }

  close(): void {
    this.#closed = true;
    this.#closeWatchers();
  }

  #listen(key: string, point: ListeningPoint): void {
    let watcher: FSWatcher;
    try {
      watcher = node.fs.watch(point.dir, (_event, name) => this.#heard(key, point, name));
    } catch (error) {
      // Kept as tried: said once, not again at every change of the rest of the chain.
      this.#watchers.set(key, undefined);
      this.failed(point.dir, error);
      return;
    }
    watcher.on('error', () => this.#watchGone(key, watcher));
    this.#watchers.set(key, watcher);
  }

  #heard(key: string, point: ListeningPoint, name: string | Buffer | null): void {
    if (this.#closed) return;
    // Its directory removed: the watch is dead (inotify says so with an event of the directory's
    // name, not an 'error'), even if a directory of that name is made again at once. (So does a
    // touch or a chmod of the directory: watched anew, and told only if the end changed.)
    if (toldItsOwnRemoval(point.dir, name)) {
      this.#watchGone(key, this.#watchers.get(key));
      return;
    }
    if (name?.toString() !== point.name) return;
    const endChanged = this.follow();
    // A write to the end is a change; on the way, only what made the end another, or come, or go.
    if (point.end || endChanged) this.changed();
  }

  /** A watch that ended (its directory went, or may have): the chain is followed anew, told if its end is not what it was. */
  #watchGone(key: string, watcher: FSWatcher | undefined): void {
    watcher?.close();
    if (this.#watchers.get(key) === watcher) this.#watchers.delete(key);
    if (this.follow()) this.changed();
  }

  #closeWatchers(): void {
    for (const watcher of this.#watchers.values()) watcher?.close();
    this.#watchers.clear();
  }
}

/**
 * Resolves `file` (absolute) name by name, as the kernel does: a link's target is read relative to
 * the real directory it is in, so `..` after a linked directory leads where the kernel goes. Each
 * link met on the way is a point to listen at (but `file` itself when its owner watches it), and so
 * is the end, or the first name that is not there; past {@link MOST_LINKS} links it is a loop,
 * with no end.
 */
function followChain(file: string, ownerWatches: boolean): ListeningPoint[] {
  const points: ListeningPoint[] = [];
  const pending = namesOf(file);
  let at: string = sep;
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '.') continue;
    if (name === '..') {
      at = dirname(at);
      continue;
    }
    const path = join(at, name);
    const isLast = pending.length === 0;
    const found = lookUp(path);
    if (found.kind === 'link') {
      if (path !== file || !ownerWatches) points.push({ dir: at, name, end: false });
      if (++links > MOST_LINKS) return points;
      pending.unshift(...namesOf(found.target));
      if (isAbsolute(found.target)) at = sep;
      continue;
    }
    if (found.kind === 'missing' || (found.kind === 'other' && !isLast)) {
      points.push({ dir: at, name, end: isLast });
      return points;
    }
    if (isLast) {
      points.push({ dir: at, name, end: true });
      return points;
    }
    at = path;
  }
  return points;
}

function namesOf(path: string): string[] {
  return path.split(sep).filter((name) => name !== '');
}

/**
 * What is at `path`, not following a link: a link with its target, a directory, something else,
 * or nothing we can go through (not there, not a directory, not ours to read: a name to listen
 * for, since it may come, or change, later).
 */
function lookUp(path: string): { readonly kind: 'link'; readonly target: string } | { readonly kind: 'directory' | 'other' | 'missing' } {
  const stats = lstatOf(path);
  if (stats === undefined) return { kind: 'missing' };
  if (!stats.isSymbolicLink()) return { kind: stats.isDirectory() ? 'directory' : 'other' };
  try {
    return { kind: 'link', target: node.fs.readlinkSync(path) };
  } catch {
    return { kind: 'missing' }; // gone between the look and the read
  }
}

function keyOf(point: ListeningPoint): string {
  return `${point.dir}\0${point.name}\0${point.end ? 'end' : 'way'}`;
}
