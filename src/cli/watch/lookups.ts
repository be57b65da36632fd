import { basename, dirname, join, resolve } from 'node:path';
import { node } from '../../builtins.js';
import { lstatOf, statOf } from '../../process/stat.js';

// The small questions the watches ask of the file system, each answered without throwing: a path
// may go at any moment, and one that is gone has no answer but "no".

/** Whether anything is at `path`, a link to nothing included. */
export function exists(path: string): boolean {
  return lstatOf(path) !== undefined;
}

/**
 * Which file `path` names, through links (device and inode): the directory a watch of `path` set
 * now would watch (a root `current` -> `v1`, or a file's directory), which is another once the
 * link is pointed elsewhere, on the same file system or not (every file system's root has inode
 * 1 or 2, every btrfs subvolume's 256).
 */
export function identityOf(path: string): string | undefined {
  const stats = statOf(path);
  return stats === undefined ? undefined : `${stats.dev}:${stats.ino}`;
}

/** Whether `path` is a directory itself, not a link to one (a link in a watched tree is not entered). */
export function isDirectory(path: string): boolean {
  return lstatOf(path)?.isDirectory() === true;
}

/** Whether `path` names a directory, itself or through links: one a watch can be set on. */
export function namesDirectory(path: string): boolean {
  return statOf(path)?.isDirectory() === true;
}

/** Whether a directory on the way to `path` is a link, or reached through one. */
export function reachedThroughLinks(path: string): boolean {
  try {
    return node.fs.realpathSync(dirname(path)) !== dirname(path);
  } catch {
    return false;
  }
}

/**
 * `path` with the links on its way resolved, as far as it exists (what is not there yet, a log
 * directory the run makes later, is joined on as written): the path by the real directories.
 */
export function realPathOf(path: string): string {
  let rest = '';
  for (let at = path; ; at = dirname(at)) {
    try {
      return join(node.fs.realpathSync(at), rest);
    } catch {
      if (dirname(at) === at) return path;
      rest = join(basename(at), rest);
    }
  }
}

/** Links followed in a row before giving up, as the kernel does (ELOOP) for a loop. */
const MAX_LINK_HOPS = 40;

/**
 * Where `path` leads (see {@link realPathOf}), also when it is a link to what is not there yet:
 * `logs/web.log -> ../data/web.log`, made before the run, has its target made only when the log
 * files are opened, after the watches are set; realpath says ENOENT then, and the lines written
 * there would each be a change. A relative target is taken from the link's real directory, as
 * the kernel does (`..` from `lg -> var/lg` is `var`, not the project).
 */
export function destinationOf(path: string): string {
  let at = path;
  for (let hops = 0; hops < MAX_LINK_HOPS; hops++) {
    let target: string;
    try {
      target = node.fs.readlinkSync(at);
    } catch {
      break; // Not a link (or nothing there): the end of the chain.
    }
    at = resolve(realPathOf(dirname(at)), target);
  }
  return realPathOf(at);
}

export function isSymbolicLink(path: string): boolean {
  return lstatOf(path)?.isSymbolicLink() === true;
}

/**
 * The nearest of `path`'s ancestors that is a directory (`/` at worst), through links: one on the
 * way (`proj -> /srv/real`) is where what comes back under it is heard; its parent would hear
 * nothing of it.
 */
export function nearestDirectory(path: string): string {
  let at = dirname(path);
  while (statOf(at)?.isDirectory() !== true && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * Whether an event of the watch of `dir` is the one inotify gives when `dir` itself is removed:
 * named like `dir`. (So is one for a file of that name in it; watching anew costs nothing then.)
 * An inode cannot tell: a directory made again at once may get the old one back.
 */
export function toldItsOwnRemoval(dir: string, name: string | Buffer | null): boolean {
  return name !== null && name.toString() === basename(dir);
}

/** What {@link versionOf} says of a path with nothing at its end. */
export const MISSING = 'missing';

/**
 * Which version of a file `path` names, through links, as far as a change goes: which file it is
 * and when its content or metadata last changed, or {@link MISSING}. Equal before and after an
 * event that changed nothing of it (a touch of a directory on its way, a link pointed at the same
 * file again); another after a write, or a save by rename.
 */
export function versionOf(path: string): string {
  const stats = statOf(path);
  return stats === undefined ? MISSING : `${stats.dev}:${stats.ino}:${stats.mtimeMs}:${stats.ctimeMs}`;
}
