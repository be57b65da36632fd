import { node } from '../../builtins.js';

/** env(1): what the gate and setpriv's spawn exec to set a command's environment, as its user. */
export const ENV = '/usr/bin/env';

const found = new Map<string, boolean>();

/**
 * Whether the system program at `path` (/bin/sh, env, setpriv) is installed and executable, looked
 * at once per path: it is part of the machine, not of a command, and a spawn asks each time.
 */
export function installed(path: string): boolean {
  let answer = found.get(path);
  if (answer === undefined) {
    try {
      node.fs.accessSync(path, node.fs.constants.X_OK);
      answer = true;
    } catch {
      answer = false;
    }
    found.set(path, answer);
  }
  return answer;
}
