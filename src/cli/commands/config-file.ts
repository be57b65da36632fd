import { UsageError } from '../args.js';
import { node } from '../../builtins.js';

/** Looked for in this order in the current directory when no -f is given. */
export const DEFAULT_FILES = ['subvisor.yaml', 'subvisor.yml', 'Procfile'];

/**
 * The config file of `up`, and of the commands that find a run by its config (`ps`, `logs`...):
 * `given` (-f, --file FILE; `logs` has only --file, its -f is --follow), else the first of {@link DEFAULT_FILES} here, else a {@link UsageError}.
 */
export function findConfigFile(given: string | undefined): string {
  const file = given ?? DEFAULT_FILES.find((candidate) => node.fs.existsSync(candidate));
  if (file === undefined) throw new UsageError(`no config file here (looked for ${DEFAULT_FILES.join(', ')}); pass one with --file FILE`);
  return file;
}
