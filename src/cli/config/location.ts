import { dirname, join, resolve } from 'node:path';
import { node } from '../../builtins.js';
import { statOf } from '../../process/stat.js';

/** `-f -`: the config is read from standard input. */
export const STDIN_CONFIG = '-';

/** A file descriptor's own path: standard input's, or `<(...)`'s (`/dev/fd/63`), whatever it leads to. */
const DESCRIPTOR_PATH = /^\/dev\/(?:stdin|fd\/\d+)$|^\/proc\/(?:self|thread-self|\d+)\/fd\/\d+$/;

/**
 * Whether the config `file` is a stream rather than a file in a project directory: standard input
 * (`-f -`, `-f /dev/stdin`, even when it is a file redirected in), a descriptor (`-f <(generate)`,
 * whose path is `/dev/fd/63`), or anything else that is not a regular file (a fifo). Such a config
 * has no directory of its own. A regular file under /dev/shm or /proc/N/root is an ordinary one.
 */
function isStream(file: string): boolean {
  if (file === STDIN_CONFIG) return true;
  const absolute = resolve(file);
  if (DESCRIPTOR_PATH.test(absolute)) return true;
  const found = statOf(absolute);
  return found !== undefined && !found.isFile();
}

/**
 * The directory a config belongs to: relative paths in it are resolved against it, `.env` and
 * `.subvisor/` (the control socket, the logs) are beside it, and exports name the project after
 * it. The config file's own directory; for a config read from a stream (see {@link isStream}), the
 * current directory, as `docker compose -f -` does, not `/dev` or `/dev/fd`.
 */
export function configDirectory(file: string): string {
  return isStream(file) ? process.cwd() : dirname(resolve(file));
}

/** The config's text: standard input's for {@link STDIN_CONFIG}, else the file's. Throws fs errors. */
export function readConfigText(file: string): string {
  return node.fs.readFileSync(file === STDIN_CONFIG ? 0 : file, 'utf8');
}

/** The config file as messages name it: `<stdin>` for {@link STDIN_CONFIG}, else as the user wrote it. */
export function shownConfigFile(file: string): string {
  return file === STDIN_CONFIG ? '<stdin>' : file;
}

/**
 * The path of `name` beside the config `file`, as messages show it: from where the user named the
 * config (`config/.env` for `-f config/subvisor.yaml`), or from the current directory for a stream.
 */
export function besideConfig(file: string, name: string): string {
  return isStream(file) ? name : join(dirname(file), name);
}
