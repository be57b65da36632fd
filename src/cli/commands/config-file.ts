import { UsageError } from '../args.js';
import { unreadableConfig } from '../config/load.js';
import { node } from '../../builtins.js';
import { errnoCode } from '../../errno.js';
import { statOf } from '../../process/stat.js';
import { STDIN_CONFIG } from '../config/location.js';

/** Looked for in this order in the current directory when no -f is given. */
export const DEFAULT_FILES = ['subvisor.yaml', 'subvisor.yml', 'Procfile'];

/**
 * The config file of `up`, and of the commands that find a run by its config (`ps`, `logs`...):
 * `given` (-f, --file FILE; `logs` has only --file, its -f is --follow), else the first of {@link DEFAULT_FILES} here, else a {@link UsageError}.
 * A `given` file that is not there is a ConfigError: for a client, the socket beside it could
 * otherwise only read "no run is listening".
 */
export function findConfigFile(given: string | undefined): string {
  if (given === STDIN_CONFIG) return given;
  if (given !== undefined) {
    try {
      node.fs.statSync(given);
    } catch (error) {
      throw unreadableConfig(given, error);
    }
    return given;
  }
  const file = DEFAULT_FILES.find(isHere);
  if (file === undefined) {
    const others = otherConfigsHere();
    throw new UsageError(`no config file here (looked for ${DEFAULT_FILES.join(', ')}); pass one with --file FILE${others.length === 0 ? '' : ` (here: ${others.join(', ')})`}`);
  }
  return file;
}

/**
 * `Procfile.dev`, `dev.Procfile`: how a Procfile other than the one foreman reads by default is
 * named; and the files docker compose, process-compose and pm2 read by default, which someone
 * moving from them runs `up` beside (`up -f` on one answers each of its keys with what to write
 * instead; on pm2's JavaScript, how to print it as JSON).
 */
const OTHER_CONFIG = /^Procfile\..|\.Procfile$|^(?:docker-|process-)?compose\.ya?ml$|^ecosystem(?:\.config)?\.(?:[cm]?js|json|ya?ml)$/;

/**
 * The other configs in the current directory that no one looks for by default (`Procfile.dev`,
 * which a Rails app runs with `foreman start -f Procfile.dev`; `compose.yaml`), sorted; none when
 * it cannot be listed.
 */
function otherConfigsHere(): string[] {
  try {
    return node.fs
      .readdirSync('.', { withFileTypes: true })
      // A symlink counts as what it leads to, as for the files looked for (a Procfile.dev linked from elsewhere).
      .filter((entry) => OTHER_CONFIG.test(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && statOf(entry.name)?.isFile() === true)))
      .map((entry) => entry.name)
      .sort();
  } catch {
    // Only a hint on an error already on its way: a directory that cannot be listed gives none.
    return [];
  }
}

/**
 * Whether `candidate` is in the current directory. One this user may not search (EACCES) cannot
 * tell, and says so: `sudo -u app subvisor up` keeps root's current directory, often one only
 * root may enter, where "no config file here" sent the user looking for a file that is there.
 */
function isHere(candidate: string): boolean {
  try {
    node.fs.statSync(candidate);
    return true;
  } catch (error) {
    if (errnoCode(error) !== 'EACCES') return false;
    const uid = process.getuid?.();
    throw new UsageError(
      `cannot look for a config file here: this directory may not be searched by this user${uid === undefined ? '' : ` (uid ${uid})`}; run subvisor from a directory it may enter, or pass the config with --file FILE`,
      { cause: error },
    );
  }
}

/**
 * `-f -` on a terminal waits for the config to be typed: says so, and how to end it, rather than
 * leave a command that seems to hang (as `cat` would, but `up` is not expected to read).
 */
export function announceTerminalConfig(file: string): void {
  if (file === STDIN_CONFIG && node.tty.isatty(0)) {
    process.stderr.write('subvisor: reading the config from the terminal (-f -): end it with Ctrl-D, or pass a file with -f FILE\n');
  }
}
