import { dirname, resolve } from 'node:path';
import { node } from '../builtins.js';
import { errnoCode } from '../errno.js';

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
