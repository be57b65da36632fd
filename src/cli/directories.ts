import { dirname, resolve } from 'node:path';
import { node } from '../builtins.js';
import { errnoCode } from '../errno.js';
import { canonicalPathOf, lstatOf, statOf } from '../process/stat.js';

/**
 * `mkdir -p`: creates `path` and every directory missing on the way, each with `mode` (less the
 * umask); returns the first one it created, or undefined when `path` was a directory already. A
 * file in the way throws as mkdir does (EEXIST, ENOTDIR).
 *
 * Not `fs.mkdirSync(path, { recursive: true })`, which on Node 20 loops for ever on a path under
 * `/proc` (whose mkdir says ENOENT with the parent there), and on a read-only file system says
 * ENOENT where mkdir(2) says EROFS.
 */
export function makeDirectories(path: string, mode = 0o777): string | undefined {
  const missing: string[] = [];
  for (let at = resolve(path); ; at = dirname(at)) {
    const found = node.fs.statSync(at, { throwIfNoEntry: false });
    if (found !== undefined) {
      // The error mkdir gives for what is there (EEXIST), where a directory was wanted.
      if (!found.isDirectory()) node.fs.mkdirSync(at);
      break;
    }
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const dir of missing.reverse()) {
    try {
      node.fs.mkdirSync(dir, { mode });
    } catch (error) {
      // Made meanwhile by someone else: as good.
      if (errnoCode(error) !== 'EEXIST' || node.fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true) throw error;
    }
  }
  return missing[0];
}

/**
 * What stands where a directory of a path was to be made (by {@link makeDirectories}: mkdir's
 * EEXIST, or ENOTDIR below it), and what to do about it: the error names the directory wanted,
 * or the path where mkdir stopped, not the file in the way. A link to nothing (`logs -> /mnt/data/logs`, the
 * volume not mounted) looks missing to `ls` and `cd`, so a bare EEXIST would say the opposite of
 * what the user sees.
 */
export function whatIsInTheWay(error: unknown): { readonly what: string; readonly fix: string } | undefined {
  const path = typeof error === 'object' && error !== null && 'path' in error && typeof error.path === 'string' ? error.path : undefined;
  if (path === undefined) return undefined;
  let at = path;
  while (lstatOf(at) === undefined && dirname(at) !== at) at = dirname(at);
  const there = statOf(at);
  if (there !== undefined) return there.isDirectory() ? undefined : { what: `${at} is ${there.isFile() ? 'a file' : 'there'}, not a directory`, fix: 'move it aside' };
  try {
    const target = node.fs.readlinkSync(at);
    // A relative target is read from the link's (real) directory, not the cwd: told as it is, `mkdir` would make another.
    const made = resolve(canonicalPathOf(dirname(at)) ?? dirname(at), target);
    return { what: `${at} is a link to ${target}, which is not there`, fix: `make or mount ${made}` };
  } catch {
    // Not a link (gone meanwhile): the plain error says what there is to say.
    return undefined;
  }
}
