import type { ProcessSpec } from '../config/spec.js';
import { childEnvironment } from '../stack/attempt.js';
import { ExportError } from './errors.js';

/** A name every target takes: systemd's env files refuse others, and so do many shells. */
const PORTABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The environment `spec` gets from its config, merged as `subvisor up` merges it (one function:
 * `childEnvironment`): `.env`, the top-level and the process's `envFile`s, then its `env`. The
 * parent's environment is left out (it is this machine's, and the service manager gives its own)
 * and so are the HOME, USER, LOGNAME and SHELL of a `user` (systemd's `User=` and the container's `user`
 * set them from the target's passwd). Names in the config's order.
 *
 * A name no env file can carry (`my-var`, `a.b`) is an {@link ExportError} naming the process.
 */
export function exportedEnvironment(spec: ProcessSpec): [string, string][] {
  const merged = childEnvironment({ ...spec, user: undefined }, {});
  const entries = Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const unfit = entries.find(([name]) => !PORTABLE_NAME.test(name));
  if (unfit !== undefined) {
    throw new ExportError(
      'ERR_EXPORT_ENV_NAME',
      `process ${spec.name}: the variable name ${JSON.stringify(unfit[0])} cannot be exported (systemd and Compose take letters, digits and _, not starting with a digit); rename it`,
    );
  }
  return entries;
}
