import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError } from './errors.js';
import { parseProcfile } from './procfile.js';
import type { Config } from './spec.js';
import { parseYamlConfig } from './yaml/parse.js';

/**
 * Reads and validates the config of `subvisor up`: a foreman Procfile when the file is named
 * `Procfile` or `Procfile.*` (`Procfile.dev`), otherwise `subvisor.yaml` syntax. The name decides,
 * not the content, so a broken YAML file is never misread as a Procfile (or the reverse) and
 * reported in the wrong words. A file that cannot be read is a {@link ConfigError} too, with the
 * fs error as its cause.
 *
 * @example
 * ```ts
 * const config = loadConfig('subvisor.yaml');
 * const toStart = selectProcesses(config, ['web']);
 * ```
 */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error instanceof Error ? error.message : String(error));
    const message = `cannot read the config file: ${reason}; pass the right one with -f FILE (subvisor.yaml or a Procfile)`;
    throw new ConfigError([{ file, message, cause: error }]);
  }
  return isProcfile(file) ? parseProcfile(text, file) : parseYamlConfig(text, file);
}

/** Whether `loadConfig` reads `file` as a Procfile: named `Procfile` or `Procfile.<something>`. */
export function isProcfile(file: string): boolean {
  const name = basename(file);
  return name === 'Procfile' || name.startsWith('Procfile.');
}
