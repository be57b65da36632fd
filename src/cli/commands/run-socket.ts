import type { RunLocator } from '../args.js';
import { defaultSocketPath } from '../control/socket-path.js';
import { findConfigFile } from './config-file.js';

/**
 * The control socket of the run a client command talks to: `--socket PATH`, else the default
 * socket beside the config (`-f FILE`, else the file `up` would find here).
 */
export function runSocket(locator: RunLocator): string {
  return locator.socket ?? defaultSocketPath(findConfigFile(locator.file));
}
