import type { FSWatcher } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { IgnoreRule } from './ignore.js';
import { LinkChain } from './link-chain.js';
import { lostEvents, type CatchingUp } from './lost-events.js';
import { exists, identityOf, isDirectory, isSymbolicLink, MISSING, namesDirectory, nearestDirectory, reachedThroughLinks, realPathOf, toldItsOwnRemoval, versionOf } from './lookups.js';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import { WatchError } from './errors.js';

/** What a {@link watchTree} hears about. */
export interface TreeListener {
  /**
   * Something at `path` (absolute) was created, written, renamed or removed; `made`: nothing was
   * there before this change, as far as the watch knows (a tool's temporary file, when it is gone
   * again once the burst is over, changed nothing).
   */
  readonly changed: (path: string, made?: boolean) => void;
  /** A directory that appeared later could not be watched: changes under it go unnoticed. */
  readonly failed: (error: WatchError) => void;
}

/** Open watches; `close()` ends them all (nothing is left to keep the process alive). */
export interface Watching {
  close(): void;
}

/**
 * Watches `root`, a file or a directory with everything under it, except what `ignored` leaves
 * out. Throws a {@link WatchError} when it cannot.
 *
 * Not `fs.watch(root, { recursive: true })`: on Linux, Node 20 emulates it in JavaScript by
 * walking the whole tree synchronously and watching every file and directory in it, `node_modules`
 * included (we skip those anyway), which can take tens of thousands of inotify watches and reach
 * the system's limit. Here each directory that is not left out gets one non-recursive watch, and
 * a directory that appears later gets its own as it is noticed. A file root is watched through its
 * directory: editors save by writing a new file and renaming it over the old one, which a watch
 * of the old file's inode would never see.
 */
export function watchTree(root: string, ignored: IgnoreRule, listener: TreeListener): Watching {
  const tree = new Tree(root, ignored, listener);
  try {
    if (identityOf(root) === undefined) tree.awaitRoot();
    else tree.watchRoot();
    lostEvents.watch(tree);
  } catch (error) {
    tree.close();
    throw error instanceof WatchError ? error : new WatchError(root, error);
  }
  return tree;
}

class Tree implements Watching, CatchingUp {
  readonly #watchers = new Map<string, FSWatcher>();
  /** The names in each watched directory, as last read or heard: what was there before a change (see Tree.#madeBy). */
  readonly #names = new Map<string, Set<string>>();
  /** Which directory each watch is of (see identityOf), to tell one made anew in events that were lost. */
  readonly #identities = new Map<string, string | undefined>();
  #closed = false;
  /** Which directory the root watched is (see identityOf): one of the same name made anew, or a link's new target, is another, its watch not ours. */
  #rootIdentity: string | undefined;
  /**
   * While a directory we need is gone (the root, or a file root's directory): the watch of its
   * nearest ancestor that is there, `at`, which waits for it to come back.
   */
  #awaiting: { readonly at: string; readonly watcher: FSWatcher } | undefined;
  /** For a file root: which version of it was last told or looked at (see versionOf), to tell a change in events that were lost. */
  #fileSeen: string | undefined;
  /** For a root that is a symbolic link, or reached through one: where its links lead (see LinkChain). */
  #links: LinkChain | undefined;
  /** Where each link to a file in the tree leads (`src/config.json` -> `../shared/config.json`), by the link's path. */
  readonly #fileLinks = new Map<string, LinkChain>();

  constructor(
    private readonly root: string,
    private readonly ignored: IgnoreRule,
    private readonly listener: TreeListener,
  ) {}

  /** Watches the root as what it is: a directory with its tree, or a file through its directory. */
  watchRoot(): void {
    if (node.fs.statSync(this.root).isDirectory()) {
      this.add(this.root);
      this.followRootLinks();
    } else this.watchFileThroughDirectory(this.root);
  }

  /**
   * A root not there yet (a build's `dist`, made once the run has started): its nearest ancestor
   * that is there is watched until it appears (as Compose's watcher does), then it is watched as
   * what it turned out to be, and told as a change.
   */
  awaitRoot(): void {
    this.#awaitPath(this.root, (path) => identityOf(path) !== undefined, () => {
      try {
        this.watchRoot();
      } catch (error) {
        this.listener.failed(error instanceof WatchError ? error : new WatchError(this.root, error));
        return;
      }
      this.listener.changed(this.root);
    });
  }

  /** Watches `dir` and every directory under it that is not left out; throws a WatchError on the way. */
  add(dir: string): void {
    if (this.#closed || this.#watchers.has(dir) || (dir !== this.root && this.ignored(dir, this.root))) return;
    let watcher: FSWatcher;
    try {
      watcher = node.fs.watch(dir, (_event, name) => this.#heard(dir, name));
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return; // gone already: its parent says so
      // A directory we may not read (a database's data directory, owned by its user) holds no
      // change we could see anyway: it is left out rather than failing the whole watch.
      if (dir !== this.root && (code === 'EACCES' || code === 'EPERM')) return;
      throw new WatchError(dir, error);
    }
    // Errors come when the watched directory goes away on some systems: the parent reports that.
    watcher.on('error', () => this.#forget(dir));
    this.#watchers.set(dir, watcher);
    this.#identities.set(dir, identityOf(dir));
    if (dir === this.root) this.#rootIdentity = this.#identities.get(dir);
    const { directories, links, names } = entriesOf(dir);
    this.#names.set(dir, new Set(names));
    for (const entry of directories) this.add(join(dir, entry));
    for (const entry of links) this.#followFileLink(join(dir, entry));
  }

  /**
   * Listens where a link in the tree to a file leads (`src/config.json` -> `../shared/config.json`,
   * a monorepo's shared file): a write to it, through the link or not, is heard only in its
   * target's directory, which the tree's own watches do not cover. A link to a directory is not
   * followed (a link to a parent would loop; see {@link entriesOf}).
   */
  #followFileLink(path: string): void {
    if (this.#closed || this.#fileLinks.has(path) || this.ignored(path, this.root) || namesDirectory(path)) return;
    // Where it leads now is asked at each change, since it may be pointed elsewhere: a link to what
    // is left out (`latest.log` -> `logs/web.log`, the run's own log file) tells nothing, or every
    // line the process logs would restart it, and its start's lines again.
    const changed = (): void => {
      if (!this.ignored(realPathOf(path), this.root)) this.listener.changed(path);
    };
    this.#fileLinks.set(path, new LinkChain(path, changed, (at, error) => this.#linkFailed(at, error)));
  }

  /** A directory on a link's way we may not read (a 0711 /srv/www) cannot be listened in: left out, as Tree.add leaves out a directory it may not read, without a word. */
  #linkFailed(path: string, error: unknown): void {
    const code = errnoCode(error);
    if (code !== 'EACCES' && code !== 'EPERM') this.listener.failed(new WatchError(path, error));
  }

  /**
   * After events may have been lost (see LostEvents): each directory of the tree that is not
   * watched, or is watched as another (removed and made again), is watched now and told as a
   * change, and so is each watched one that went; a link to a file made is followed, and one
   * removed let go (neither told: a file made or removed in a flood is not looked for either), and
   * one whose target was written is told. A root that went is dealt with as if told so.
   * A file root is told if it is not the version last told. (A write to a file in a directory
   * tree is not looked for: that would take a stat of every file, after every flood.)
   */
  catchUp(): void {
    if (this.#fileSeen !== undefined) {
      this.#catchUpFile();
      return;
    }
    if (this.#closed || !this.#watchers.has(this.root)) return; // the root is awaited: its return is watched for
    if (identityOf(this.root) !== this.#rootIdentity) {
      this.#heard(this.root, null);
      return;
    }
    // The root is the same directory, just asked (a root that is a link, `current` -> `releases/v1`,
    // is no directory to lstat); the others are directories themselves, never links.
    for (const dir of [...this.#watchers.keys()]) {
      if (dir !== this.root && this.#watchers.has(dir) && !isDirectory(dir)) {
        this.#forget(dir);
        this.listener.changed(dir);
      }
    }
    // A link to a file removed in the flood is let go, as Tree.#heard lets one go: its target's
    // writes are no change of the tree's. (One made in it is followed by catchUpUnder.)
    // One still there is told if its target was written meanwhile, as a file root is: one stat a link.
    for (const [path, link] of [...this.#fileLinks]) {
      if (!isSymbolicLink(path)) {
        link.close();
        this.#fileLinks.delete(path);
      } else link.catchUp();
    }
    this.#catchUpUnder(this.root);
  }

  /** catchUp of a file root: its directory made anew, or the file changed, since last told. */
  #catchUpFile(): void {
    const dir = dirname(this.root);
    if (this.#closed || !this.#watchers.has(dir)) return; // its directory is awaited
    if (identityOf(dir) !== this.#identities.get(dir)) {
      this.#fileDirectoryGone(this.root);
      return;
    }
    const now = versionOf(this.root);
    if (now === this.#fileSeen) return;
    this.#fileSeen = now;
    this.#followLink(this.root);
    this.listener.changed(this.root);
  }

  #catchUpUnder(dir: string): void {
    const { directories, links, names } = entriesOf(dir);
    if (this.#names.has(dir)) this.#names.set(dir, new Set(names));
    // A link to a file made in the flood (a checkout's `src/config.json` -> `../shared/config.json`)
    // is followed, as Tree.add follows one: unfollowed, its target's writes went unheard for the run.
    for (const entry of links) this.#followFileLink(join(dir, entry));
    for (const entry of directories) {
      const path = join(dir, entry);
      if (this.ignored(path, this.root)) continue;
      if (this.#watchers.has(path) && identityOf(path) === this.#identities.get(path)) {
        this.#catchUpUnder(path);
        continue;
      }
      const watchedBefore = this.#watchers.has(path);
      this.#watchAgain(path);
      // One left out as it was (a directory we may not read) is no news.
      if (watchedBefore || this.#watchers.has(path)) this.listener.changed(path);
    }
  }

  /**
   * Listens to the links on the way to the root directory (`current/src`, or `current` itself,
   * with `current` -> `releases/v1`): its watches are of the directories the path named when they
   * were set, and a release switch (`ln -sfn v2 current`) is heard in none of them. Once the path
   * names another directory, that one is watched instead, and the switch told as a change.
   */
  followRootLinks(): void {
    if (!isSymbolicLink(this.root) && !reachedThroughLinks(this.root)) return;
    const relinked = (): void => {
      if (this.#closed || identityOf(this.root) === this.#rootIdentity) return; // the same directory: its own watches tell the rest
      // As when the root is removed: forgotten, told, and watched again once it is a directory.
      this.#forget(this.root);
      this.listener.changed(this.root);
      this.#awaitDirectory(this.root, () => this.#rootBack());
    };
    this.#links = new LinkChain(this.root, relinked, (path, error) => this.#linkFailed(path, error), false);
  }

  /**
   * Watches the directory of `file` for changes to `file` alone. When the directory goes (a
   * build's `rm -rf dist`, a `mv config config.old`), it waits for it to come back.
   */
  watchFileThroughDirectory(file: string): void {
    const dir = dirname(file);
    const name = basename(file);
    const identity = identityOf(dir);
    const watcher = node.fs.watch(dir, (_event, changed) => {
      if (this.#closed) return;
      lostEvents.heard();
      if (identityOf(dir) !== identity || toldItsOwnRemoval(dir, changed)) this.#fileDirectoryGone(file);
      else if (changed === name) {
        const made = this.#fileSeen === MISSING;
        this.#fileSeen = versionOf(file);
        this.#followLink(file);
        this.listener.changed(file, made);
      }
    });
    watcher.on('error', () => this.#fileDirectoryGone(file));
    this.#watchers.set(dir, watcher);
    this.#identities.set(dir, identity);
    this.#fileSeen = versionOf(file);
    this.#followLink(file);
  }

  /**
   * Follows `file`'s links anew (made, removed or pointed elsewhere), if it is one now or is reached
   * through one (`current/config`, `current` -> `v1`): this directory's watch is of the one the
   * path named when it was set, and a release switch (`ln -sfn v2 current`) is not heard in it.
   */
  #followLink(file: string): void {
    if (this.#links !== undefined) this.#links.follow();
    else if (!this.#closed && (isSymbolicLink(file) || reachedThroughLinks(file))) {
      // What the chain tells is a version of the file seen too: catchUp tells only one it has not.
      const changed = (): void => {
        this.#fileSeen = versionOf(file);
        this.listener.changed(file);
      };
      this.#links = new LinkChain(file, changed, (path, error) => this.listener.failed(new WatchError(path, error)));
    }
  }

  close(): void {
    this.#closed = true;
    lostEvents.unwatch(this);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#identities.clear();
    this.#names.clear();
    this.#awaiting?.watcher.close();
    this.#awaiting = undefined;
    this.#links?.close();
    this.#links = undefined;
    for (const link of this.#fileLinks.values()) link.close();
    this.#fileLinks.clear();
  }

  #heard(dir: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    lostEvents.heard();
    const rootReplaced = dir === this.root && identityOf(dir) !== this.#rootIdentity;
    if (!exists(dir) || rootReplaced) {
      // The directory itself went away; its parent's watch tells of it (or, for the root, we do,
      // and wait for it to come back: a build's `rm -rf dist && mkdir dist`).
      this.#forget(dir);
      if (dir === this.root) {
        this.listener.changed(dir);
        this.#awaitDirectory(this.root, () => this.#rootBack());
      }
      return;
    }
    // Removed and made again at once (`rm -rf dist && mkdir dist`), a directory may have its old
    // inode back, and its watch is dead: it is watched anew (a file of its name in it is heard below too).
    if (toldItsOwnRemoval(dir, name)) this.#watchAgain(dir);
    const path = name === null ? dir : join(dir, name.toString());
    if (path !== dir && this.ignored(path, this.root)) return;
    const made = name !== null && this.#madeBy(dir, name.toString());
    const link = this.#fileLinks.get(path);
    if (link !== undefined && !isSymbolicLink(path)) {
      link.close();
      this.#fileLinks.delete(path);
    } else if (link !== undefined) link.follow();
    else if (isSymbolicLink(path)) this.#followFileLink(path);
    if (this.#watchers.has(path) && !exists(path)) this.#forget(path);
    else if (!this.#watchers.has(path) && isDirectory(path)) {
      try {
        this.add(path);
      } catch (error) {
        this.listener.failed(error instanceof WatchError ? error : new WatchError(path, error));
      }
    }
    this.listener.changed(path, made);
  }

  /**
   * Whether the change just heard of `name` in `dir` made it (it was not there before), keeping
   * the directory's names up to date. A tool that writes a file by way of a temporary one beside
   * it (`sed -i`'s `sedXXXXXX`, renamed over the file) makes and removes it within one save.
   */
  #madeBy(dir: string, name: string): boolean {
    const names = this.#names.get(dir);
    if (names === undefined) return false;
    const before = names.has(name);
    if (exists(join(dir, name))) names.add(name);
    else names.delete(name);
    return !before;
  }

  /**
   * Calls `back` once `dir` is a directory again. Until then it watches the nearest ancestor that
   * is there, and steps down as each level comes back (`rm -rf lib` took `lib/deep` and `lib`; a
   * `mkdir lib`, later `mkdir lib/deep`, brings it back), or up when that ancestor goes too.
   */
  #awaitDirectory(dir: string, back: () => void): void {
    this.#awaitPath(dir, namesDirectory, back);
  }

  /** Calls `back` once `there(path)` holds, watching as {@link #awaitDirectory} does meanwhile. */
  #awaitPath(path: string, there: (path: string) => boolean, back: () => void): void {
    if (this.#closed) return;
    if (there(path)) {
      this.#stopAwaiting();
      back();
      return;
    }
    const at = nearestDirectory(path);
    if (this.#awaiting?.at === at) return;
    this.#stopAwaiting();
    let watcher: FSWatcher;
    try {
      watcher = node.fs.watch(at, () => this.#awaitPath(path, there, back));
    } catch (error) {
      this.listener.failed(new WatchError(path, error));
      return;
    }
    watcher.on('error', () => {
      this.#stopAwaiting();
      this.#awaitPath(path, there, back);
    });
    this.#awaiting = { at, watcher };
    // A level may have come back between the look and the watch.
    this.#awaitPath(path, there, back);
  }

  #stopAwaiting(): void {
    this.#awaiting?.watcher.close();
    this.#awaiting = undefined;
  }

  #watchAgain(dir: string): void {
    this.#forget(dir);
    try {
      this.add(dir);
    } catch (error) {
      this.listener.failed(error instanceof WatchError ? error : new WatchError(dir, error));
    }
  }

  #rootBack(): void {
    try {
      this.add(this.root);
    } catch (error) {
      this.listener.failed(error instanceof WatchError ? error : new WatchError(this.root, error));
      return;
    }
    this.listener.changed(this.root);
  }

  /** A file root's directory went: the file went with it; once the directory is back, so is the watch. */
  #fileDirectoryGone(file: string): void {
    const dir = dirname(file);
    this.#forget(dir);
    this.listener.changed(file);
    this.#awaitDirectory(dir, () => {
      try {
        this.watchFileThroughDirectory(file);
      } catch (error) {
        this.listener.failed(new WatchError(file, error));
        return;
      }
      if (exists(file)) this.listener.changed(file);
    });
  }

  /** Stops watching `dir` and everything under it. */
  #forget(dir: string): void {
    for (const [path, link] of this.#fileLinks) {
      if (path.startsWith(dir + sep)) {
        link.close();
        this.#fileLinks.delete(path);
      }
    }
    for (const [path, watcher] of this.#watchers) {
      if (path === dir || path.startsWith(dir + sep)) {
        watcher.close();
        this.#watchers.delete(path);
        this.#identities.delete(path);
        this.#names.delete(path);
      }
    }
  }
}

/**
 * The names in `dir`: all of them, of its directories, and of its symbolic links (to follow, if they lead to a
 * file). A link is never entered as a directory: a link to a parent would be an endless tree, and
 * a link elsewhere leads out of what was asked to be watched. One that cannot be read (gone
 * meanwhile, or not ours to read) has none.
 */
function entriesOf(dir: string): { names: string[]; directories: string[]; links: string[] } {
  try {
    const entries = node.fs.readdirSync(dir, { withFileTypes: true });
    const named = (keep: (entry: (typeof entries)[number]) => boolean): string[] => entries.filter(keep).map((entry) => entry.name);
    return { names: named(() => true), directories: named((entry) => entry.isDirectory()), links: named((entry) => entry.isSymbolicLink()) };
  } catch {
    return { names: [], directories: [], links: [] };
  }
}
