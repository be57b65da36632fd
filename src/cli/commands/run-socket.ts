import type { RunLocator } from '../args.js';
import { unreadableConfig } from '../config/load.js';
import { defaultSocketPath } from '../control/socket-path.js';
import { node } from '../../builtins.js';
import { findConfigFile } from './config-file.js';

/**
 * The control socket of the run a client command talks to: `--socket PATH`, else the default
 * socket beside the config (`-f FILE`, else the file `up` would find here). A `-f FILE` that is
 * not there is said to be so: the run's socket beside it could only be "not listening".
 */
export function runSocket(locator: RunLocator): string {
  if (locator.socket !== undefined) return locator.socket;
  const file = findConfigFile(locator.file);
  try {
    node.fs.statSync(file);
  } catch (error) {
    throw unreadableConfig(file, error);
  }
  return defaultSocketPath(file);
}
