import { UsageError } from '../args.js';
import { unreadableConfig } from '../config/load.js';
import { node } from '../../builtins.js';
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
  const file = DEFAULT_FILES.find((candidate) => node.fs.existsSync(candidate));
  if (file === undefined) throw new UsageError(`no config file here (looked for ${DEFAULT_FILES.join(', ')}); pass one with --file FILE`);
  return file;
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
