import { basename, isAbsolute, relative, sep } from 'node:path';
import { ALWAYS_UNWATCHED } from '../config/spec.js';
import { globMatcher } from './glob.js';

/** Whether a change at `path` (absolute), found under the watched `root`, is left out. */
export type IgnoreRule = (path: string, root: string) => boolean;

/**
 * The names editors give the files they keep beside the one being edited: vim's swap file
 * (`.app.ts.swp`, then `.swo`, ... for a second session), made when the file is opened and
 * rewritten as one types, its `4913` (made and removed to test that the directory is writable)
 * and its backup (`app.ts~`), emacs's lock (`.#app.ts`, made at the first keystroke) and
 * autosave (`#app.ts#`), JetBrains' safe-write copies, kate's swap. None is the source: counted as
 * changes, opening a file in vim restarts the server, and a save is told as `src/.app.ts.swp
 * changed`. (Tilt and `docker compose watch` leave out the same list, for the same reason.)
 */
const EDITOR_FILES = ['.*.sw?', '4913', '*~', '.#*', '#*#', '*___jb_tmp___', '*___jb_old___', '.*.kate-swp'].map(globMatcher);

/**
 * The rule of one process's `watch`: a path is left out when it is an editor's own file (see
 * {@link EDITOR_FILES}), when a directory on its way down from the watched root is one of
 * {@link ALWAYS_UNWATCHED} (`node_modules`, `.git`), or when one of the `ignore` globs matches it. A glob without a `/` (`*.log`, `tmp`) is matched against the name
 * alone, at any depth, as in a `.gitignore`; one that starts with `/` against the absolute path;
 * any other (`**\/*.test.ts`, `src/gen/**`) against the path relative to the watched root and
 * relative to the process's cwd, so both ways of writing it work.
 *
 * `ownPaths` (absolute) are the run's own files, left out with their numbered rotations
 * (`web.log.1`) and all they hold: the log directory and files, and the control socket. A process
 * that writes lines while watching the project's root would otherwise change its own log file with
 * every line, and restart for ever. A directory among them that holds the watched root itself
 * (`logs: { dir: . }`, watching `src`) is not left out whole, or nothing would ever be heard: its
 * own files, named among them too, are.
 */
export function ignoreRule(globs: readonly string[], cwd: string, ownPaths: readonly string[] = []): IgnoreRule {
  const tests = globs.map((glob) => ({ matches: globMatcher(glob), against: glob.includes('/') ? (glob.startsWith('/') ? 'absolute' : 'relative') : 'name' }));
  return (path, root) => {
    if (ownPaths.some((own) => path === own || isRotationOf(path, own) || (isUnder(path, own) && root !== own && !isUnder(root, own)))) return true;
    const name = basename(path);
    if (EDITOR_FILES.some((matches) => matches(name))) return true;
    const underRoot = relative(root, path);
    if (underRoot.split(sep).some((segment) => ALWAYS_UNWATCHED.includes(segment))) return true;
    return tests.some(({ matches, against }) => {
      if (against === 'name') return matches(name);
      if (against === 'absolute') return matches(path);
      const underCwd = relative(cwd, path);
      return matches(underRoot) || (!underCwd.startsWith('..') && !isAbsolute(underCwd) && matches(underCwd));
    });
  };
}

/** Whether `path` is in the directory `dir`, at any depth. */
function isUnder(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Whether `path` is `file` rotated: `file.1`, `file.2` ... */
function isRotationOf(path: string, file: string): boolean {
  return path.startsWith(`${file}.`) && /^\d+$/.test(path.slice(file.length + 1));
}
