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
  const entries = inConfigOrder(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
    spec.envNames ?? [],
  );
  const unfit = entries.map(([name]) => name).filter((name) => !PORTABLE_NAME.test(name));
  if (unfit.length > 0) {
    // A config of thousands of them gets a line, not a page: the first ten, and how many more.
    const names = [...unfit.slice(0, 10).map((name) => JSON.stringify(name)), ...(unfit.length > 10 ? [`${unfit.length - 10} more`] : [])];
    const listed = names.length === 1 ? `the variable name ${names[0] ?? ''}` : `the variable names ${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
    throw new ExportError(
      'ERR_EXPORT_ENV_NAME',
      `process ${spec.name}: ${listed} cannot be exported (systemd and Compose take letters, digits and _, not starting with a digit); rename ${unfit.length === 1 ? 'it' : 'them'}`,
    );
  }
  return entries;
}

/**
 * `entries` in the order of `names` (the config's and its env files'), those it does not hold
 * (a copy's SUBVISOR_REPLICA) after them as they came: a Record lists `"10"` before `B`.
 */
function inConfigOrder(entries: [string, string][], names: readonly string[]): [string, string][] {
  const place = new Map(names.map((name, i) => [name, i]));
  return entries
    .map((entry, i) => ({ entry, key: place.get(entry[0]) ?? names.length + i }))
    .sort((a, b) => a.key - b.key)
    .map(({ entry }) => entry);
}
