import type { RunLocator } from '../args.js';
import { STDIN_CONFIG } from '../config/location.js';
import { defaultSocketPath } from '../control/socket-path.js';
import { DEFAULT_FILES, findConfigFile } from './config-file.js';
import { node } from '../../builtins.js';

/**
 * The control socket of the run a client command talks to: `--socket PATH`, else the default
 * socket beside the config (`-f FILE`, else the file `up` would find here). With neither, and no
 * config file here, a socket here all the same: that of a run whose config came from standard
 * input or a pipe (`up -f -`), which belongs to the current directory.
 */
export function runSocket(locator: RunLocator): string {
  if (locator.socket !== undefined) return locator.socket;
  if (locator.file === undefined && !DEFAULT_FILES.some((file) => node.fs.existsSync(file))) {
    const streamed = defaultSocketPath(STDIN_CONFIG);
    if (node.fs.existsSync(streamed)) return streamed;
  }
  return defaultSocketPath(findConfigFile(locator.file));
}
