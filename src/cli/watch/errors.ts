import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import type { InterpolatedPart } from '../config/environment/interpolate.js';
import { DETAILS_HIDDEN, pathFromWrittenDirectory, valuesShown } from '../config/environment/shown-values.js';

/** A path could not be watched (the system's limit of watches, a directory we may not read). */
export class WatchError extends Error {
  override readonly name = 'WatchError';
  readonly code = 'ERR_SUBVISOR_WATCH';

  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot watch ${path}: ${whatToDo(cause)}`, { cause });
  }
}

/**
 * What `error` says, with a cwd a variable made (`cwdParts`, which made `cwd`) named as the config
 * writes it (`${APP_DIR}/src`): the path is under it, and its value may be a .env secret. Words
 * that would still show a value (another path in the system's message) are not given.
 */
export function watchErrorAsWritten(error: WatchError, cwd: string, cwdParts: readonly InterpolatedPart[] | undefined): string {
  if (cwdParts === undefined) return error.message;
  const path = pathFromWrittenDirectory(error.path, cwd, cwdParts);
  const named = valuesShown(error.message, cwdParts, { named: [[error.path, path]] });
  return named.showsValue ? `cannot watch ${path}: ${DETAILS_HIDDEN}` : named.text;
}

function whatToDo(cause: unknown): string {
  const code = errnoCode(cause);
  if (code === 'ENOSPC') {
    return 'the system limit of watched directories is reached; raise it (sysctl fs.inotify.max_user_watches=524288) or watch less (more `ignore`, narrower `paths`)';
  }
  if (code === 'EMFILE') {
    if (descriptorToSpare()) {
      return "this user's limit of inotify instances is reached (editors, dev servers and other watching tools of the same user each hold some); raise it (sysctl fs.inotify.max_user_instances=1024) or end some of them";
    }
    return 'too many open files; raise the limit (ulimit -n) or watch less';
  }
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Whether this process has a file descriptor to spare, so that an EMFILE of `fs.watch` was not
 * about them. On Linux, `fs.watch` opens one inotify instance for the whole process (libuv's, at
 * the first watch) and none per directory, and `inotify_init` says EMFILE for either limit: the
 * process's open files, or the instances one user may hold at once (`fs.inotify.max_user_instances`,
 * 128 by default, shared with every editor and dev server of that user). Telling the user to raise
 * `ulimit -n` for the second would send them the wrong way. Asked by opening one, not by counting
 * those open against `ulimit -n`: the limit is on a descriptor's number, not on how many there
 * are, and one inherited above it (a shell's `exec 99<file`) is counted but takes no number
 * below; a count one short of the limit had one to spare, too. Elsewhere (macOS's kqueue holds
 * a descriptor per watched file) an EMFILE is the open files'.
 */
function descriptorToSpare(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    node.fs.closeSync(node.fs.openSync('/', 'r'));
    return true;
  } catch {
    return false; // not even one: the open files' limit it was
  }
}
