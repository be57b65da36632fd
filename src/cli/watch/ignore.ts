import { basename, isAbsolute, relative, sep } from 'node:path';
import { ALWAYS_UNWATCHED } from '../config/spec.js';
import { globMatcher } from './glob.js';

/** Whether a change at `path` (absolute), found under the watched `root`, is left out. */
export type IgnoreRule = (path: string, root: string) => boolean;

/**
 * The rule of one process's `watch`: a path is left out when a directory on its way down from the
 * watched root is one of {@link ALWAYS_UNWATCHED} (`node_modules`, `.git`), or when one of the
 * `ignore` globs matches it. A glob without a `/` (`*.log`, `tmp`) is matched against the name
 * alone, at any depth, as in a `.gitignore`; one that starts with `/` against the absolute path;
 * any other (`**\/*.test.ts`, `src/gen/**`) against the path relative to the watched root and
 * relative to the process's cwd, so both ways of writing it work.
 *
 * `ownPaths` (absolute) are the run's own files, left out with all they hold: the log files and
 * the control socket. A process that writes lines while watching the project's root would
 * otherwise change its own log file with every line, and restart for ever.
 */
export function ignoreRule(globs: readonly string[], cwd: string, ownPaths: readonly string[] = []): IgnoreRule {
  const tests = globs.map((glob) => ({ matches: globMatcher(glob), against: glob.includes('/') ? (glob.startsWith('/') ? 'absolute' : 'relative') : 'name' }));
  return (path, root) => {
    if (ownPaths.some((own) => path === own || path.startsWith(own.endsWith(sep) ? own : own + sep))) return true;
    const underRoot = relative(root, path);
    if (underRoot.split(sep).some((segment) => ALWAYS_UNWATCHED.includes(segment))) return true;
    return tests.some(({ matches, against }) => {
      if (against === 'name') return matches(basename(path));
      if (against === 'absolute') return matches(path);
      const underCwd = relative(cwd, path);
      return matches(underRoot) || (!underCwd.startsWith('..') && !isAbsolute(underCwd) && matches(underCwd));
    });
  };
}
